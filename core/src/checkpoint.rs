//! Checkpoints: making them, and bootstrapping a device from one.
//!
//! A checkpoint is every document of the workspace as this device holds it once its outbox is
//! empty and its cursor is `S`, each sealed with the newest workspace key, uploaded to the
//! relay (see `trellis_protocol::snapshot`). A new device, or one so far behind that the relay
//! compacted what it needs (`410 compacted`), downloads the snapshots, merges each into what it
//! holds (its own unpushed changes stay), rewrites the index and moves its cursor to `S`; then
//! it pulls the log after `S` as usual. Applying the same change twice is a no-op in automerge,
//! so snapshots that hold more than `S` covers are harmless.

use std::sync::atomic::{AtomicUsize, Ordering};

use automerge::Automerge;
use rusqlite::params;
use serde::{Deserialize, Serialize};
use trellis_protocol::snapshot::{CheckpointInfo, DocBatch, DocSnapshot};
use trellis_protocol::Id;

use crate::client::RelayClient;
use crate::docstore::{self, Tx};
use crate::error::{Error, Result};
use crate::index;
use crate::store::{current_ws, Store, Ws};

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
const OPENED_AHEAD: usize = 16;
/// Most threads opening snapshots while one stores them.
const MAX_OPENERS: usize = 4;

/// A snapshot the opening thread opened and loaded; `None` when it does not open with the
/// workspace key or is not an automerge document.
type Opened = Option<Box<Loaded>>;

/// An opened, loaded snapshot.
struct Loaded {
    doc_id: Id,
    plain: Vec<u8>,
    snap: Automerge,
    /// Its index rows, if it is new here (read on the opening thread; the writer reindexes
    /// a document it already holds from the merge).
    rows: Option<index::NewRows>,
}

