//! The log in SQLite: a push (run by the group writer of [`super::group`] inside its
//! transaction, one savepoint per push), a pull from one snapshot, the head, and the state a
//! pull's headers report (key epoch, rotation mark, roster head).
//!
//! A push reads the workspace's head, key epoch and log size, refuses entries sealed with an
//! older key ([`policy::check_sealed_with`]), looks each entry up by `(doc_id, change_hash)` (a
//! retry keeps its seq), and appends the new ones at the next seqs while the log stays within
//! its quota ([`policy::grow_log`]). A pull from below the log floor
//! is refused ([`policy::check_floor`]); otherwise it returns entries in seq order under the
//! byte budget of [`Page`].

use rusqlite::{params, Connection, OptionalExtension};
use trellis_protocol::batch::{LogEntry, PullBatch, PushEntry};
use trellis_protocol::Id;

use super::roster;
use crate::storage::records::{pull_batch, to_change_hash, to_epoch, to_id, to_seq, Page};
use crate::storage::{
    policy, LogQuota, PullQuery, PushOutcome, StorageError, StorageResult, SyncState,
};

/// Runs one push on an open transaction or savepoint of the writer connection; neither begins
/// nor commits (the group writer of [`group`] does, for every push waiting). The key-epoch
/// check reads the same transaction, before anything is stored.
pub(super) fn push_in(
    tx: &Connection,
    workspace: &Id,
    entries: &[PushEntry],
    sealed_with: Option<u32>,
    quota: LogQuota,
) -> StorageResult<PushOutcome> {
    let ws = workspace.as_bytes();
    let (mut head, key_epoch, rotation_needed, log_entries, log_bytes): (i64, i64, bool, i64, i64) =
        tx.prepare_cached(
            "SELECT head, key_epoch, rotation_needed, log_entries, log_bytes
             FROM workspaces WHERE id = ?1",
        )?
        .query_row([ws], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?
        .ok_or(StorageError::NotFound)?;
    let mut size = policy::LogSize {
        entries: to_seq(log_entries)?,
        bytes: to_seq(log_bytes)?,
    };
    let key_epoch = to_epoch(key_epoch)?;
    policy::check_sealed_with(sealed_with, key_epoch)?;
    let mut seqs = Vec::with_capacity(entries.len());
    let mut stored = 0u64;
    {
        let mut find = tx.prepare_cached(
            "SELECT seq FROM log WHERE workspace_id = ?1 AND doc_id = ?2 AND change_hash = ?3",
        )?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO log (workspace_id, seq, doc_id, change_hash, bytes)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for e in entries {
            let existing: Option<i64> = find
                .query_row(
                    params![ws, e.doc_id.as_bytes(), e.change_hash.as_slice()],
                    |r| r.get(0),
                )
                .optional()?;
            let seq = match existing {
                Some(seq) => seq,
                None => {
                    size = policy::grow_log(size, e.bytes.len() as u64, quota)?;
                    head += 1;
                    insert.execute(params![
                        ws,
                        head,
                        e.doc_id.as_bytes(),
                        e.change_hash.as_slice(),
                        e.bytes
                    ])?;
                    stored += 1;
                    head
                }
            };
            seqs.push(to_seq(seq)?);
        }
    }
    if stored > 0 {
        tx.prepare_cached(
            "UPDATE workspaces SET head = ?1, log_entries = ?3, log_bytes = ?4 WHERE id = ?2",
        )?
        .execute(params![
            head,
            ws,
            i64::try_from(size.entries).unwrap_or(i64::MAX),
            i64::try_from(size.bytes).unwrap_or(i64::MAX)
        ])?;
    }
    Ok(PushOutcome {
        seqs,
        stored,
        head: to_seq(head)?,
        key_epoch,
        rotation_needed,
        roster_head: roster::head(tx, workspace)?,
    })
}

pub(super) fn pull(
    conn: &mut Connection,
    workspace: &Id,
    q: PullQuery,
) -> StorageResult<PullBatch> {
    // A deferred transaction: the head and the entries come from one snapshot.
    let tx = conn.transaction()?;
    let ws = workspace.as_bytes();
    let (head, floor): (i64, i64) = tx
        .prepare_cached("SELECT head, log_floor FROM workspaces WHERE id = ?1")?
        .query_row([ws], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or((0, 0));
    let (head, floor) = (to_seq(head)?, to_seq(floor)?);
    policy::check_floor(q.after, floor)?;
    let after = i64::try_from(q.after).unwrap_or(i64::MAX);
    let limit = i64::try_from(q.limit).unwrap_or(i64::MAX);
    let mut page = Page::new(q.max_bytes);
    {
        let mut stmt = tx.prepare_cached(
            "SELECT seq, doc_id, change_hash, bytes FROM log
             WHERE workspace_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )?;
        let mut rows = stmt.query(params![ws, after, limit])?;
        while let Some(row) = rows.next()? {
            let bytes: Vec<u8> = row.get(3)?;
            if !page.fits(bytes.len()) {
                break;
            }
            let len = bytes.len();
            let entry = LogEntry {
                seq: to_seq(row.get(0)?)?,
                doc_id: to_id(row.get(1)?)?,
                change_hash: to_change_hash(row.get(2)?)?,
                bytes,
            };
            page.push(entry, len);
        }
    }
    tx.finish()?;
    Ok(pull_batch(head, q.after, page.into_items()))
}

pub(super) fn sync_state(conn: &mut Connection, workspace: &Id) -> StorageResult<SyncState> {
    // A deferred transaction: the key state and the roster head come from one snapshot.
    let tx = conn.transaction()?;
    let (key_epoch, rotation_needed): (i64, bool) = tx
        .prepare_cached("SELECT key_epoch, rotation_needed FROM workspaces WHERE id = ?1")?
        .query_row([workspace.as_bytes()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or(StorageError::NotFound)?;
    let roster_head = roster::head(&tx, workspace)?;
    tx.finish()?;
    Ok(SyncState {
        key_epoch: to_epoch(key_epoch)?,
        rotation_needed,
        roster_head,
    })
}

pub(super) fn head(conn: &mut Connection, workspace: &Id) -> StorageResult<u64> {
    let head: Option<i64> = conn
        .prepare_cached("SELECT head FROM workspaces WHERE id = ?1")?
        .query_row([workspace.as_bytes()], |r| r.get(0))
        .optional()?;
    to_seq(head.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use rusqlite::params;
    use trellis_protocol::HASH_LEN;

    use super::*;
    use crate::storage::sqlite::{lock, open_reader, test_workspace, SqliteStorage};
    use crate::storage::Storage;

    #[test]
    fn a_cached_pull_statement_is_not_parsed_again_on_each_pull() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.sqlite3");
        drop(SqliteStorage::open(&path).unwrap());
        let conn = open_reader(&path).unwrap();
        // A pull's shape: its `LIMIT ?` made SQLite plan it again whenever it was reused.
        let sql = "SELECT seq, doc_id, change_hash, bytes FROM log
                   WHERE workspace_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3";
        for after in 0..3i64 {
            let mut st = conn.prepare_cached(sql).unwrap();
            let mut rows = st
                .query(params![vec![1u8; 16], after, 100 + after])
                .unwrap();
            assert!(rows.next().unwrap().is_none());
        }
        let st = conn.prepare_cached(sql).unwrap();
        assert_eq!(st.get_status(rusqlite::StatementStatus::RePrepare), 0);
    }

    #[tokio::test]
    async fn a_push_that_fails_midway_stores_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(dir.path().join("r.sqlite3")).unwrap();
        let ws = test_workspace("tok");
        storage.create_workspace(ws.clone()).await.unwrap();
        // Make the third insert fail, as a full disk would.
        lock(&storage.inner.writer)
            .execute_batch(
                "CREATE TRIGGER fail_third BEFORE INSERT ON log WHEN NEW.seq = 3
                 BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
            )
            .unwrap();
        let entries: Vec<PushEntry> = (1..=4u8)
            .map(|n| PushEntry {
                doc_id: Id([n; 16]),
                change_hash: [n; HASH_LEN],
                bytes: vec![n; 8],
            })
            .collect();
        let failed = storage.push(ws.workspace_id, entries.clone(), None).await;
        assert!(matches!(failed, Err(StorageError::Backend(_))));
        assert_eq!(storage.head(ws.workspace_id).await.unwrap(), 0);
        let query = PullQuery {
            after: 0,
            limit: 10,
            max_bytes: 1 << 20,
        };
        assert!(storage
            .pull(ws.workspace_id, query)
            .await
            .unwrap()
            .entries
            .is_empty());

        lock(&storage.inner.writer)
            .execute_batch("DROP TRIGGER fail_third")
            .unwrap();
        let pushed = storage.push(ws.workspace_id, entries, None).await.unwrap();
        assert_eq!(pushed.seqs, [1, 2, 3, 4], "the failed push used up no seqs");
    }
}
