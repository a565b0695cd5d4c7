//! Workspace keys in PostgreSQL: a rotation (checked by [`policy::check_rotation`] against the
//! devices that remain, inside the transaction that stores it, under the workspace's row lock,
//! with its roster events), keys granted to one device ([`policy::check_grant`]; an epoch it
//! holds already is kept), and the sealed keys a device fetches.

use trellis_protocol::api::{KeyEnvelope, KeyRotation};
use trellis_protocol::Id;

use super::members::lock_for;
use super::roster;
use super::{all, b, exec, opt, Tx};
use crate::storage::records::{to_epoch, to_id};
use crate::storage::{policy, DeviceAuth, Refusal, RosterEntry, StorageError, StorageResult};

/// Checks a rotation against the workspace as it is inside the transaction, stores its sealed
/// keys, bumps the epoch and clears the rotation mark.
pub(super) async fn apply_rotation(
    tx: &Tx<'_>,
    workspace: &Id,
    rotation: &KeyRotation,
) -> StorageResult<()> {
    let ws = b(workspace);
    let epoch: i64 = opt(tx, "SELECT key_epoch FROM workspaces WHERE id = $1", &[&ws])
        .await?
        .ok_or(StorageError::NotFound)?
        .try_get(0)?;
    let mut remaining = Vec::new();
    for row in all(
        tx,
        "SELECT DISTINCT d.device_id FROM devices d
         JOIN members m ON m.workspace_id = d.workspace_id AND m.member_id = d.member_id
         WHERE d.workspace_id = $1 AND d.revoked_at IS NULL AND m.removed_at IS NULL",
        &[&ws],
    )
    .await?
    {
        remaining.push(to_id(row.try_get(0)?)?);
    }
    policy::check_rotation(to_epoch(epoch)?, &remaining, rotation)?;
    let new_epoch = i64::from(rotation.epoch);
    for wrapped in &rotation.wrapped {
        exec(
            tx,
            "INSERT INTO sealed_keys (workspace_id, epoch, device_id, sealed)
             VALUES ($1, $2, $3, $4)",
            &[&ws, &new_epoch, &b(&wrapped.device_id), &wrapped.sealed],
        )
        .await?;
    }
    exec(
        tx,
        "UPDATE workspaces SET key_epoch = $1, rotation_needed = false WHERE id = $2",
        &[&new_epoch, &ws],
    )
    .await?;
    Ok(())
}

pub(super) async fn rotate_key(
    tx: &Tx<'_>,
    actor: &DeviceAuth,
    rotation: &KeyRotation,
    events: &[RosterEntry],
) -> StorageResult<()> {
    let role = lock_for(tx, actor).await?;
    policy::may_rotate(role)?;
    apply_rotation(tx, &actor.workspace_id, rotation).await?;
    roster::append(tx, &actor.workspace_id, events).await?;
    Ok(())
}

pub(super) async fn grant_keys(
    tx: &Tx<'_>,
    actor: &DeviceAuth,
    device: &Id,
    keys: &[KeyEnvelope],
) -> StorageResult<u64> {
    lock_for(tx, actor).await?;
    let ws = b(&actor.workspace_id);
    let epoch: i64 = opt(tx, "SELECT key_epoch FROM workspaces WHERE id = $1", &[&ws])
        .await?
        .ok_or(StorageError::NotFound)?
        .try_get(0)?;
    policy::check_grant(to_epoch(epoch)?, keys)?;
    // An active row first, if the device has one.
    let revoked: bool = opt(
        tx,
        "SELECT d.revoked_at IS NOT NULL OR m.removed_at IS NOT NULL FROM devices d
         JOIN members m ON m.workspace_id = d.workspace_id AND m.member_id = d.member_id
         WHERE d.workspace_id = $1 AND d.device_id = $2
         ORDER BY 1 LIMIT 1",
        &[&ws, &b(device)],
    )
    .await?
    .ok_or(StorageError::NotFound)?
    .try_get(0)?;
    if revoked {
        return Err(Refusal::DeviceRevoked.into());
    }
    let mut stored = 0;
    for key in keys {
        // The first key stored for an epoch is kept: a grant never replaces one.
        stored += exec(
            tx,
            "INSERT INTO sealed_keys (workspace_id, epoch, device_id, sealed)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (workspace_id, device_id, epoch) DO NOTHING",
            &[&ws, &i64::from(key.epoch), &b(device), &key.sealed],
        )
        .await?;
    }
    Ok(stored)
}

pub(super) async fn sealed_keys(
    tx: &Tx<'_>,
    workspace: &Id,
    device: &Id,
    after: Option<u32>,
) -> StorageResult<Vec<KeyEnvelope>> {
    let mut keys = Vec::new();
    for row in all(
        tx,
        "SELECT epoch, sealed FROM sealed_keys
         WHERE workspace_id = $1 AND device_id = $2 AND epoch > $3 ORDER BY epoch",
        // No `after`: from epoch 0, which only a grant stores.
        &[&b(workspace), &b(device), &after.map_or(-1, i64::from)],
    )
    .await?
    {
        keys.push(KeyEnvelope {
            epoch: to_epoch(row.try_get(0)?)?,
            sealed: row.try_get(1)?,
        });
    }
    Ok(keys)
}
