//! Checkpoints: making them, and bootstrapping a device from one.
//!
//! A checkpoint is every document of the workspace as this device holds it once its outbox is
//! empty and its cursor is `S`, each sealed with the newest workspace key, uploaded to the
//! relay (see `trellis_protocol::snapshot`). Each snapshot carries the document's saved bytes
//! and the index rows read from it (`index/snapshot.rs`), so a new device indexes it without loading
//! it. A new device, or one so far behind that the relay compacted what it needs
//! (`410 compacted`), downloads the snapshots, merges each into what it holds (its own unpushed
//! changes stay), writes their index rows and moves its cursor to `S`; then it pulls the log
//! after `S` as usual. Applying the same change twice is a no-op in automerge, so snapshots
//! that hold more than `S` covers are harmless.

#[cfg(not(target_arch = "wasm32"))]
use std::sync::atomic::{AtomicUsize, Ordering};

use automerge::Automerge;
use rusqlite::params;
use serde::{Deserialize, Serialize};
use trellis_protocol::snapshot::{CheckpointInfo, DocBatch, DocSnapshot};
use trellis_protocol::Id;

use crate::base::error::{Error, Result};
use crate::crypto::signing::sign_entry;
use crate::crypto::{Sealed, SignedEntry, Trailer};
use crate::documents;
use crate::index;
use crate::index::snapshot::{self, IndexSnapshot, Plain};
use crate::model::SetAsideReason;
use crate::roster::Roster;
use crate::storage::docstore::{self, Tx};
use crate::storage::workspace::{current_ws, device_signer, roster_mark, Ws};
use crate::store::Store;
use crate::sync::client::RelayClient;
use crate::sync::set_aside;
use crate::sync::verify;

/// Sealed bytes sent in one upload body.
const UPLOAD_BYTES: usize = 4 << 20;
/// Snapshots asked for in one download.
const DOWNLOAD_DOCS: usize = 2000;
/// SQLite's page cache while a bootstrap writes (KiB). Indexing thousands of documents
/// inserts into every index table's B-trees at random places; with the default cache (2 MiB)
/// most of the time went to evicting dirty pages mid-transaction and reading them back.
/// Only what is used is allocated, and the size is restored after.
const BOOTSTRAP_CACHE_KIB: i64 = 64 * 1024;
/// Snapshots each opening thread opens and loads ahead of the one being stored.
#[cfg(not(target_arch = "wasm32"))]
const OPENED_AHEAD: usize = 16;
/// Most threads opening snapshots while one stores them (and sealing them for a checkpoint).
#[cfg(not(target_arch = "wasm32"))]
const MAX_OPENERS: usize = 4;
/// A bootstrap of at least this many documents into a workspace this device holds nothing of
/// writes the index without its secondary indexes and makes them after (see
/// [`crate::storage::db::SECONDARY_INDEXES`]).
const BULK_DOCS: u64 = 2_000;

/// A snapshot an opening thread opened, or one it could not: its document, why, and its
/// sealed bytes, to be set aside.
type Opened = std::result::Result<Box<Loaded>, Box<(Id, SetAsideReason, Vec<u8>)>>;

/// An opened snapshot.
struct Loaded {
    doc_id: Id,
    /// The document's saved bytes.
    bytes: Vec<u8>,
    content: Content,
}

/// What an opening thread made of a snapshot.
#[allow(clippy::large_enum_variant)] // Moved only inside the boxed `Loaded`.
enum Content {
    /// The index rows it carried, and the same rows deflated as they came; the document is
    /// loaded only if this device holds it already and must merge it.
    Rows(IndexSnapshot, Vec<u8>),
    /// The document, loaded because the snapshot carried no rows, and the rows read from it
    /// (`None` for the workspace document, indexed from itself).
    Doc(Automerge, Option<IndexSnapshot>),
}

