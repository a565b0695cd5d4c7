//! Workspace keys in SQLite: a rotation (checked by [`policy::check_rotation`] against the
//! devices that remain, inside the transaction that stores it) and the sealed keys a device
//! fetches.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use trellis_protocol::api::{KeyEnvelope, KeyRotation};
use trellis_protocol::Id;

use super::members::actor_role;
use crate::storage::records::{to_epoch, to_id};
use crate::storage::{policy, DeviceAuth, StorageError, StorageResult};

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
) -> StorageResult<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let role = actor_role(&tx, actor)?;
    policy::may_rotate(role)?;
    apply_rotation(&tx, &actor.workspace_id, rotation)?;
    tx.commit()?;
    Ok(())
}

pub(super) fn sealed_keys(
    conn: &mut Connection,
    workspace: &Id,
    device: &Id,
    after: u32,
) -> StorageResult<Vec<KeyEnvelope>> {
    let mut stmt = conn.prepare(
        "SELECT epoch, sealed FROM sealed_keys
         WHERE workspace_id = ?1 AND device_id = ?2 AND epoch > ?3 ORDER BY epoch",
    )?;
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
