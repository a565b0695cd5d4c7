//! Workspaces in PostgreSQL: creating one with its owner, first device and first roster
//! events (or recognizing the same signup repeated), and what the
//! operator reads of all of them (`admin workspaces` and the `/metrics` log gauges), each from
//! one snapshot.

use trellis_protocol::api::Role;

use super::members::{insert_device, registered, NewDevice};
use super::roster;
use super::{all, b, exec, one, Tx};
use crate::storage::records::{to_id, to_seq};
use crate::storage::{LogSize, NewWorkspace, StorageError, StorageResult, WorkspaceSummary};

pub(super) async fn create_workspace(tx: &Tx<'_>, new: &NewWorkspace) -> StorageResult<()> {
    let ws = b(&new.workspace_id);
    let inserted = exec(
        tx,
        "INSERT INTO workspaces (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        &[&ws, &new.now],
    )
    .await?;
    if inserted == 0 {
        // The same signup again (its answer was lost): the same owner device with the token it
        // made is answered as the first time.
        // Its roster events count as appended if they are the ones stored.
        return match registered(tx, &new.workspace_id, &new.device_id, &new.token_hash).await? {
            Some((member, Role::Owner)) if member == new.member_id => {
                roster::check_repeat(tx, &new.workspace_id, &new.roster).await
            }
            _ => Err(StorageError::Conflict),
        };
    }
    exec(
        tx,
        "INSERT INTO members (workspace_id, member_id, role, created_at) VALUES ($1, $2, $3, $4)",
        &[&ws, &b(&new.member_id), &Role::Owner.as_str(), &new.now],
    )
    .await?;
    insert_device(
        tx,
        &NewDevice {
            token_hash: &new.token_hash,
            workspace: &new.workspace_id,
            member: &new.member_id,
            device: &new.device_id,
            key: &new.device_key,
            now: new.now,
        },
    )
    .await?;
    roster::append(tx, &new.workspace_id, &new.roster).await?;
    Ok(())
}

/// Every workspace with its log size (and the compacted entries kept of it), members and
/// devices, oldest first.
pub(super) async fn workspace_summaries(tx: &Tx<'_>) -> StorageResult<Vec<WorkspaceSummary>> {
    let mut listing = Vec::new();
    for row in all(
        tx,
        "SELECT w.id, w.created_at, w.head,
            (SELECT count(*) FROM log l WHERE l.workspace_id = w.id),
            (SELECT coalesce(sum(length(l.bytes)), 0)::bigint FROM log l
                WHERE l.workspace_id = w.id),
            (SELECT count(*) FROM log l
                WHERE l.workspace_id = w.id AND l.compacted_at IS NOT NULL),
            (SELECT count(*) FROM members m
                WHERE m.workspace_id = w.id AND m.removed_at IS NULL),
            (SELECT count(*) FROM devices d
                WHERE d.workspace_id = w.id AND d.revoked_at IS NULL)
         FROM workspaces w ORDER BY w.created_at, w.id",
        &[],
    )
    .await?
    {
        listing.push(WorkspaceSummary {
            workspace_id: to_id(row.try_get(0)?)?.to_hex(),
            created_at: row.try_get(1)?,
            head: to_seq(row.try_get(2)?)?,
            log_entries: to_seq(row.try_get(3)?)?,
            log_bytes: to_seq(row.try_get(4)?)?,
            compacted_entries: to_seq(row.try_get(5)?)?,
            members: to_seq(row.try_get(6)?)?,
            devices: to_seq(row.try_get(7)?)?,
        });
    }
    Ok(listing)
}

/// Workspaces, log entries and log bytes across the whole database.
pub(super) async fn log_size(tx: &Tx<'_>) -> StorageResult<LogSize> {
    let row = one(
        tx,
        "SELECT (SELECT count(*) FROM workspaces), count(*),
                coalesce(sum(length(bytes)), 0)::bigint FROM log",
        &[],
    )
    .await?;
    Ok(LogSize {
        workspaces: to_seq(row.try_get(0)?)?,
        entries: to_seq(row.try_get(1)?)?,
        bytes: to_seq(row.try_get(2)?)?,
    })
}
