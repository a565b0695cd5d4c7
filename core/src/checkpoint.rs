//! Checkpoints: making them, and bootstrapping a device from one.
//!
//! A checkpoint is every document of the workspace as this device holds it once its outbox is
//! empty and its cursor is `S`, each sealed with the newest workspace key, uploaded to the
//! relay (see `trellis_protocol::snapshot`). A new device, or one so far behind that the relay
//! compacted what it needs (`410 compacted`), downloads the snapshots, merges each into what it
//! holds (its own unpushed changes stay), rewrites the index and moves its cursor to `S`; then
//! it pulls the log after `S` as usual. Applying the same change twice is a no-op in automerge,
//! so snapshots that hold more than `S` covers are harmless.

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
const DOWNLOAD_DOCS: usize = 500;

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
    pub(crate) async fn bootstrap(
        &self,
        ws: &Ws,
        client: &RelayClient,
        info: &CheckpointInfo,
    ) -> Result<CheckpointReport> {
        let mut report = CheckpointReport {
            seq: info.seq,
            ..Default::default()
        };
        let mut after: Option<Id> = None;
        loop {
            let batch = self
                .guard(
                    ws,
                    client
                        .download_docs(&ws.id, &info.checkpoint_id, after.as_ref(), DOWNLOAD_DOCS)
                        .await,
                )
                .await?;
            report.docs += batch.docs.len() as u64;
            report.bytes += batch.docs.iter().map(|d| d.bytes.len() as u64).sum::<u64>();
            self.merge_snapshots(ws, &batch.docs)?;
            after = batch.docs.last().map(|d| d.doc_id);
            if !batch.more || after.is_none() {
                break;
            }
        }
        self.lock().execute(
            "UPDATE workspaces SET cursor = ?2 WHERE id = ?1 AND cursor < ?2",
            params![ws.id.to_hex(), info.seq as i64],
        )?;
        Ok(report)
    }

    /// Merges downloaded snapshots into the local documents, in one transaction.
    fn merge_snapshots(&self, ws: &Ws, docs: &[DocSnapshot]) -> Result<()> {
        self.mark(ws);
        let mut conn = self.lock();
        let tx = Tx::new(conn.transaction()?, &self.docs);
        let ws_hex = ws.id.to_hex();
        for d in docs {
            // A snapshot that does not open or load is skipped: the log after it still
            // carries what later changes need, and a gap would be reported.
            let Ok(plain) = ws.keys.open(&ws.id, &d.doc_id, &d.bytes) else {
                tracing::warn!("skipped a snapshot that does not open with the workspace key");
                continue;
            };
            let Ok(mut snap) = Automerge::load(&plain) else {
                tracing::warn!("skipped a snapshot that is not an automerge document");
                continue;
            };
            let doc_hex = d.doc_id.to_hex();
            match tx.load(&ws_hex, &doc_hex)? {
                Some((mut local, stored)) => {
                    let before = local.get_heads();
                    local.merge(&mut snap)?;
                    index::reindex(&tx, &ws_hex, &doc_hex, &local)?;
                    tx.save(&ws_hex, &doc_hex, local, &before, Some(stored))?;
                }
                None => {
                    index::reindex(&tx, &ws_hex, &doc_hex, &snap)?;
                    tx.insert_loaded(&ws_hex, &doc_hex, &snap, &plain)?;
                }
            }
        }
        tx.commit()?;
        Ok(())
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
