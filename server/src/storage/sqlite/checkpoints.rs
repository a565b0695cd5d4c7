//! Checkpoints in SQLite: sealed per-document snapshots, and the log compaction that completing
//! one performs.
//!
//! `checkpoints` holds one row per checkpoint (`complete` 0 while its documents are uploaded);
//! `checkpoint_docs` holds each document's sealed bytes, keyed by `(workspace_id,
//! checkpoint_id, doc_id)` so ids sort as bytes, which is the order of their hex digits.
//! Completing a checkpoint, in one transaction: checks the document count and that it holds
//! every document with entries up to its seq or in the previous checkpoint, marks it complete,
//! deletes every other checkpoint that is complete, was started before it (a smaller rowid) or
//! covers no later seq, marks the log entries up to its seq compacted (`log.compacted_at`, the
//! relay's clock at completion) and takes them off the quota counters (`log_entries`,
//! `log_bytes`: the live log), then purges the workspace's entries whose grace period is over.
//! `workspaces.head` is left alone, so seqs never go backwards.
//!
//! A purge (here at completion, or for every workspace from [`super::SqliteStorage`]'s
//! `purge_compacted`, which the relay runs hourly) deletes the compacted entries compacted at
//! least the grace period ago, as a run of the oldest seqs ([`policy::purge_through`]), and
//! raises `workspaces.log_floor`, the lowest seq still stored, past them. Until then a pull
//! from before the checkpoint is answered with the entries, as if nothing had been compacted.
//!
//! A checkpoint may be started and completed only at or after the seq of the newest complete
//! one ([`policy::check_begin`], [`policy::check_complete`], shared with PostgreSQL), so the
//! newest complete checkpoint always covers the highest seq; only entries it covers are ever
//! deleted, so the floor is at most its seq plus one: a device that bootstraps from it can
//! always pull on from its seq.

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use trellis_protocol::snapshot::{CheckpointInfo, DocBatch, DocSnapshot};
use trellis_protocol::Id;

use super::members::actor_role;
use crate::storage::records::{to_id, to_seq, Page};
use crate::storage::{
    policy, CheckpointRefusal, Compaction, DeviceAuth, DocsQuery, NewCheckpoint, StorageError,
    StorageResult, STALE_CHECKPOINT_SECONDS,
};

/// The seq covered by the newest complete checkpoint of a workspace, if any.
fn newest_complete_seq(tx: &Transaction<'_>, ws: &[u8]) -> StorageResult<Option<u64>> {
    let seq: Option<i64> = tx.query_row(
        "SELECT max(seq) FROM checkpoints WHERE workspace_id = ?1 AND complete = 1",
        [ws],
        |r| r.get(0),
    )?;
    seq.map(to_seq).transpose()
}

/// Whether a checkpoint exists and is complete; [`StorageError::NotFound`] if it does not
/// exist.
fn is_complete(tx: &Transaction<'_>, ws: &[u8], checkpoint: &Id) -> StorageResult<bool> {
    tx.query_row(
        "SELECT complete FROM checkpoints WHERE workspace_id = ?1 AND checkpoint_id = ?2",
        params![ws, checkpoint.as_bytes()],
        |r| r.get(0),
    )
    .optional()?
    .ok_or(StorageError::NotFound)
}