/// Opens one snapshot whose signature was checked (`signed`: its envelope, or why it is set
/// aside), and loads its document if it carried no index rows.
fn open_snapshot(
    ws: &Ws,
    d: &DocSnapshot,
    signed: &std::result::Result<SignedEntry, SetAsideReason>,
) -> Opened {
    let aside = |reason| Err(Box::new((d.doc_id, reason, d.bytes.clone())));
    let envelope = match signed {
        Ok(s) => s.envelope,
        Err(reason) => return aside(*reason),
    };
    let Ok(plain) = ws.keys.open(Sealed::Snapshot, &ws.id, &d.doc_id, envelope) else {
        return aside(SetAsideReason::Unreadable);
    };
    let bytes = match snapshot::decode(plain) {
        Ok(Plain::WithRows(bytes, index, deflated)) => {
            return Ok(Box::new(Loaded {
                doc_id: d.doc_id,
                bytes,
                content: Content::Rows(index, deflated),
            }))
        }
        Ok(Plain::Doc(bytes)) => bytes,
        Err(_) => return aside(SetAsideReason::NotAChange),
    };
    let Ok(doc) = Automerge::load(&bytes) else {
        return aside(SetAsideReason::NotAChange);
    };
    // The writer decides whether the document is new; reading rows it may not need costs
    // little next to writing them, and this thread runs beside the writer.
    let index = index::read_new(&ws.id.to_hex(), &d.doc_id.to_hex(), &doc)
        .ok()
        .flatten()
        .map(|rows| IndexSnapshot {
            kind: documents::kind_of(&doc),
            rows,
        });
    Ok(Box::new(Loaded {
        doc_id: d.doc_id,
        bytes,
        content: Content::Doc(doc, index),
    }))
}

/// The plaintext a checkpoint seals for a stored document: its bytes with the index rows read
/// from it, or its bytes alone (the workspace document; a document that does not load, which
/// new devices skip as before; rows that would make the snapshot too large).
fn snapshot_plaintext(ws_hex: &str, doc_id: &str, bytes: Vec<u8>) -> Result<Vec<u8>> {
    let Ok(doc) = Automerge::load(&bytes) else {
        tracing::warn!("a stored document does not load; it is sent without index rows");
        return Ok(bytes);
    };
    let Ok(Some(rows)) = index::read_new(ws_hex, doc_id, &doc) else {
        return Ok(bytes);
    };
    let kind = documents::kind_of(&doc);
    drop(doc);
    let plain = snapshot::encode(&bytes, &IndexSnapshot { kind, rows })?;
    // The sealed snapshot must stay under the relay's limit: a header, its length and a tag
    // are added, and it is padded to its bucket, which stays under the limit as long as the
    // unpadded envelope does (the limit is a multiple of the largest bucket step).
    if plain.len() + crate::crypto::envelope::ENVELOPE_OVERHEAD
        > trellis_protocol::snapshot::MAX_SNAPSHOT_BYTES
    {
        return Ok(bytes);
    }
    Ok(plain)
}

/// What a checkpoint or a bootstrap moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CheckpointReport {
    /// The log seq the checkpoint covers.
    pub seq: u64,
    /// Documents uploaded or downloaded.
    pub docs: u64,
    /// Sealed bytes uploaded or downloaded.
    pub bytes: u64,
}

/// What a bootstrap brought.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Bootstrapped {
    /// Documents downloaded.
    pub docs: u64,
    /// Of those, documents loaded to index or merge them (see
    /// [`crate::SyncReport::bootstrap_loaded_docs`]).
    pub loaded: u64,
}

impl Store {
    /// Syncs, then uploads a checkpoint of every document of the current workspace at this
    /// device's cursor, so new devices start from it and the relay can compact its log.
    pub async fn checkpoint(&self) -> Result<CheckpointReport> {
        let sync = self.sync().await?;
        if sync.gaps > 0 {
            return Err(Error::Conflict(
                "this device is missing changes (see `status`): it cannot make a checkpoint".into(),
            ));
        }
        if self.status()?.set_aside > 0 {
            return Err(Error::Conflict(
                "this device set aside entries it could not apply (see `set-aside`): it cannot make a checkpoint".into(),
            ));
        }
        let ws = current_ws(&self.lock(), self.scope)?;
        let pending: i64 = self.lock().query_row(
            "SELECT count(*) FROM outbox WHERE ws = ?1",
            [ws.id.to_hex()],
            |r| r.get(0),
        )?;
        if pending > 0 {
            return Err(Error::Conflict(
                "changes were made during the checkpoint; try again".into(),
            ));
        }
        let (_, client) = self.connected()?;
        let info = self
            .guard(&ws, client.begin_checkpoint(&ws.id, ws.cursor).await)
            .await?;
        let mut report = CheckpointReport {
            seq: ws.cursor,
            ..Default::default()
        };
        let mut after = String::new();
        loop {
            let (docs, last) = self.docs_after(&ws, &after)?;
            let Some(last) = last else { break };
            let sealed = self.sign_snapshots(&ws, seal_snapshots(&ws, &docs)?)?;
            for body in upload_bodies(sealed) {
                report.docs += body.docs.len() as u64;
                report.bytes += body.docs.iter().map(|d| d.bytes.len() as u64).sum::<u64>();
                self.guard(
                    &ws,
                    client.upload_docs(&ws.id, &info.checkpoint_id, &body).await,
                )
                .await?;
            }
            after = last;
        }
        self.guard(
            &ws,
            client
                .complete_checkpoint(&ws.id, &info.checkpoint_id, report.docs)
                .await,
        )
        .await?;
        Ok(report)
    }

