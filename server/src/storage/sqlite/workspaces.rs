//! Workspaces in SQLite: creating one with its owner, first device and first roster events
//! (or recognizing the same signup repeated), and what the operator
//! reads of all of them (`admin workspaces` and the `/metrics` log gauges) through a
//! read-only connection of the caller's, so a listing never waits for the relay's writer.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use trellis_protocol::api::Role;
use trellis_protocol::Id;

use super::members::{insert_device, registered, NewDevice};
use super::roster;
use crate::storage::records::count;
use crate::storage::{LogSize, NewWorkspace, StorageError, StorageResult, WorkspaceSummary};

pub(super) fn create_workspace(conn: &mut Connection, new: &NewWorkspace) -> StorageResult<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let ws = new.workspace_id.as_bytes();
    let exists = tx
        .query_row("SELECT 1 FROM workspaces WHERE id = ?1", [ws], |_| Ok(()))
        .optional()?
        .is_some();
    if exists {
        // The same signup again (its answer was lost): the same owner device with the token it
        // made is answered as the first time.
        // Its roster events count as appended if they are the ones stored.
        return match registered(&tx, &new.workspace_id, &new.device_id, &new.token_hash)? {
            Some((member, Role::Owner)) if member == new.member_id => {
                roster::check_repeat(&tx, &new.workspace_id, &new.roster)
            }
            _ => Err(StorageError::Conflict),
        };
    }
    tx.execute(
        "INSERT INTO workspaces (id, created_at) VALUES (?1, ?2)",
        params![ws, new.now],
    )?;
    tx.execute(
        "INSERT INTO members (workspace_id, member_id, role, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![ws, new.member_id.as_bytes(), Role::Owner.as_str(), new.now],
    )?;
    insert_device(
        &tx,
        &NewDevice {
            token_hash: &new.token_hash,
            workspace: &new.workspace_id,
            member: &new.member_id,
            device: &new.device_id,
            key: &new.device_key,
            now: new.now,
        },
    )?;
    roster::append(&tx, &new.workspace_id, &new.roster)?;
    tx.commit()?;
    Ok(())
}

/// Every workspace with its log size (and the compacted entries kept of it), members and
/// devices, oldest first.
pub fn workspace_summaries(conn: &Connection) -> rusqlite::Result<Vec<WorkspaceSummary>> {
    // Schema 2 marks removed members; a schema-1 file has none.
    let member_filter = if has_column(conn, "members", "removed_at")? {
        "AND m.removed_at IS NULL"
    } else {
        ""
    };
    // Schema 6 keeps compacted entries for a grace period; before it there are none.
    let compacted = if has_column(conn, "log", "compacted_at")? {
        "(SELECT count(*) FROM log l
            WHERE l.workspace_id = w.id AND l.compacted_at IS NOT NULL)"
    } else {
        "0"
    };
    let sql = format!(
        "SELECT w.id, w.created_at, w.head,
            (SELECT count(*) FROM log l WHERE l.workspace_id = w.id),
            (SELECT coalesce(sum(length(l.bytes)), 0) FROM log l WHERE l.workspace_id = w.id),
            {compacted},
            (SELECT count(*) FROM members m WHERE m.workspace_id = w.id {member_filter}),
            (SELECT count(*) FROM devices d
                WHERE d.workspace_id = w.id AND d.revoked_at IS NULL)
         FROM workspaces w ORDER BY w.created_at, w.id"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], |row| {
        let id: Vec<u8> = row.get(0)?;
        Ok(WorkspaceSummary {
            workspace_id: Id::from_slice(&id).map_or_else(|_| hex::encode(&id), |id| id.to_hex()),
            created_at: row.get(1)?,
            head: count(row.get(2)?),
            log_entries: count(row.get(3)?),
            log_bytes: count(row.get(4)?),
            compacted_entries: count(row.get(5)?),
            members: count(row.get(6)?),
            devices: count(row.get(7)?),
        })
    })?;
    rows.collect()
}

/// Workspaces, log entries and log bytes across the whole database.
pub fn log_size(conn: &Connection) -> rusqlite::Result<LogSize> {
    let workspaces: i64 = conn.query_row("SELECT count(*) FROM workspaces", [], |r| r.get(0))?;
    let (entries, bytes): (i64, i64) = conn.query_row(
        "SELECT count(*), coalesce(sum(length(bytes)), 0) FROM log",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(LogSize {
        workspaces: count(workspaces),
        entries: count(entries),
        bytes: count(bytes),
    })
}

fn has_column(conn: &Connection, table: &str, column: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2",
        [table, column],
        |_| Ok(()),
    )
    .optional()
    .map(|found| found.is_some())
}
