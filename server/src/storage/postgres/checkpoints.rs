//! Checkpoints in PostgreSQL: the same rules as `storage/sqlite/checkpoints.rs` (decided by
//! [`policy::check_begin`] and [`policy::check_complete`]), with
//! `checkpoints.started` (an identity column) in place of SQLite's rowid to tell which
//! checkpoint was begun first. Writes take the workspace's row lock first, like every write.
//!
//! Completing a checkpoint marks the log entries it covers compacted (`log.compacted_at`) and
//! takes them off the quota counters; they are pulled like any other until their grace period
//! is over, when a purge (at the next completion, or the relay's hourly `purge_compacted`)
//! deletes them as a run of the oldest seqs and raises `workspaces.log_floor`, the lowest seq
//! still stored ([`policy::purge_cutoff`], [`policy::purge_through`]).

use trellis_protocol::snapshot::{CheckpointInfo, DocBatch, DocSnapshot};
use trellis_protocol::Id;

use super::members::lock_for;
use super::{all, b, exec, lock_workspace, one, opt, Tx};
use crate::storage::records::{to_id, to_seq, Page};
use crate::storage::{
    policy, CheckpointRefusal, Compaction, DeviceAuth, DocsQuery, NewCheckpoint, StorageError,
    StorageResult, STALE_CHECKPOINT_SECONDS,
};

/// The seq covered by the newest complete checkpoint of a workspace, if any.
async fn newest_complete_seq(tx: &Tx<'_>, ws: &[u8]) -> StorageResult<Option<u64>> {
    let seq: Option<i64> = one(
        tx,
        "SELECT max(seq) FROM checkpoints WHERE workspace_id = $1 AND complete",
        &[&ws],
    )
    .await?
    .try_get(0)?;
    seq.map(to_seq).transpose()
}

/// Whether a checkpoint exists and is complete; [`StorageError::NotFound`] if it does not
/// exist.
async fn is_complete(tx: &Tx<'_>, ws: &[u8], checkpoint: &Id) -> StorageResult<bool> {
    Ok(opt(
        tx,
        "SELECT complete FROM checkpoints WHERE workspace_id = $1 AND checkpoint_id = $2",
        &[&ws, &b(checkpoint)],
    )
    .await?
    .ok_or(StorageError::NotFound)?
    .try_get(0)?)
}

/// A checkpoint's document count and sealed bytes.
async fn doc_totals(tx: &Tx<'_>, ws: &[u8], checkpoint: &Id) -> StorageResult<(u64, u64)> {
    let row = one(
        tx,
        "SELECT count(*), coalesce(sum(length(bytes)), 0)::bigint FROM checkpoint_docs
         WHERE workspace_id = $1 AND checkpoint_id = $2",
        &[&ws, &b(checkpoint)],
    )
    .await?;
    Ok((to_seq(row.try_get(0)?)?, to_seq(row.try_get(1)?)?))
}