    /// Downloads a checkpoint and merges it into this device's documents, then moves the
    /// cursor to the seq it covers.
    ///
    /// Pipelined: the next page is requested before the current one is applied, so the relay
    /// reads it while this device stores the current one; within a page, other threads open
    /// the snapshots and inflate their index rows while this one writes the rows and stores
    /// the documents as they came (see [`merge_snapshots`](Self::merge_snapshots)). SQLite runs with a
    /// larger page cache meanwhile (see [`BOOTSTRAP_CACHE_KIB`]), and a large bootstrap into
    /// an empty workspace without its secondary indexes (see [`BULK_DOCS`]). Each page is one
    /// transaction: an interrupted bootstrap keeps the pages it committed, and the next sync
    /// starts it over, merging what it already holds.
    /// Signs sealed snapshots with this device's key, as they are uploaded.
    fn sign_snapshots(&self, ws: &Ws, sealed: Vec<DocSnapshot>) -> Result<Vec<DocSnapshot>> {
        let (signer, me, mark) = {
            let conn = self.lock();
            (
                device_signer(&conn)?,
                crate::sync::members::device_id(&conn)?,
                roster_mark(&conn, &ws.id)?,
            )
        };
        Ok(sealed
            .into_iter()
            .map(|d| DocSnapshot {
                bytes: sign_entry(
                    &signer,
                    &me,
                    Sealed::Snapshot,
                    &ws.id,
                    &d.doc_id,
                    mark,
                    &d.bytes,
                ),
                doc_id: d.doc_id,
            })
            .collect())
    }

    pub(crate) async fn bootstrap(
        &self,
        ws: &Ws,
        client: &RelayClient,
        info: &CheckpointInfo,
    ) -> Result<Bootstrapped> {
        // The checkpoint may be sealed with a key this device has not fetched yet (it was
        // cut after a rotation): fetch the keys first, or its snapshots would not open.
        self.refresh_keys(ws, client).await?;
        let fresh = current_ws(&self.lock(), self.scope)?;
        let ws = &fresh;
        // The roster the snapshots were signed under (a checkpoint is cut by an owner or admin
        // whose device this one may not know yet).
        let roster = self.refresh_roster(&ws.id, client).await?;
        let restore = self.enlarge_cache()?;
        // Into an empty workspace (a new device), every row is new: indexing them all once at
        // the end beats inserting each into every index. Not when documents are here already:
        // merging them rewrites their rows, which finds them through those indexes.
        let bulk = info.docs >= BULK_DOCS && self.holds_no_documents(ws)?;
        if bulk {
            crate::storage::db::drop_secondary_indexes(&mut self.lock())?;
        }
        let mut result = self
            .download_and_merge(ws, client, info, &roster, bulk)
            .await;
        if bulk {
            // Also after a failure: the pages committed so far are read through them.
            let made = crate::storage::db::ensure_secondary_indexes(&mut self.lock());
            result = result.and_then(|r| made.map(|()| r));
        }
        self.restore_cache(restore);
        let report = result?;
        self.lock().execute(
            "UPDATE workspaces SET cursor = ?2 WHERE id = ?1 AND cursor < ?2",
            params![ws.id.to_hex(), info.seq as i64],
        )?;
        Ok(report)
    }

