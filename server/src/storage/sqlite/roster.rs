//! The signed roster in SQLite: appending events inside the transaction of the call they
//! describe ([`policy::check_roster_append`]: at the roster's next positions, or the whole
//! call is refused), recognizing the events of a repeated call ([`policy::check_roster_repeat`]),
//! appending events on their own, and reading a page of them. The roster's head is its highest
//! seq: events are never deleted, so the seqs run from 1 to the head without a gap.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use trellis_protocol::Id;

use super::members::actor_role;
use crate::storage::records::{roster_entry, seq_column, to_seq};
use crate::storage::{policy, DeviceAuth, RosterEntry, RosterPage, StorageResult};

/// The newest seq of a workspace's roster (0: empty).
pub(super) fn head(conn: &Connection, workspace: &Id) -> StorageResult<u64> {
    let head: i64 = conn
        .prepare_cached("SELECT coalesce(max(seq), 0) FROM roster WHERE workspace_id = ?1")?
        .query_row([workspace.as_bytes()], |r| r.get(0))?;
    to_seq(head)
}

/// Appends `events` to the roster inside the caller's transaction, where they must go
/// ([`policy::check_roster_append`]); returns the new head. An error leaves the transaction
/// to be rolled back with the call's own changes.
pub(super) fn append(
    tx: &Connection,
    workspace: &Id,
    events: &[RosterEntry],
) -> StorageResult<u64> {
    if events.is_empty() {
        return head(tx, workspace);
    }
    let new_head = policy::check_roster_append(head(tx, workspace)?, events)?;
    let mut insert =
        tx.prepare_cached("INSERT INTO roster (workspace_id, seq, event) VALUES (?1, ?2, ?3)")?;
    for event in events {
        insert.execute(params![
            workspace.as_bytes(),
            seq_column(event.seq),
            event.event
        ])?;
    }
    Ok(new_head)
}

/// Whether a repeated call carries the events it appended the first time, byte for byte
/// ([`policy::check_roster_repeat`]).
pub(super) fn check_repeat(
    tx: &Connection,
    workspace: &Id,
    events: &[RosterEntry],
) -> StorageResult<()> {
    let mut stored = Vec::with_capacity(events.len());
    {
        let mut find =
            tx.prepare_cached("SELECT event FROM roster WHERE workspace_id = ?1 AND seq = ?2")?;
        for event in events {
            stored.push(
                find.query_row(params![workspace.as_bytes(), seq_column(event.seq)], |r| {
                    r.get::<_, Vec<u8>>(0)
                })
                .optional()?,
            );
        }
    }
    policy::check_roster_repeat(head(tx, workspace)?, events, &stored)?;
    Ok(())
}

/// Appends events on their own, as any active device of the workspace may; returns the head.
pub(super) fn append_roster(
    conn: &mut Connection,
    actor: &DeviceAuth,
    events: &[RosterEntry],
) -> StorageResult<u64> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    actor_role(&tx, actor)?;
    let head = append(&tx, &actor.workspace_id, events)?;
    tx.commit()?;
    Ok(head)
}

/// The events after `after`, oldest first, at most `limit`, and the head, from one snapshot.
pub(super) fn page(
    conn: &mut Connection,
    workspace: &Id,
    after: u64,
    limit: usize,
) -> StorageResult<RosterPage> {
    // A deferred transaction: the head and the events come from one snapshot.
    let tx = conn.transaction()?;
    let roster_head = head(&tx, workspace)?;
    let mut events = Vec::new();
    {
        let mut stmt = tx.prepare_cached(
            "SELECT seq, event FROM roster WHERE workspace_id = ?1 AND seq > ?2
             ORDER BY seq LIMIT ?3",
        )?;
        let mut rows = stmt.query(params![
            workspace.as_bytes(),
            seq_column(after),
            i64::try_from(limit).unwrap_or(i64::MAX)
        ])?;
        while let Some(row) = rows.next()? {
            events.push(roster_entry(row.get(0)?, row.get(1)?)?);
        }
    }
    tx.finish()?;
    Ok(RosterPage {
        events,
        head: roster_head,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::sqlite::{test_workspace, SqliteStorage};
    use crate::storage::{Refusal, Storage, StorageError};

    fn event(seq: u64) -> RosterEntry {
        RosterEntry {
            seq,
            event: format!("event {seq}").into_bytes(),
        }
    }

    #[tokio::test]
    async fn events_are_appended_in_order_and_read_back_byte_for_byte_in_pages() {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(dir.path().join("r.sqlite3")).unwrap();
        let ws = test_workspace("tok");
        storage.create_workspace(ws.clone()).await.unwrap();
        let actor = crate::storage::DeviceAuth {
            workspace_id: ws.workspace_id,
            member_id: ws.member_id,
            device_id: ws.device_id,
            role: trellis_protocol::api::Role::Owner,
        };
        assert_eq!(
            storage
                .append_roster(actor, vec![event(2), event(3)])
                .await
                .unwrap(),
            3
        );
        let moved = storage.append_roster(actor, vec![event(3)]).await;
        assert!(matches!(
            moved,
            Err(StorageError::Refused(Refusal::RosterMoved { head: 3 }))
        ));
        let all = storage.roster(ws.workspace_id, 0, 10).await.unwrap();
        assert_eq!(all.head, 3);
        assert_eq!(all.events, vec![event(1), event(2), event(3)]);
        let page = storage.roster(ws.workspace_id, 1, 1).await.unwrap();
        assert_eq!((page.events, page.head), (vec![event(2)], 3));
        let none = storage.roster(Id::random(), 0, 10).await.unwrap();
        assert_eq!(none, RosterPage::default());
    }
}