pub(super) async fn begin(
    tx: &Tx<'_>,
    actor: &DeviceAuth,
    new: &NewCheckpoint,
) -> StorageResult<CheckpointInfo> {
    policy::may_checkpoint(lock_for(tx, actor).await?)?;
    let ws = b(&actor.workspace_id);
    let head = to_seq(lock_workspace(tx, &actor.workspace_id).await?)?;
    policy::check_begin(new.seq, head, newest_complete_seq(tx, ws).await?)?;
    // Checkpoints begun long ago and never completed were abandoned: drop them, then count
    // the ones under way.
    let stale_before = new.now - STALE_CHECKPOINT_SECONDS;
    exec(
        tx,
        "DELETE FROM checkpoint_docs WHERE workspace_id = $1 AND checkpoint_id IN
         (SELECT checkpoint_id FROM checkpoints
          WHERE workspace_id = $1 AND NOT complete AND created_at < $2)",
        &[&ws, &stale_before],
    )
    .await?;
    exec(
        tx,
        "DELETE FROM checkpoints WHERE workspace_id = $1 AND NOT complete AND created_at < $2",
        &[&ws, &stale_before],
    )
    .await?;
    let open: i64 = one(
        tx,
        "SELECT count(*) FROM checkpoints WHERE workspace_id = $1 AND NOT complete",
        &[&ws],
    )
    .await?
    .try_get(0)?;
    policy::check_open_checkpoints(to_seq(open)?)?;
    // `seq <= head`, which came from a bigint column, so it fits.
    let seq = i64::try_from(new.seq).map_err(|_| StorageError::Corrupt("seq"))?;
    exec(
        tx,
        "INSERT INTO checkpoints (workspace_id, checkpoint_id, seq, complete, created_at)
         VALUES ($1, $2, $3, false, $4)",
        &[&ws, &b(&new.checkpoint_id), &seq, &new.now],
    )
    .await?;
    Ok(CheckpointInfo {
        checkpoint_id: new.checkpoint_id,
        seq: new.seq,
        docs: 0,
        bytes: 0,
    })
}

pub(super) async fn put_docs(
    tx: &Tx<'_>,
    workspace: &Id,
    checkpoint: &Id,
    docs: &[DocSnapshot],
) -> StorageResult<()> {
    lock_workspace(tx, workspace).await?;
    let ws = b(workspace);
    if is_complete(tx, ws, checkpoint).await? {
        return Err(CheckpointRefusal::AlreadyComplete.into());
    }
    for doc in docs {
        exec(
            tx,
            "INSERT INTO checkpoint_docs (workspace_id, checkpoint_id, doc_id, bytes)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (workspace_id, checkpoint_id, doc_id)
             DO UPDATE SET bytes = excluded.bytes",
            &[&ws, &b(checkpoint), &b(&doc.doc_id), &doc.bytes],
        )
        .await?;
    }
    Ok(())
}

/// The checkpoints that completing the one begun at `started` covering `seq` makes useless:
/// every other one that is complete, was begun before it, or covers no later seq.
const SUPERSEDED: &str = "workspace_id = $1 AND checkpoint_id != $2
     AND (complete OR started < $3 OR seq <= $4)";