    async fn download_and_merge(
        &self,
        ws: &Ws,
        client: &RelayClient,
        info: &CheckpointInfo,
        roster: &Roster,
        bulk: bool,
    ) -> Result<Bootstrapped> {
        let mut report = Bootstrapped::default();
        let download = |after: Option<Id>| async move {
            let batch = client
                .download_docs(&ws.id, &info.checkpoint_id, after.as_ref(), DOWNLOAD_DOCS)
                .await;
            self.guard(ws, batch).await
        };
        let mut batch = download(None).await?;
        loop {
            report.docs += batch.docs.len() as u64;
            let after = batch.docs.last().map(|d| d.doc_id);
            let more = batch.more && after.is_some();
            if !more {
                report.loaded += self.merge_snapshots(ws, roster, &batch.docs, bulk)?;
                return Ok(report);
            }
            // The request for the next page is sent before this page is applied (joined,
            // `download` is polled first), so the relay works while this thread does.
            let (next, applied) = futures_util::future::join(download(after), async {
                self.merge_snapshots(ws, roster, &batch.docs, bulk)
            })
            .await;
            report.loaded += applied?;
            batch = next?;
        }
    }

    /// Whether this device stores no document of the workspace but (at most) its workspace
    /// document, which joining stores.
    fn holds_no_documents(&self, ws: &Ws) -> Result<bool> {
        let ws_hex = ws.id.to_hex();
        let others: i64 = self.lock().query_row(
            "SELECT count(*) FROM documents WHERE ws = ?1 AND doc_id <> ?1",
            [&ws_hex],
            |r| r.get(0),
        )?;
        Ok(others == 0)
    }

    /// Sets SQLite's page cache to [`BOOTSTRAP_CACHE_KIB`] if it is smaller; returns the size
    /// to restore.
    fn enlarge_cache(&self) -> Result<Option<i64>> {
        let conn = self.lock();
        let before: i64 = conn.pragma_query_value(None, "cache_size", |r| r.get(0))?;
        // Negative: KiB; positive: pages (of 4 KiB here).
        let kib = if before < 0 { -before } else { before * 4 };
        if kib >= BOOTSTRAP_CACHE_KIB {
            return Ok(None);
        }
        conn.pragma_update(None, "cache_size", -BOOTSTRAP_CACHE_KIB)?;
        Ok(Some(before))
    }

    fn restore_cache(&self, before: Option<i64>) {
        if let Some(before) = before {
            if let Err(e) = self.lock().pragma_update(None, "cache_size", before) {
                tracing::warn!("could not restore the page cache size after a bootstrap: {e}");
            }
        }
    }

