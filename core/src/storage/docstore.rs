//! How documents are kept, so that a write costs what changed, not the size of the document.
//!
//! A document is stored as its last full save (`documents.bytes`) followed by the changes saved
//! since, one row each in `doc_chunks` (the change's bytes, a few hundred bytes per action).
//! When the saved changes outgrow the full save (and at least [`FOLD_MIN_BYTES`]), the next
//! write folds them back into one full save, so a document is never more than about twice its
//! compact size and each byte is rewritten a bounded number of times.
//!
//! Loading a large document is the expensive part of a write (~50 ms for a month's logbook of
//! 1,500 activities), so the store keeps recently written documents in memory ([`DocCache`]).
//! Every save gives the document a new random `version`; a cached document is used only if its
//! version is the one in the file, so a write by another process, or a transaction that rolled
//! back, can never be served stale. Documents leave the cache while a transaction changes them
//! and return only after it commits ([`Tx::commit`]).

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Deref;
use std::sync::Mutex;

use automerge::{Automerge, ChangeHash};
use rusqlite::{params, OptionalExtension, Transaction};

use trellis_protocol::Id;

use crate::base::error::Result;
use crate::documents;

/// How many documents the cache keeps: the current month's logbook, the workspace document and
/// the contacts being worked on fit easily; memory stays bounded.
const CACHE_DOCS: usize = 16;

/// Saved changes are folded into a full save once they exceed the full save's size and this.
const FOLD_MIN_BYTES: i64 = 16 * 1024;

type Key = (String, String);

/// Recently written documents, in memory, each with the version it was saved as; and the
/// incarnation this opening of the store writes them as.
pub(crate) struct DocCache {
    inner: Mutex<CacheInner>,
    incarnation: [u8; 8],
}

impl Default for DocCache {
    fn default() -> DocCache {
        let mut incarnation = [0; 8];
        incarnation.copy_from_slice(&Id::random().as_bytes()[..8]);
        DocCache {
            inner: Mutex::default(),
            incarnation,
        }
    }
}

#[derive(Default)]
struct CacheInner {
    entries: HashMap<Key, Cached>,
    tick: u64,
}

struct Cached {
    version: i64,
    used: u64,
    doc: Automerge,
}

impl DocCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, CacheInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes a document out of the cache if it is the saved `version`; drops a stale copy.
    fn take(&self, key: &Key, version: i64) -> Option<Automerge> {
        let cached = self.lock().entries.remove(key)?;
        (cached.version == version).then_some(cached.doc)
    }

    /// Keeps `doc`, saved as `version`, evicting the least recently used document if full.
    fn put(&self, key: Key, version: i64, doc: Automerge) {
        let mut inner = self.lock();
        inner.tick += 1;
        let used = inner.tick;
        inner.entries.insert(key, Cached { version, used, doc });
        while inner.entries.len() > CACHE_DOCS {
            let oldest = inner
                .entries
                .iter()
                .min_by_key(|(_, c)| c.used)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => inner.entries.remove(&k),
                None => break,
            };
        }
    }

    /// Random for each opening of the store, and the second half of the automerge actor every
    /// change made through it carries (the device id is the first): a store that was rolled
    /// back (restored from a backup, copied to another phone, or that lost its last commits
    /// to a power cut after pushing them) never writes a change under an (actor, seq) that
    /// may exist elsewhere already, because it is always opened anew.
    pub(crate) fn incarnation(&self) -> [u8; 8] {
        self.incarnation
    }

    /// Forgets every document (e.g. after a workspace is purged).
    pub(crate) fn clear(&self) {
        self.lock().entries.clear();
    }
}

/// A write transaction that can change documents. It dereferences to the SQLite transaction;
/// documents it changed return to the cache when it commits.
pub(crate) struct Tx<'c> {
    tx: Transaction<'c>,
    cache: &'c DocCache,
    pending: RefCell<HashMap<Key, (i64, Automerge)>>,
}

impl<'c> Deref for Tx<'c> {
    type Target = Transaction<'c>;
    fn deref(&self) -> &Transaction<'c> {
        &self.tx
    }
}