/// A checkpoint's document count and sealed bytes.
fn doc_totals(tx: &Transaction<'_>, ws: &[u8], checkpoint: &Id) -> StorageResult<(u64, u64)> {
    let (docs, bytes): (i64, i64) = tx.query_row(
        "SELECT count(*), coalesce(sum(length(bytes)), 0) FROM checkpoint_docs
         WHERE workspace_id = ?1 AND checkpoint_id = ?2",
        params![ws, checkpoint.as_bytes()],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok((to_seq(docs)?, to_seq(bytes)?))
}

pub(super) fn begin(
    conn: &mut Connection,
    actor: &DeviceAuth,
    new: &NewCheckpoint,
) -> StorageResult<CheckpointInfo> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    policy::may_checkpoint(actor_role(&tx, actor)?)?;
    let ws = actor.workspace_id.as_bytes();
    let head: i64 = tx
        .query_row("SELECT head FROM workspaces WHERE id = ?1", [ws], |r| {
            r.get(0)
        })
        .optional()?
        .ok_or(StorageError::NotFound)?;
    let head = to_seq(head)?;
    policy::check_begin(new.seq, head, newest_complete_seq(&tx, ws)?)?;
    // Checkpoints begun long ago and never completed were abandoned: drop them, then count
    // the ones under way.
    let stale = params![ws, new.now - STALE_CHECKPOINT_SECONDS];
    tx.execute(
        "DELETE FROM checkpoint_docs WHERE workspace_id = ?1 AND checkpoint_id IN
         (SELECT checkpoint_id FROM checkpoints
          WHERE workspace_id = ?1 AND complete = 0 AND created_at < ?2)",
        stale,
    )?;
    tx.execute(
        "DELETE FROM checkpoints WHERE workspace_id = ?1 AND complete = 0 AND created_at < ?2",
        stale,
    )?;
    let open: i64 = tx.query_row(
        "SELECT count(*) FROM checkpoints WHERE workspace_id = ?1 AND complete = 0",
        [ws],
        |r| r.get(0),
    )?;
    policy::check_open_checkpoints(to_seq(open)?)?;
    // `seq <= head`, which came from an INTEGER column, so it fits.
    let seq = i64::try_from(new.seq).map_err(|_| StorageError::Corrupt("seq"))?;
    tx.execute(
        "INSERT INTO checkpoints (workspace_id, checkpoint_id, seq, complete, created_at)
         VALUES (?1, ?2, ?3, 0, ?4)",
        params![ws, new.checkpoint_id.as_bytes(), seq, new.now],
    )?;
    tx.commit()?;
    Ok(CheckpointInfo {
        checkpoint_id: new.checkpoint_id,
        seq: new.seq,
        docs: 0,
        bytes: 0,
    })
}