pub(super) async fn complete(
    tx: &Tx<'_>,
    actor: &DeviceAuth,
    checkpoint: &Id,
    expected: u64,
    (now, grace): (i64, u64),
) -> StorageResult<Compaction> {
    policy::may_checkpoint(lock_for(tx, actor).await?)?;
    let ws = b(&actor.workspace_id);
    let row = opt(
        tx,
        "SELECT started, seq, complete FROM checkpoints
         WHERE workspace_id = $1 AND checkpoint_id = $2",
        &[&ws, &b(checkpoint)],
    )
    .await?
    .ok_or(StorageError::NotFound)?;
    let (started, seq, complete): (i64, i64, bool) =
        (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    let seq_u = to_seq(seq)?;
    let newest = newest_complete_seq(tx, ws).await?;
    let (docs, bytes) = doc_totals(tx, ws, checkpoint).await?;
    policy::check_complete(complete, seq_u, newest, docs, expected)?;
    let missing: i64 = one(
        tx,
        "SELECT count(*) FROM (
             SELECT doc_id FROM log WHERE workspace_id = $1 AND seq <= $2
             UNION
             SELECT d.doc_id FROM checkpoint_docs d JOIN checkpoints c
                 ON c.workspace_id = d.workspace_id AND c.checkpoint_id = d.checkpoint_id
             WHERE d.workspace_id = $1 AND c.complete
         ) needed
         WHERE NOT EXISTS (SELECT 1 FROM checkpoint_docs x
             WHERE x.workspace_id = $1 AND x.checkpoint_id = $3 AND x.doc_id = needed.doc_id)",
        &[&ws, &seq, &b(checkpoint)],
    )
    .await?
    .try_get(0)?;
    policy::check_coverage(to_seq(missing)?)?;
    exec(
        tx,
        "UPDATE checkpoints SET complete = true WHERE workspace_id = $1 AND checkpoint_id = $2",
        &[&ws, &b(checkpoint)],
    )
    .await?;
    let id = b(checkpoint);
    exec(
        tx,
        &format!(
            "DELETE FROM checkpoint_docs WHERE workspace_id = $1 AND checkpoint_id IN
             (SELECT checkpoint_id FROM checkpoints WHERE {SUPERSEDED})"
        ),
        &[&ws, &id, &started, &seq],
    )
    .await?;
    let checkpoints_removed = exec(
        tx,
        &format!("DELETE FROM checkpoints WHERE {SUPERSEDED}"),
        &[&ws, &id, &started, &seq],
    )
    .await?;
    // The entries the checkpoint covers leave the live log (and its quota) now, but stay
    // stored, and pulled, for the grace period.
    let marked = one(
        tx,
        "WITH marked AS (
             UPDATE log SET compacted_at = $3
             WHERE workspace_id = $1 AND seq <= $2 AND compacted_at IS NULL
             RETURNING length(bytes) AS len)
         SELECT count(*), coalesce(sum(len), 0)::bigint FROM marked",
        &[&ws, &seq, &now],
    )
    .await?;
    let (compacted, compacted_bytes): (i64, i64) = (marked.try_get(0)?, marked.try_get(1)?);
    exec(
        tx,
        "UPDATE workspaces SET log_entries = greatest(log_entries - $2, 0),
             log_bytes = greatest(log_bytes - $3, 0) WHERE id = $1",
        &[&ws, &compacted, &compacted_bytes],
    )
    .await?;
    let entries_deleted = purge_workspace(tx, ws, policy::purge_cutoff(now, grace)).await?;
    let floor: i64 = one(tx, "SELECT log_floor FROM workspaces WHERE id = $1", &[&ws])
        .await?
        .try_get(0)?;
    Ok(Compaction {
        checkpoint: CheckpointInfo {
            checkpoint_id: *checkpoint,
            seq: seq_u,
            docs,
            bytes,
        },
        entries_compacted: to_seq(compacted)?,
        entries_deleted,
        checkpoints_removed,
        floor: to_seq(floor)?,
    })
}

/// Deletes a workspace's compacted entries whose grace period is over (compacted at or before
/// `cutoff`), as the run of its oldest seqs that [`policy::purge_through`] allows, and raises
/// its floor past them. Returns the entries deleted. The caller holds the workspace's row lock.
async fn purge_workspace(tx: &Tx<'_>, ws: &[u8], cutoff: i64) -> StorageResult<u64> {
    let newest_due: Option<i64> = one(
        tx,
        "SELECT max(seq) FROM log
         WHERE workspace_id = $1 AND compacted_at IS NOT NULL AND compacted_at <= $2",
        &[&ws, &cutoff],
    )
    .await?
    .try_get(0)?;
    // In seq order, so the scan stops at the first entry kept (past the ones about to go).
    let oldest_kept: Option<i64> = opt(
        tx,
        "SELECT seq FROM log
         WHERE workspace_id = $1 AND (compacted_at IS NULL OR compacted_at > $2)
         ORDER BY seq LIMIT 1",
        &[&ws, &cutoff],
    )
    .await?
    .map(|row| row.try_get(0))
    .transpose()?;
    let through = policy::purge_through(
        newest_due.map(to_seq).transpose()?,
        oldest_kept.map(to_seq).transpose()?,
    );
    let Some(through) = through else {
        return Ok(0);
    };
    let through = i64::try_from(through).map_err(|_| StorageError::Corrupt("seq"))?;
    let deleted = exec(
        tx,
        "DELETE FROM log WHERE workspace_id = $1 AND seq <= $2",
        &[&ws, &through],
    )
    .await?;
    exec(
        tx,
        "UPDATE workspaces SET log_floor = greatest(log_floor, $2) WHERE id = $1",
        &[&ws, &through.saturating_add(1)],
    )
    .await?;
    Ok(deleted)
}

