//! Workspace keys in SQLite: a rotation (checked by [`policy::check_rotation`] against the
//! devices that remain, inside the transaction that stores it, with its roster events), keys
//! granted to one device ([`policy::check_grant`]; an epoch it holds already is kept), and the
//! sealed keys a device fetches.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use trellis_protocol::api::{KeyEnvelope, KeyRotation};
use trellis_protocol::Id;

use super::members::actor_role;
use super::roster;
use crate::storage::records::{to_epoch, to_id};
use crate::storage::{policy, DeviceAuth, Refusal, RosterEntry, StorageError, StorageResult};

/// Checks a rotation against the workspace as it is inside the transaction, stores its sealed
/// keys, bumps the epoch and clears the rotation mark.
pub(super) fn apply_rotation(
    tx: &rusqlite::Transaction<'_>,
    workspace: &Id,
    rotation: &KeyRotation,
) -> StorageResult<()> {
    let ws = workspace.as_bytes();
    let epoch: i64 = tx
        .query_row(
            "SELECT key_epoch FROM workspaces WHERE id = ?1",
            [ws],
            |r| r.get(0),
        )
        .optional()?
        .ok_or(StorageError::NotFound)?;
    let mut remaining = Vec::new();
    {
        let mut stmt = tx.prepare(
            "SELECT DISTINCT d.device_id FROM devices d
             JOIN members m ON m.workspace_id = d.workspace_id AND m.member_id = d.member_id
             WHERE d.workspace_id = ?1 AND d.revoked_at IS NULL AND m.removed_at IS NULL",
        )?;
        let mut rows = stmt.query([ws])?;
        while let Some(row) = rows.next()? {
            remaining.push(to_id(row.get(0)?)?);
        }
    }
    policy::check_rotation(to_epoch(epoch)?, &remaining, rotation)?;
    {
        let mut insert = tx.prepare(
            "INSERT INTO sealed_keys (workspace_id, epoch, device_id, sealed)
             VALUES (?1, ?2, ?3, ?4)",
        )?;
        for wrapped in &rotation.wrapped {
            insert.execute(params![
                ws,
                rotation.epoch,
                wrapped.device_id.as_bytes(),
                wrapped.sealed
            ])?;
        }
    }
    tx.execute(
        "UPDATE workspaces SET key_epoch = ?1, rotation_needed = 0 WHERE id = ?2",
        params![rotation.epoch, ws],
    )?;
    Ok(())
}

pub(super) fn rotate_key(
    conn: &mut Connection,
    actor: &DeviceAuth,
    rotation: &KeyRotation,
    events: &[RosterEntry],
) -> StorageResult<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let role = actor_role(&tx, actor)?;
    policy::may_rotate(role)?;
    apply_rotation(&tx, &actor.workspace_id, rotation)?;
    roster::append(&tx, &actor.workspace_id, events)?;
    tx.commit()?;
    Ok(())
}

pub(super) fn grant_keys(
    conn: &mut Connection,
    actor: &DeviceAuth,
    device: &Id,
    keys: &[KeyEnvelope],
) -> StorageResult<u64> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    actor_role(&tx, actor)?;
    let ws = actor.workspace_id.as_bytes();
    let epoch: i64 = tx
        .query_row(
            "SELECT key_epoch FROM workspaces WHERE id = ?1",
            [ws],
            |r| r.get(0),
        )
        .optional()?
        .ok_or(StorageError::NotFound)?;
    policy::check_grant(to_epoch(epoch)?, keys)?;
    // An active row first, if the device has one.
    let revoked: bool = tx
        .query_row(
            "SELECT d.revoked_at IS NOT NULL OR m.removed_at IS NOT NULL FROM devices d
             JOIN members m ON m.workspace_id = d.workspace_id AND m.member_id = d.member_id
             WHERE d.workspace_id = ?1 AND d.device_id = ?2
             ORDER BY 1 LIMIT 1",
            params![ws, device.as_bytes()],
            |r| r.get(0),
        )
        .optional()?
        .ok_or(StorageError::NotFound)?;
    if revoked {
        return Err(Refusal::DeviceRevoked.into());
    }
    let mut stored = 0;
    {
        // The first key stored for an epoch is kept: a grant never replaces one.
        let mut insert = tx.prepare(
            "INSERT INTO sealed_keys (workspace_id, epoch, device_id, sealed)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (workspace_id, device_id, epoch) DO NOTHING",
        )?;
        for key in keys {
            stored += insert.execute(params![ws, key.epoch, device.as_bytes(), key.sealed])?;
        }
    }
    tx.commit()?;
    Ok(stored as u64)
}

pub(super) fn sealed_keys(
    conn: &mut Connection,
    workspace: &Id,
    device: &Id,
    after: Option<u32>,
) -> StorageResult<Vec<KeyEnvelope>> {
    let mut stmt = conn.prepare(
        "SELECT epoch, sealed FROM sealed_keys
         WHERE workspace_id = ?1 AND device_id = ?2 AND epoch > ?3 ORDER BY epoch",
    )?;
    // No `after`: from epoch 0, which only a grant stores.
    let after = after.map_or(-1, i64::from);
    let mut rows = stmt.query(params![workspace.as_bytes(), device.as_bytes(), after])?;
    let mut keys = Vec::new();
    while let Some(row) = rows.next()? {
        keys.push(KeyEnvelope {
            epoch: to_epoch(row.get(0)?)?,
            sealed: row.get(1)?,
        });
    }
    Ok(keys)
}