pub(super) fn put_docs(
    conn: &mut Connection,
    workspace: &Id,
    checkpoint: &Id,
    docs: &[DocSnapshot],
) -> StorageResult<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let ws = workspace.as_bytes();
    if is_complete(&tx, ws, checkpoint)? {
        return Err(CheckpointRefusal::AlreadyComplete.into());
    }
    {
        let mut upsert = tx.prepare(
            "INSERT INTO checkpoint_docs (workspace_id, checkpoint_id, doc_id, bytes)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (workspace_id, checkpoint_id, doc_id) DO UPDATE SET bytes = excluded.bytes",
        )?;
        for doc in docs {
            upsert.execute(params![
                ws,
                checkpoint.as_bytes(),
                doc.doc_id.as_bytes(),
                doc.bytes
            ])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// The checkpoints that completing the one at `rowid` covering `seq` makes useless: every
/// other one that is complete, was started before it, or covers no later seq.
const SUPERSEDED: &str = "workspace_id = ?1 AND checkpoint_id != ?2
     AND (complete = 1 OR rowid < ?3 OR seq <= ?4)";

pub(super) fn complete(
    conn: &mut Connection,
    actor: &DeviceAuth,
    checkpoint: &Id,
    expected: u64,
    (now, grace): (i64, u64),
) -> StorageResult<Compaction> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    policy::may_checkpoint(actor_role(&tx, actor)?)?;
    let ws = actor.workspace_id.as_bytes();
    let (rowid, seq, complete): (i64, i64, bool) = tx
        .query_row(
            "SELECT rowid, seq, complete FROM checkpoints
             WHERE workspace_id = ?1 AND checkpoint_id = ?2",
            params![ws, checkpoint.as_bytes()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .ok_or(StorageError::NotFound)?;
    let seq_u = to_seq(seq)?;
    let newest = newest_complete_seq(&tx, ws)?;
    let (docs, bytes) = doc_totals(&tx, ws, checkpoint)?;
    policy::check_complete(complete, seq_u, newest, docs, expected)?;
    let missing: i64 = tx.query_row(
        "SELECT count(*) FROM (
             SELECT doc_id FROM log WHERE workspace_id = ?1 AND seq <= ?2
             UNION
             SELECT d.doc_id FROM checkpoint_docs d JOIN checkpoints c
                 ON c.workspace_id = d.workspace_id AND c.checkpoint_id = d.checkpoint_id
             WHERE d.workspace_id = ?1 AND c.complete = 1
         ) needed
         WHERE NOT EXISTS (SELECT 1 FROM checkpoint_docs x
             WHERE x.workspace_id = ?1 AND x.checkpoint_id = ?3 AND x.doc_id = needed.doc_id)",
        params![ws, seq, checkpoint.as_bytes()],
        |r| r.get(0),
    )?;
    policy::check_coverage(to_seq(missing)?)?;
    tx.execute(
        "UPDATE checkpoints SET complete = 1 WHERE workspace_id = ?1 AND checkpoint_id = ?2",
        params![ws, checkpoint.as_bytes()],
    )?;
    let doomed = params![ws, checkpoint.as_bytes(), rowid, seq];
    tx.execute(
        &format!(
            "DELETE FROM checkpoint_docs WHERE workspace_id = ?1 AND checkpoint_id IN
             (SELECT checkpoint_id FROM checkpoints WHERE {SUPERSEDED})"
        ),
        doomed,
    )?;
    let checkpoints_removed = tx.execute(
        &format!("DELETE FROM checkpoints WHERE {SUPERSEDED}"),
        doomed,
    )?;
    // The entries the checkpoint covers leave the live log (and its quota) now, but stay
    // stored, and pulled, for the grace period.
    let (compacted, compacted_bytes): (i64, i64) = tx.query_row(
        "SELECT count(*), coalesce(sum(length(bytes)), 0) FROM log
         WHERE workspace_id = ?1 AND seq <= ?2 AND compacted_at IS NULL",
        params![ws, seq],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    tx.execute(
        "UPDATE log SET compacted_at = ?3
         WHERE workspace_id = ?1 AND seq <= ?2 AND compacted_at IS NULL",
        params![ws, seq, now],
    )?;
    tx.execute(
        "UPDATE workspaces SET log_entries = max(log_entries - ?2, 0),
             log_bytes = max(log_bytes - ?3, 0) WHERE id = ?1",
        params![ws, compacted, compacted_bytes],
    )?;
    let entries_deleted = purge_workspace(&tx, ws, policy::purge_cutoff(now, grace))?;
    let floor: i64 = tx.query_row(
        "SELECT log_floor FROM workspaces WHERE id = ?1",
        [ws],
        |r| r.get(0),
    )?;
    tx.commit()?;
    Ok(Compaction {
        checkpoint: CheckpointInfo {
            checkpoint_id: *checkpoint,
            seq: seq_u,
            docs,
            bytes,
        },
        entries_compacted: to_seq(compacted)?,
        entries_deleted,
        checkpoints_removed: checkpoints_removed as u64,
        floor: to_seq(floor)?,
    })
}

/// Deletes a workspace's compacted entries whose grace period is over (compacted at or before
/// `cutoff`), as the run of its oldest seqs that [`policy::purge_through`] allows, and raises
/// its floor past them. Returns the entries deleted. Runs inside the caller's transaction.
fn purge_workspace(tx: &Transaction<'_>, ws: &[u8], cutoff: i64) -> StorageResult<u64> {
    let newest_due: Option<i64> = tx.query_row(
        "SELECT max(seq) FROM log
         WHERE workspace_id = ?1 AND compacted_at IS NOT NULL AND compacted_at <= ?2",
        params![ws, cutoff],
        |r| r.get(0),
    )?;
    // In seq order, so the scan stops at the first entry kept (past the ones about to go).
    let oldest_kept: Option<i64> = tx
        .query_row(
            "SELECT seq FROM log
             WHERE workspace_id = ?1 AND (compacted_at IS NULL OR compacted_at > ?2)
             ORDER BY seq LIMIT 1",
            params![ws, cutoff],
            |r| r.get(0),
        )
        .optional()?;
    let through = policy::purge_through(
        newest_due.map(to_seq).transpose()?,
        oldest_kept.map(to_seq).transpose()?,
    );
    let Some(through) = through else {
        return Ok(0);
    };
    let through = i64::try_from(through).map_err(|_| StorageError::Corrupt("seq"))?;
    let deleted = tx.execute(
        "DELETE FROM log WHERE workspace_id = ?1 AND seq <= ?2",
        params![ws, through],
    )?;
    tx.execute(
        "UPDATE workspaces SET log_floor = max(log_floor, ?2) WHERE id = ?1",
        params![ws, through.saturating_add(1)],
    )?;
    Ok(deleted as u64)
}

/// The workspaces holding compacted entries whose grace period is over at `cutoff`.
pub(super) fn due_workspaces(conn: &mut Connection, cutoff: i64) -> StorageResult<Vec<Id>> {
    let mut stmt = conn.prepare(
        "SELECT DISTINCT workspace_id FROM log
         WHERE compacted_at IS NOT NULL AND compacted_at <= ?1",
    )?;
    let rows = stmt.query_map([cutoff], |r| r.get::<_, Vec<u8>>(0))?;
    let mut due = Vec::new();
    for row in rows {
        due.push(to_id(row?)?);
    }
    Ok(due)
}

/// Purges one workspace's compacted entries whose grace period is over at `cutoff`, in a
/// transaction of its own; returns the entries deleted.
pub(super) fn purge(conn: &mut Connection, workspace: &Id, cutoff: i64) -> StorageResult<u64> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let deleted = purge_workspace(&tx, workspace.as_bytes(), cutoff)?;
    tx.commit()?;
    Ok(deleted)
}

pub(super) fn latest(
    conn: &mut Connection,
    workspace: &Id,
) -> StorageResult<Option<CheckpointInfo>> {
    // A deferred transaction: the checkpoint and its totals come from one snapshot.
    let tx = conn.transaction()?;
    let ws = workspace.as_bytes();
    let row: Option<(Vec<u8>, i64)> = tx
        .query_row(
            "SELECT checkpoint_id, seq FROM checkpoints
             WHERE workspace_id = ?1 AND complete = 1
             ORDER BY seq DESC, rowid DESC LIMIT 1",
            [ws],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((id, seq)) = row else {
        return Ok(None);
    };
    let checkpoint_id = to_id(id)?;
    let (docs, bytes) = doc_totals(&tx, ws, &checkpoint_id)?;
    tx.finish()?;
    Ok(Some(CheckpointInfo {
        checkpoint_id,
        seq: to_seq(seq)?,
        docs,
        bytes,
    }))
}

pub(super) fn docs(
    conn: &mut Connection,
    workspace: &Id,
    checkpoint: &Id,
    q: DocsQuery,
) -> StorageResult<DocBatch> {
    // A deferred transaction: the plan and the bytes come from one snapshot.
    let tx = conn.transaction()?;
    let ws = workspace.as_bytes();
    if !is_complete(&tx, ws, checkpoint)? {
        return Err(StorageError::NotFound);
    }
    // The empty blob sorts before every id.
    let after: &[u8] = q.after.as_ref().map_or(&[], |id| id.as_bytes());
    let mut chosen = Page::with_limit(q.limit, q.max_bytes);
    let mut more = false;
    {
        // Plan with the lengths only, so no snapshot is read that will not be sent.
        let mut plan = tx.prepare(
            "SELECT doc_id, length(bytes) FROM checkpoint_docs
             WHERE workspace_id = ?1 AND checkpoint_id = ?2 AND doc_id > ?3
             ORDER BY doc_id LIMIT ?4",
        )?;
        let limit = i64::try_from(q.limit.saturating_add(1)).unwrap_or(i64::MAX);
        let mut rows = plan.query(params![ws, checkpoint.as_bytes(), after, limit])?;
        while let Some(row) = rows.next()? {
            let len = usize::try_from(row.get::<_, i64>(1)?)
                .map_err(|_| StorageError::Corrupt("snapshot length"))?;
            if !chosen.fits(len) {
                more = true;
                break;
            }
            chosen.push(to_id(row.get(0)?)?, len);
        }
    }
    let chosen = chosen.into_items();
    let mut docs = Vec::with_capacity(chosen.len());
    {
        let mut read = tx.prepare(
            "SELECT bytes FROM checkpoint_docs
             WHERE workspace_id = ?1 AND checkpoint_id = ?2 AND doc_id = ?3",
        )?;
        for doc_id in chosen {
            let bytes: Vec<u8> = read
                .query_row(params![ws, checkpoint.as_bytes(), doc_id.as_bytes()], |r| {
                    r.get(0)
                })?;
            docs.push(DocSnapshot { doc_id, bytes });
        }
    }
    tx.finish()?;
    Ok(DocBatch { more, docs })
}