    /// Merges downloaded snapshots into the local documents, in one transaction. Opening
    /// threads (one a core, at most [`MAX_OPENERS`]) decrypt the snapshots and inflate the
    /// index rows they carry (loading, and reading the rows of, any that carry none) while this
    /// one writes the rows and stores each new document's bytes unloaded; a document this
    /// device holds already is loaded and merged. Returns how many documents were loaded.
    #[cfg(not(target_arch = "wasm32"))]
    fn merge_snapshots(
        &self,
        ws: &Ws,
        roster: &Roster,
        docs: &[DocSnapshot],
        bulk: bool,
    ) -> Result<u64> {
        self.mark(ws);
        let checked = check_snapshots(ws, roster, docs);
        let checked = &checked;
        let openers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, MAX_OPENERS);
        let next = AtomicUsize::new(0);
        std::thread::scope(|s| {
            // Each opener takes the next snapshot nobody has taken, so one large document
            // (a year's logbook) holds up one opener, not the others; the writer stores them
            // as they come (documents of a checkpoint are distinct, so the order is free).
            let (send, loaded) = std::sync::mpsc::sync_channel::<Opened>(OPENED_AHEAD * openers);
            for _ in 0..openers {
                let (send, next) = (send.clone(), &next);
                s.spawn(move || {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let (Some(d), Some(signed)) = (docs.get(i), checked.get(i)) else {
                            break;
                        };
                        if send.send(open_snapshot(ws, d, signed)).is_err() {
                            // The writer stopped (an error): nothing more to open.
                            return;
                        }
                    }
                });
            }
            // The writer's iteration ends when every opener is done.
            drop(send);
            self.write_snapshots(ws, loaded, bulk)
        })
    }

    /// [`Self::merge_snapshots`] in a browser, which has no threads: each snapshot is opened
    /// as the writer comes to it.
    #[cfg(target_arch = "wasm32")]
    fn merge_snapshots(
        &self,
        ws: &Ws,
        roster: &Roster,
        docs: &[DocSnapshot],
        bulk: bool,
    ) -> Result<u64> {
        self.mark(ws);
        let checked = check_snapshots(ws, roster, docs);
        self.write_snapshots(
            ws,
            docs.iter()
                .zip(&checked)
                .map(|(d, signed)| open_snapshot(ws, d, signed)),
            bulk,
        )
    }

    /// The writer of [`Self::merge_snapshots`]: stores the opened snapshots as they come, in
    /// one transaction.
    fn write_snapshots(
        &self,
        ws: &Ws,
        loaded: impl IntoIterator<Item = Opened>,
        bulk: bool,
    ) -> Result<u64> {
        let ws_hex = ws.id.to_hex();
        let mut conn = self.lock();
        let tx = Tx::new(conn.transaction()?, &self.docs);
        let mut loads = 0u64;
        for opened in loaded {
            // A snapshot that does not open or load never stops the others: it is set aside
            // (counted in `status`, listed by `set-aside`) as a log entry would be.
            let loaded = match opened {
                Ok(loaded) => loaded,
                Err(skipped) => {
                    let (doc_id, reason, sealed) = *skipped;
                    set_aside::record(
                        &tx,
                        &ws_hex,
                        None,
                        &doc_id.to_hex(),
                        reason,
                        "a checkpoint's snapshot of the document",
                        &sealed,
                        None,
                    )?;
                    continue;
                }
            };
            let Loaded {
                doc_id,
                bytes,
                content,
            } = *loaded;
            let doc_hex = doc_id.to_hex();
            if matches!(content, Content::Doc(..)) {
                loads += 1;
            }
            match tx.load(&ws_hex, &doc_hex)? {
                Some((mut local, stored)) => {
                    let mut snap = match content {
                        Content::Doc(doc, _) => doc,
                        Content::Rows(..) => match Automerge::load(&bytes) {
                            Ok(doc) => {
                                loads += 1;
                                doc
                            }
                            Err(_) => {
                                tracing::warn!(
                                    "skipped a snapshot that is not an automerge document"
                                );
                                continue;
                            }
                        },
                    };
                    let before = local.get_heads();
                    local.merge(&mut snap)?;
                    index::reindex(&tx, &ws_hex, &doc_hex, &local)?;
                    tx.save(&ws_hex, &doc_hex, local, &before, Some(stored))?;
                }
                None => match content {
                    // In bulk, the full-text rows are left for the search catch-up.
                    Content::Rows(index, deflated) if bulk => {
                        index::write_new(&tx, &ws_hex, &doc_hex, &index.rows, false)?;
                        index::defer_search(&tx, &ws_hex, &doc_hex, &deflated)?;
                        tx.insert_snapshot(&ws_hex, &doc_hex, index.kind, &bytes)?;
                    }
                    Content::Rows(index, _) | Content::Doc(_, Some(index)) => {
                        index::write_new(&tx, &ws_hex, &doc_hex, &index.rows, true)?;
                        tx.insert_snapshot(&ws_hex, &doc_hex, index.kind, &bytes)?;
                    }
                    // The workspace document (or rows that could not be read): indexed
                    // from the document itself.
                    Content::Doc(doc, None) => {
                        index::reindex(&tx, &ws_hex, &doc_hex, &doc)?;
                        tx.insert_snapshot(&ws_hex, &doc_hex, documents::kind_of(&doc), &bytes)?;
                    }
                },
            }
        }
        tx.commit()?;
        Ok(loads)
    }

    /// Reads stored documents after a doc id, up to the upload size; returns them and the last
    /// doc id among them (`None` when there are no more).
    #[allow(clippy::type_complexity)]
    fn docs_after(&self, ws: &Ws, after: &str) -> Result<(Vec<(Id, Vec<u8>)>, Option<String>)> {
        let conn = self.lock();
        let ws_hex = ws.id.to_hex();
        let mut st = conn.prepare_cached(
            "SELECT doc_id FROM documents WHERE ws = ?1 AND doc_id > ?2 ORDER BY doc_id",
        )?;
        let mut rows = st.query(params![ws_hex, after])?;
        let mut docs = Vec::new();
        let (mut size, mut last) = (0usize, None);
        while let Some(row) = rows.next()? {
            let doc: String = row.get(0)?;
            let bytes = docstore::stored_bytes(&conn, &ws_hex, &doc)?;
            let doc_id: Id = doc
                .parse()
                .map_err(|_| Error::invalid("a document id in this store is damaged"))?;
            size += bytes.len();
            docs.push((doc_id, bytes));
            last = Some(doc);
            if size >= UPLOAD_BYTES
                || docs.len() >= trellis_protocol::snapshot::MAX_SNAPSHOTS_PER_BODY
            {
                break;
            }
        }
        Ok((docs, last))
    }
}