/// The workspaces holding compacted entries whose grace period is over at `cutoff`.
pub(super) async fn due_workspaces(tx: &Tx<'_>, cutoff: i64) -> StorageResult<Vec<Id>> {
    let mut due = Vec::new();
    for row in all(
        tx,
        "SELECT DISTINCT workspace_id FROM log
         WHERE compacted_at IS NOT NULL AND compacted_at <= $1",
        &[&cutoff],
    )
    .await?
    {
        due.push(to_id(row.try_get(0)?)?);
    }
    Ok(due)
}

/// Purges one workspace's compacted entries whose grace period is over at `cutoff`, under its
/// row lock; returns the entries deleted (0 for a workspace that is gone).
pub(super) async fn purge(tx: &Tx<'_>, workspace: &Id, cutoff: i64) -> StorageResult<u64> {
    match lock_workspace(tx, workspace).await {
        Err(StorageError::NotFound) => Ok(0),
        Err(e) => Err(e),
        Ok(_) => purge_workspace(tx, b(workspace), cutoff).await,
    }
}

pub(super) async fn latest(tx: &Tx<'_>, workspace: &Id) -> StorageResult<Option<CheckpointInfo>> {
    let ws = b(workspace);
    let row = opt(
        tx,
        "SELECT checkpoint_id, seq FROM checkpoints
         WHERE workspace_id = $1 AND complete
         ORDER BY seq DESC, started DESC LIMIT 1",
        &[&ws],
    )
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let checkpoint_id = to_id(row.try_get(0)?)?;
    let (docs, bytes) = doc_totals(tx, ws, &checkpoint_id).await?;
    Ok(Some(CheckpointInfo {
        checkpoint_id,
        seq: to_seq(row.try_get(1)?)?,
        docs,
        bytes,
    }))
}

pub(super) async fn docs(
    tx: &Tx<'_>,
    workspace: &Id,
    checkpoint: &Id,
    q: DocsQuery,
) -> StorageResult<DocBatch> {
    let ws = b(workspace);
    if !is_complete(tx, ws, checkpoint).await? {
        return Err(StorageError::NotFound);
    }
    // The empty bytea sorts before every id.
    let after: &[u8] = q.after.as_ref().map_or(&[], b);
    let limit = i64::try_from(q.limit.saturating_add(1)).unwrap_or(i64::MAX);
    let mut chosen = Page::with_limit(q.limit, q.max_bytes);
    let mut more = false;
    // Plan with the lengths only, so no snapshot is read that will not be sent.
    for row in all(
        tx,
        "SELECT doc_id, length(bytes)::bigint FROM checkpoint_docs
         WHERE workspace_id = $1 AND checkpoint_id = $2 AND doc_id > $3
         ORDER BY doc_id LIMIT $4",
        &[&ws, &b(checkpoint), &after, &limit],
    )
    .await?
    {
        let len = usize::try_from(row.try_get::<_, i64>(1)?)
            .map_err(|_| StorageError::Corrupt("snapshot length"))?;
        if !chosen.fits(len) {
            more = true;
            break;
        }
        chosen.push(to_id(row.try_get(0)?)?, len);
    }
    let chosen = chosen.into_items();
    let mut docs = Vec::with_capacity(chosen.len());
    for doc_id in chosen {
        let bytes: Vec<u8> = one(
            tx,
            "SELECT bytes FROM checkpoint_docs
             WHERE workspace_id = $1 AND checkpoint_id = $2 AND doc_id = $3",
            &[&ws, &b(checkpoint), &b(&doc_id)],
        )
        .await?
        .try_get(0)?;
        docs.push(DocSnapshot { doc_id, bytes });
    }
    Ok(DocBatch { more, docs })
}