/// Opens and loads one snapshot.
fn open_snapshot(ws: &Ws, d: &DocSnapshot) -> Opened {
    let Ok(plain) = ws.keys.open(&ws.id, &d.doc_id, &d.bytes) else {
        tracing::warn!("skipped a snapshot that does not open with the workspace key");
        return None;
    };
    let Ok(snap) = Automerge::load(&plain) else {
        tracing::warn!("skipped a snapshot that is not an automerge document");
        return None;
    };
    // The writer decides whether the document is new; reading rows it may not need costs
    // little next to writing them, and this thread runs beside the writer.
    let rows = index::read_new(&ws.id.to_hex(), &d.doc_id.to_hex(), &snap).ok();
    Some(Box::new(Loaded {
        doc_id: d.doc_id,
        plain,
        snap,
        rows,
    }))
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
        let ws = current_ws(&self.lock())?;
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
            let (batch, last) = self.seal_docs_after(&ws, &after)?;
            let Some(last) = last else { break };
            report.docs += batch.docs.len() as u64;
            report.bytes += batch.docs.iter().map(|d| d.bytes.len() as u64).sum::<u64>();
            self.guard(
                &ws,
                client
                    .upload_docs(&ws.id, &info.checkpoint_id, &batch)
                    .await,
            )
            .await?;
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
    /// reads it while this device stores the current one; within a page, a second thread opens
    /// and loads the snapshots while this one indexes and stores them. SQLite runs with a
    /// larger page cache meanwhile (see [`BOOTSTRAP_CACHE_KIB`]). Each page is one
    /// transaction: an interrupted bootstrap keeps the pages it committed, and the next sync
    /// starts it over, merging what it already holds.
    pub(crate) async fn bootstrap(
        &self,
        ws: &Ws,
        client: &RelayClient,
        info: &CheckpointInfo,
    ) -> Result<CheckpointReport> {
        let restore = self.enlarge_cache()?;
        let result = self.download_and_merge(ws, client, info).await;
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
    ) -> Result<CheckpointReport> {
        let mut report = CheckpointReport {
            seq: info.seq,
            ..Default::default()
        };
        let download = |after: Option<Id>| async move {
            let batch = client
                .download_docs(&ws.id, &info.checkpoint_id, after.as_ref(), DOWNLOAD_DOCS)
                .await;
            self.guard(ws, batch).await
        };
        let mut batch = download(None).await?;
        loop {
            report.docs += batch.docs.len() as u64;
            report.bytes += batch.docs.iter().map(|d| d.bytes.len() as u64).sum::<u64>();
            let after = batch.docs.last().map(|d| d.doc_id);
            let more = batch.more && after.is_some();
            if !more {
                self.merge_snapshots(ws, &batch.docs)?;
                return Ok(report);
            }
            // The request for the next page is sent before this page is applied (joined,
            // `download` is polled first), so the relay works while this thread does.
            let (next, applied) = futures_util::future::join(download(after), async {
                self.merge_snapshots(ws, &batch.docs)
            })
            .await;
            applied?;
            batch = next?;
        }
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
    /// threads (one a core, at most [`MAX_OPENERS`]) decrypt, load and read the index rows of
    /// the snapshots while this one writes them.
    fn merge_snapshots(&self, ws: &Ws, docs: &[DocSnapshot]) -> Result<()> {
        self.mark(ws);
        let ws_hex = ws.id.to_hex();
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
                    while let Some(d) = docs.get(next.fetch_add(1, Ordering::Relaxed)) {
                        if send.send(open_snapshot(ws, d)).is_err() {
                            // The writer stopped (an error): nothing more to open.
                            return;
                        }
                    }
                });
            }
            // The writer's iteration ends when every opener is done.
            drop(send);
            let mut conn = self.lock();
            let tx = Tx::new(conn.transaction()?, &self.docs);
            for opened in loaded {
                // A snapshot that does not open or load is skipped: the log after it still
                // carries what later changes need, and a gap would be reported.
                let Some(loaded) = opened else {
                    continue;
                };
                let Loaded {
                    doc_id,
                    plain,
                    mut snap,
                    rows,
                } = *loaded;
                let doc_hex = doc_id.to_hex();
                match tx.load(&ws_hex, &doc_hex)? {
                    Some((mut local, stored)) => {
                        let before = local.get_heads();
                        local.merge(&mut snap)?;
                        index::reindex(&tx, &ws_hex, &doc_hex, &local)?;
                        tx.save(&ws_hex, &doc_hex, local, &before, Some(stored))?;
                    }
                    None => {
                        let rows = match rows {
                            Some(rows) => rows,
                            None => index::read_new(&ws_hex, &doc_hex, &snap)?,
                        };
                        index::write_new(&tx, &ws_hex, &doc_hex, &snap, &rows)?;
                        tx.insert_loaded(&ws_hex, &doc_hex, &snap, &plain)?;
                    }
                }
            }
            tx.commit()
        })
    }

    /// Seals stored documents after a doc id, up to the upload size; returns the batch and the
    /// last doc id in it (`None` when there are no more).
    fn seal_docs_after(&self, ws: &Ws, after: &str) -> Result<(DocBatch, Option<String>)> {
        let conn = self.lock();
        let ws_hex = ws.id.to_hex();
        let mut st = conn.prepare(
            "SELECT doc_id FROM documents WHERE ws = ?1 AND doc_id > ?2 ORDER BY doc_id",
        )?;
        let mut rows = st.query(params![ws_hex, after])?;
        let mut batch = DocBatch::default();
        let (mut size, mut last) = (0usize, None);
        while let Some(row) = rows.next()? {
            let doc: String = row.get(0)?;
            let bytes = docstore::stored_bytes(&conn, &ws_hex, &doc)?;
            let doc_id: Id = doc
                .parse()
                .map_err(|_| Error::invalid("a document id in this store is damaged"))?;
            let sealed = ws.keys.seal(&ws.id, &doc_id, &bytes);
            size += sealed.len();
            batch.docs.push(DocSnapshot {
                doc_id,
                bytes: sealed,
            });
            last = Some(doc);
            if size >= UPLOAD_BYTES
                || batch.docs.len() >= trellis_protocol::snapshot::MAX_SNAPSHOTS_PER_BODY
            {
                break;
            }
        }
        Ok((batch, last))
    }
}