/// Seals documents for a checkpoint, each with its index rows (see `index/snapshot.rs`), on several
/// threads (reading the rows means loading each document); in the order given.
#[cfg(not(target_arch = "wasm32"))]
fn seal_snapshots(ws: &Ws, docs: &[(Id, Vec<u8>)]) -> Result<Vec<DocSnapshot>> {
    let ws_hex = ws.id.to_hex();
    let seal = |(doc_id, bytes): &(Id, Vec<u8>)| -> Result<DocSnapshot> {
        let plain = snapshot_plaintext(&ws_hex, &doc_id.to_hex(), bytes.clone())?;
        Ok(DocSnapshot {
            doc_id: *doc_id,
            bytes: ws.keys.seal(Sealed::Snapshot, &ws.id, doc_id, &plain),
        })
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, MAX_OPENERS);
    let per = docs.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let seal = &seal;
        let workers: Vec<_> = docs
            .chunks(per)
            .map(|chunk| s.spawn(move || chunk.iter().map(seal).collect::<Result<Vec<_>>>()))
            .collect();
        let mut sealed = Vec::with_capacity(docs.len());
        for worker in workers {
            let part = worker
                .join()
                .map_err(|_| Error::invalid("sealing the checkpoint failed"))??;
            sealed.extend(part);
        }
        Ok(sealed)
    })
}

/// [`seal_snapshots`] in a browser, which has no threads: one document after the other.
#[cfg(target_arch = "wasm32")]
fn seal_snapshots(ws: &Ws, docs: &[(Id, Vec<u8>)]) -> Result<Vec<DocSnapshot>> {
    let ws_hex = ws.id.to_hex();
    docs.iter()
        .map(|(doc_id, bytes)| {
            let plain = snapshot_plaintext(&ws_hex, &doc_id.to_hex(), bytes.clone())?;
            Ok(DocSnapshot {
                doc_id: *doc_id,
                bytes: ws.keys.seal(Sealed::Snapshot, &ws.id, doc_id, &plain),
            })
        })
        .collect()
}

/// Checks the signatures of a page of snapshots (all at once): each must be signed by a
/// device of the roster whose member is an owner or admin (only they cut checkpoints).
fn check_snapshots<'a>(
    ws: &Ws,
    roster: &Roster,
    docs: &'a [DocSnapshot],
) -> Vec<std::result::Result<SignedEntry<'a>, SetAsideReason>> {
    let split: Vec<Option<SignedEntry>> =
        docs.iter().map(|d| SignedEntry::split(&d.bytes)).collect();
    let claims = docs
        .iter()
        .zip(&split)
        .map(|(d, s)| {
            let s = s.ok_or(SetAsideReason::Unsigned)?;
            let cuts = roster
                .devices
                .get(&s.signer)
                .and_then(|dev| roster.members.get(&dev.member))
                .is_some_and(|m| m.role.can_invite_members());
            if !cuts {
                return Err(SetAsideReason::Unsigned);
            }
            Ok(verify::Claim {
                trailer: Trailer {
                    signer: s.signer,
                    roster: s.roster,
                    signature: s.signature,
                },
                message: s.message(Sealed::Snapshot, &ws.id, &d.doc_id),
            })
        })
        .collect();
    verify::check_claims(roster, claims)
        .into_iter()
        .zip(split)
        .map(|(check, s)| check.and_then(|()| s.ok_or(SetAsideReason::Unsigned)))
        .collect()
}

/// Splits sealed snapshots into upload bodies of about [`UPLOAD_BYTES`] (at least one each).
fn upload_bodies(sealed: Vec<DocSnapshot>) -> Vec<DocBatch> {
    let mut bodies = Vec::new();
    let mut body = DocBatch::default();
    let mut size = 0usize;
    for d in sealed {
        if !body.docs.is_empty()
            && (size + d.bytes.len() > UPLOAD_BYTES
                || body.docs.len() >= trellis_protocol::snapshot::MAX_SNAPSHOTS_PER_BODY)
        {
            bodies.push(std::mem::take(&mut body));
            size = 0;
        }
        size += d.bytes.len();
        body.docs.push(d);
    }
    if !body.docs.is_empty() {
        bodies.push(body);
    }
    bodies
}
