//! The log in PostgreSQL: a push under the workspace's row lock, a pull from one snapshot,
//! the head, and the state a pull's headers report (key epoch, rotation mark, roster head).
//!
//! A push locks the workspace's row (concurrent pushes to it queue there, whichever process
//! serves them), refuses entries sealed with an older key ([`policy::check_sealed_with`]),
//! looks its entries up by `(doc_id, change_hash)` in one query (a retry keeps its seqs),
//! inserts the new ones at the next seqs in one statement, moves the head and announces it on
//! commit. A pull from below the log floor is refused ([`policy::check_floor`]); otherwise it
//! returns entries in seq order under the byte budget of [`Page`].

use trellis_protocol::batch::{LogEntry, PullBatch, PushEntry};
use trellis_protocol::Id;

use super::roster;
use super::{all, b, exec, notify, opt, Tx, HEADS_CHANNEL};
use crate::storage::records::{pull_batch, to_change_hash, to_epoch, to_id, to_seq, Page};
use crate::storage::{
    policy, LogQuota, PullQuery, PushOutcome, StorageError, StorageResult, SyncState,
};

pub(super) async fn push(
    tx: &Tx<'_>,
    workspace: &Id,
    entries: &[PushEntry],
    sealed_with: Option<u32>,
    quota: LogQuota,
) -> StorageResult<PushOutcome> {
    // The row lock queues concurrent pushes to this workspace, whichever process serves them.
    let state = opt(
        tx,
        "SELECT head, key_epoch, rotation_needed, log_entries, log_bytes FROM workspaces
         WHERE id = $1 FOR UPDATE",
        &[&b(workspace)],
    )
    .await?
    .ok_or(StorageError::NotFound)?;
    let mut head: i64 = state.try_get(0)?;
    let key_epoch = to_epoch(state.try_get(1)?)?;
    let rotation_needed: bool = state.try_get(2)?;
    let mut size = policy::LogSize {
        entries: to_seq(state.try_get(3)?)?,
        bytes: to_seq(state.try_get(4)?)?,
    };
    policy::check_sealed_with(sealed_with, key_epoch)?;
    let ws = b(workspace);
    // The entries already stored, in one query: a retry keeps their seqs.
    let docs: Vec<&[u8]> = entries.iter().map(|e| b(&e.doc_id)).collect();
    let hashes: Vec<&[u8]> = entries.iter().map(|e| e.change_hash.as_slice()).collect();
    let mut known = std::collections::HashMap::new();
    for row in all(
        tx,
        "SELECT l.doc_id, l.change_hash, l.seq FROM log l
         JOIN unnest($2::bytea[], $3::bytea[]) AS e(doc_id, change_hash)
           ON l.doc_id = e.doc_id AND l.change_hash = e.change_hash
         WHERE l.workspace_id = $1",
        &[&ws, &docs, &hashes],
    )
    .await?
    {
        let key: (Vec<u8>, Vec<u8>) = (row.try_get(0)?, row.try_get(1)?);
        known.insert(key, row.try_get::<_, i64>(2)?);
    }
    let mut seqs = Vec::with_capacity(entries.len());
    let (mut new_seqs, mut new_docs, mut new_hashes, mut new_bytes) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for e in entries {
        let key = (e.doc_id.as_bytes().to_vec(), e.change_hash.to_vec());
        let seq = match known.get(&key) {
            Some(&seq) => seq,
            None => {
                size = policy::grow_log(size, e.bytes.len() as u64, quota)?;
                head += 1;
                known.insert(key, head);
                new_seqs.push(head);
                new_docs.push(b(&e.doc_id));
                new_hashes.push(e.change_hash.as_slice());
                new_bytes.push(e.bytes.as_slice());
                head
            }
        };
        seqs.push(to_seq(seq)?);
    }
    let stored = new_seqs.len() as u64;
    if stored > 0 {
        exec(
            tx,
            "INSERT INTO log (workspace_id, seq, doc_id, change_hash, bytes)
             SELECT $1, * FROM unnest($2::bigint[], $3::bytea[], $4::bytea[], $5::bytea[])",
            &[&ws, &new_seqs, &new_docs, &new_hashes, &new_bytes],
        )
        .await?;
        exec(
            tx,
            "UPDATE workspaces SET head = $1, log_entries = $3, log_bytes = $4 WHERE id = $2",
            &[
                &head,
                &ws,
                &i64::try_from(size.entries).unwrap_or(i64::MAX),
                &i64::try_from(size.bytes).unwrap_or(i64::MAX),
            ],
        )
        .await?;
        notify(tx, HEADS_CHANNEL, &format!("{} {head}", workspace.to_hex())).await?;
    }
    Ok(PushOutcome {
        seqs,
        stored,
        head: to_seq(head)?,
        key_epoch,
        rotation_needed,
        roster_head: roster::head(tx, workspace).await?,
    })
}

/// The key state and the roster head (the caller's transaction reads one snapshot).
pub(super) async fn sync_state(tx: &Tx<'_>, workspace: &Id) -> StorageResult<SyncState> {
    let row = opt(
        tx,
        "SELECT key_epoch, rotation_needed FROM workspaces WHERE id = $1",
        &[&b(workspace)],
    )
    .await?
    .ok_or(StorageError::NotFound)?;
    Ok(SyncState {
        key_epoch: to_epoch(row.try_get(0)?)?,
        rotation_needed: row.try_get(1)?,
        roster_head: roster::head(tx, workspace).await?,
    })
}

pub(super) async fn pull(tx: &Tx<'_>, workspace: &Id, q: PullQuery) -> StorageResult<PullBatch> {
    let ws = b(workspace);
    let (head, floor) = match opt(
        tx,
        "SELECT head, log_floor FROM workspaces WHERE id = $1",
        &[&ws],
    )
    .await?
    {
        Some(row) => (to_seq(row.try_get(0)?)?, to_seq(row.try_get(1)?)?),
        None => (0, 0),
    };
    policy::check_floor(q.after, floor)?;
    let after = i64::try_from(q.after).unwrap_or(i64::MAX);
    let limit = i64::try_from(q.limit).unwrap_or(i64::MAX);
    let mut page = Page::new(q.max_bytes);
    for row in all(
        tx,
        "SELECT seq, doc_id, change_hash, bytes FROM log
         WHERE workspace_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        &[&ws, &after, &limit],
    )
    .await?
    {
        let bytes: Vec<u8> = row.try_get(3)?;
        if !page.fits(bytes.len()) {
            break;
        }
        let len = bytes.len();
        let entry = LogEntry {
            seq: to_seq(row.try_get(0)?)?,
            doc_id: to_id(row.try_get(1)?)?,
            change_hash: to_change_hash(row.try_get(2)?)?,
            bytes,
        };
        page.push(entry, len);
    }
    Ok(pull_batch(head, q.after, page.into_items()))
}

pub(super) async fn head(tx: &Tx<'_>, workspace: &Id) -> StorageResult<u64> {
    let row = opt(
        tx,
        "SELECT head FROM workspaces WHERE id = $1",
        &[&b(workspace)],
    )
    .await?;
    match row {
        Some(row) => to_seq(row.try_get(0)?),
        None => Ok(0),
    }
}