impl<'c> Tx<'c> {
    /// Wraps a transaction.
    pub(crate) fn new(tx: Transaction<'c>, cache: &'c DocCache) -> Tx<'c> {
        Tx {
            tx,
            cache,
            pending: RefCell::new(HashMap::new()),
        }
    }

    /// The incarnation of the store this transaction writes through ([`DocCache::incarnation`]).
    pub(crate) fn incarnation(&self) -> [u8; 8] {
        self.cache.incarnation()
    }

    /// Commits, then keeps the documents this transaction saved in the cache.
    pub(crate) fn commit(self) -> Result<()> {
        self.tx.commit()?;
        for (key, (version, doc)) in self.pending.into_inner() {
            self.cache.put(key, version, doc);
        }
        Ok(())
    }

    /// Loads a stored document: from this transaction, from the cache if current, else from
    /// the file. `None` if it was never stored.
    pub(crate) fn load(&self, ws: &str, doc_id: &str) -> Result<Option<(Automerge, Stored)>> {
        let key = (ws.to_string(), doc_id.to_string());
        let stored = self
            .tx
            .prepare_cached(
                "SELECT version, length(bytes), chunk_bytes FROM documents
                 WHERE ws = ?1 AND doc_id = ?2",
            )?
            .query_row(params![ws, doc_id], |r| {
                Ok(Stored {
                    version: r.get(0)?,
                    base_bytes: r.get(1)?,
                    chunk_bytes: r.get(2)?,
                })
            })
            .optional()?;
        let Some(stored) = stored else {
            return Ok(None);
        };
        if let Some((version, doc)) = self.pending.borrow_mut().remove(&key) {
            if version == stored.version {
                return Ok(Some((doc, stored)));
            }
        }
        if let Some(doc) = self.cache.take(&key, stored.version) {
            return Ok(Some((doc, stored)));
        }
        let doc = Automerge::load(&stored_bytes(&self.tx, ws, doc_id)?)?;
        Ok(Some((doc, stored)))
    }

    /// Saves `doc`: only what changed since `before` if it was stored already (`stored`), the
    /// whole document if it is new or its saved changes have outgrown its full save. Keeps the
    /// document for the cache. Returns false if there was nothing new to save.
    pub(crate) fn save(
        &self,
        ws: &str,
        doc_id: &str,
        doc: Automerge,
        before: &[ChangeHash],
        stored: Option<Stored>,
    ) -> Result<bool> {
        let tail = match stored {
            Some(_) => doc.save_after(before),
            None => Vec::new(),
        };
        self.save_changes(ws, doc_id, doc, &tail, stored)
    }

    /// [`Tx::save`] for a caller that holds the changes made since the document was stored:
    /// `tail` is their bytes one after another (empty if `stored` is `None`). Automerge would
    /// otherwise rebuild them from its operations, which costs as much as making them.
    pub(crate) fn save_changes(
        &self,
        ws: &str,
        doc_id: &str,
        doc: Automerge,
        tail: &[u8],
        stored: Option<Stored>,
    ) -> Result<bool> {
        let version = random_version();
        let kind = documents::kind_of(&doc).map(|k| k.as_str());
        match stored {
            None => {
                self.tx
                    .prepare_cached(
                        "INSERT INTO documents (ws, doc_id, kind, bytes, version, chunk_bytes)
                         VALUES (?1, ?2, ?3, ?4, ?5, 0)",
                    )?
                    .execute(params![ws, doc_id, kind, doc.save(), version])?;
            }
            Some(stored) => {
                if tail.is_empty() {
                    self.keep(ws, doc_id, stored.version, doc);
                    return Ok(false);
                }
                let chunk_bytes = stored.chunk_bytes + tail.len() as i64;
                if chunk_bytes > stored.base_bytes.max(FOLD_MIN_BYTES) {
                    self.fold(ws, doc_id, &doc, kind, version)?;
                } else {
                    self.tx
                        .prepare_cached(
                            "INSERT INTO doc_chunks (ws, doc_id, n, bytes)
                             VALUES (?1, ?2, (SELECT COALESCE(MAX(n), 0) + 1 FROM doc_chunks
                                              WHERE ws = ?1 AND doc_id = ?2), ?3)",
                        )?
                        .execute(params![ws, doc_id, tail])?;
                    self.tx
                        .prepare_cached(
                            "UPDATE documents SET version = ?3, chunk_bytes = ?4,
                               kind = COALESCE(kind, ?5)
                             WHERE ws = ?1 AND doc_id = ?2",
                        )?
                        .execute(params![ws, doc_id, version, chunk_bytes, kind])?;
                }
            }
        }
        self.keep(ws, doc_id, version, doc);
        Ok(true)
    }

    /// Stores a document that was not stored before as a checkpoint's snapshot brought it (its
    /// saved bytes and its kind), without loading it and without keeping it in memory: a new
    /// device stores thousands of these at once, and loads each when it is first changed.
    pub(crate) fn insert_snapshot(
        &self,
        ws: &str,
        doc_id: &str,
        kind: Option<documents::DocKind>,
        bytes: &[u8],
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO documents (ws, doc_id, kind, bytes, version, chunk_bytes)
                 VALUES (?1, ?2, ?3, ?4, ?5, 0)",
            )?
            .execute(params![
                ws,
                doc_id,
                kind.map(|k| k.as_str()),
                bytes,
                random_version()
            ])?;
        Ok(())
    }

    /// Replaces a document's full save and drops its saved changes.
    fn fold(
        &self,
        ws: &str,
        doc_id: &str,
        doc: &Automerge,
        kind: Option<&str>,
        version: i64,
    ) -> Result<()> {
        self.tx
            .prepare_cached("DELETE FROM doc_chunks WHERE ws = ?1 AND doc_id = ?2")?
            .execute(params![ws, doc_id])?;
        self.tx
            .prepare_cached(
                "UPDATE documents SET bytes = ?3, version = ?4, chunk_bytes = 0,
                   kind = COALESCE(kind, ?5)
                 WHERE ws = ?1 AND doc_id = ?2",
            )?
            .execute(params![ws, doc_id, doc.save(), version, kind])?;
        Ok(())
    }

    fn keep(&self, ws: &str, doc_id: &str, version: i64, doc: Automerge) {
        self.pending
            .borrow_mut()
            .insert((ws.to_string(), doc_id.to_string()), (version, doc));
    }
}

/// What the file says about a stored document.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stored {
    version: i64,
    base_bytes: i64,
    chunk_bytes: i64,
}

/// A stored document's bytes as automerge loads them: the full save followed by the changes
/// saved since (automerge reads such a concatenation as one document).
pub(crate) fn stored_bytes(conn: &rusqlite::Connection, ws: &str, doc_id: &str) -> Result<Vec<u8>> {
    let mut bytes: Vec<u8> = conn
        .prepare_cached("SELECT bytes FROM documents WHERE ws = ?1 AND doc_id = ?2")?
        .query_row(params![ws, doc_id], |r| r.get(0))?;
    let mut st = conn
        .prepare_cached("SELECT bytes FROM doc_chunks WHERE ws = ?1 AND doc_id = ?2 ORDER BY n")?;
    let mut rows = st.query(params![ws, doc_id])?;
    while let Some(row) = rows.next()? {
        bytes.extend_from_slice(row.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?);
    }
    Ok(bytes)
}

fn random_version() -> i64 {
    let id = trellis_protocol::Id::random();
    let mut b = [0u8; 8];
    b.copy_from_slice(&id.as_bytes()[..8]);
    i64::from_le_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{ObjType, ReadDoc, ROOT};

    fn add(doc: &mut Automerge, i: usize) {
        doc.transact(|t| {
            let m = t.put_object(ROOT, format!("entry-{i}"), ObjType::Map)?;
            t.put(&m, "note", "x".repeat(200))?;
            Ok::<_, automerge::AutomergeError>(())
        })
        .unwrap();
    }

    #[test]
    fn a_document_saved_in_pieces_loads_whole_and_folds_when_its_changes_outgrow_it() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        crate::storage::db::migrate(&mut conn).unwrap();
        let cache = DocCache::default();
        let (ws, id) = ("w", "d");

        let mut doc = Automerge::new();
        add(&mut doc, 0);
        let tx = Tx::new(conn.transaction().unwrap(), &cache);
        tx.save(ws, id, doc, &[], None).unwrap();
        tx.commit().unwrap();

        // Every other write hands over the bytes of its change, as `change_doc` does.
        for i in 1..200 {
            let tx = Tx::new(conn.transaction().unwrap(), &cache);
            let (mut doc, stored) = tx.load(ws, id).unwrap().unwrap();
            let before = doc.get_heads();
            add(&mut doc, i);
            if i % 2 == 0 {
                assert!(tx.save(ws, id, doc, &before, Some(stored)).unwrap());
            } else {
                let tail: Vec<u8> = doc
                    .get_changes(&before)
                    .iter()
                    .flat_map(|c| c.raw_bytes())
                    .copied()
                    .collect();
                assert!(tx.save_changes(ws, id, doc, &tail, Some(stored)).unwrap());
            }
            tx.commit().unwrap();
        }
        let chunks: i64 = conn
            .query_row("SELECT COUNT(*) FROM doc_chunks", [], |r| r.get(0))
            .unwrap();
        assert!(
            chunks > 0 && chunks < 199,
            "folded at times: {chunks} chunks left"
        );

        // From the file alone (no cache), every entry is there.
        cache.clear();
        let tx = Tx::new(conn.transaction().unwrap(), &cache);
        let (doc, _) = tx.load(ws, id).unwrap().unwrap();
        assert_eq!(doc.length(ROOT), 200);
        let bytes = stored_bytes(&tx, ws, id).unwrap();
        assert_eq!(
            Automerge::load(&bytes).unwrap().get_heads(),
            doc.get_heads()
        );
    }

    #[test]
    fn a_rolled_back_change_is_never_served_from_the_cache() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        crate::storage::db::migrate(&mut conn).unwrap();
        let cache = DocCache::default();
        let tx = Tx::new(conn.transaction().unwrap(), &cache);
        let mut doc = Automerge::new();
        add(&mut doc, 0);
        tx.save("w", "d", doc, &[], None).unwrap();
        tx.commit().unwrap();

        // A change saved in a transaction that is then dropped (rolled back)...
        {
            let tx = Tx::new(conn.transaction().unwrap(), &cache);
            let (mut doc, stored) = tx.load("w", "d").unwrap().unwrap();
            let before = doc.get_heads();
            add(&mut doc, 1);
            tx.save("w", "d", doc, &before, Some(stored)).unwrap();
        }
        // ...is not seen by the next one.
        let tx = Tx::new(conn.transaction().unwrap(), &cache);
        let (doc, _) = tx.load("w", "d").unwrap().unwrap();
        assert_eq!(doc.length(ROOT), 1);
    }
}
