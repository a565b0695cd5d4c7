//! Members and devices in PostgreSQL: the token look-up every request makes, the members
//! listing, and the membership changes (revoking a device, removing a member, leaving,
//! transferring ownership). Each change first locks the workspace's row ([`lock_for`]), then
//! reads the caller's role and the target's row and applies [`policy`] to them before it
//! writes, and appends the roster events that describe the change in the same transaction;
//! revocations are announced to every relay process on commit.

use trellis_protocol::api::{KeyRotation, MembersResponse, Role};
use trellis_protocol::Id;

use super::keys::apply_rotation;
use super::roster;
use super::{all, b, exec, lock_workspace, notify_revoked, one, opt, Tx};
use crate::storage::policy::RevokeTarget;
use crate::storage::records::{device_info, member_info, to_epoch, to_id, to_role, token_lookup};
use crate::storage::{
    policy, DeviceAuth, DeviceKey, Refusal, RosterEntry, SecretHash, StorageError, StorageResult,
    TokenLookup,
};

/// A device row to insert.
pub(super) struct NewDevice<'a> {
    pub(super) token_hash: &'a SecretHash,
    pub(super) workspace: &'a Id,
    pub(super) member: &'a Id,
    pub(super) device: &'a Id,
    pub(super) key: &'a DeviceKey,
    pub(super) now: i64,
}

/// The member and role of device `device` of workspace `ws` when it is active and holds the
/// token hashed as `token`: a signup or redemption repeated after a lost answer (the device
/// sends the token it made the first time).
pub(super) async fn registered(
    tx: &Tx<'_>,
    ws: &Id,
    device: &Id,
    token: &SecretHash,
) -> StorageResult<Option<(Id, Role)>> {
    opt(
        tx,
        "SELECT m.member_id, m.role FROM devices d
         JOIN members m ON m.workspace_id = d.workspace_id AND m.member_id = d.member_id
         WHERE d.workspace_id = $1 AND d.device_id = $2 AND d.token_hash = $3
           AND d.revoked_at IS NULL AND m.removed_at IS NULL",
        &[&b(ws), &b(device), &token.as_bytes().as_slice()],
    )
    .await?
    .map(|row| Ok((to_id(row.try_get(0)?)?, to_role(row.try_get(1)?)?)))
    .transpose()
}

pub(super) async fn insert_device(tx: &Tx<'_>, d: &NewDevice<'_>) -> StorageResult<()> {
    exec(
        tx,
        "INSERT INTO devices
            (token_hash, workspace_id, member_id, device_id, device_key, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &d.token_hash.as_bytes().as_slice(),
            &b(d.workspace),
            &b(d.member),
            &b(d.device),
            &d.key.0.as_slice(),
            &d.now,
        ],
    )
    .await?;
    Ok(())
}

/// Finds a device by its token: one statement outside a transaction (it runs on every
/// request, and a single statement reads one snapshot anyway).
pub(super) async fn device_by_token(
    client: &deadpool_postgres::Object,
    token: &SecretHash,
) -> StorageResult<Option<TokenLookup>> {
    let stmt = client
        .prepare_cached(
            "SELECT d.workspace_id, d.member_id, d.device_id, m.role,
                d.revoked_at IS NOT NULL OR m.removed_at IS NOT NULL
         FROM devices d
         JOIN members m ON m.workspace_id = d.workspace_id AND m.member_id = d.member_id
         WHERE d.token_hash = $1",
        )
        .await?;
    let row = client
        .query_opt(&stmt, &[&token.as_bytes().as_slice()])
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    token_lookup(
        row.try_get(0)?,
        row.try_get(1)?,
        row.try_get(2)?,
        row.try_get(3)?,
        row.try_get(4)?,
    )
    .map(Some)
}

pub(super) async fn members(tx: &Tx<'_>, workspace: &Id) -> StorageResult<MembersResponse> {
    let ws = b(workspace);
    let state = opt(
        tx,
        "SELECT key_epoch, rotation_needed FROM workspaces WHERE id = $1",
        &[&ws],
    )
    .await?
    .ok_or(StorageError::NotFound)?;
    let mut members = Vec::new();
    for row in all(
        tx,
        "SELECT member_id, role, removed_at IS NOT NULL FROM members
         WHERE workspace_id = $1 ORDER BY created_at, member_id",
        &[&ws],
    )
    .await?
    {
        members.push(member_info(
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
        )?);
    }
    let mut devices = Vec::new();
    for row in all(
        tx,
        "SELECT d.device_id, d.member_id, d.device_key, d.created_at,
                d.revoked_at IS NOT NULL OR m.removed_at IS NOT NULL
         FROM devices d
         JOIN members m ON m.workspace_id = d.workspace_id AND m.member_id = d.member_id
         WHERE d.workspace_id = $1 ORDER BY d.created_at, d.device_id",
        &[&ws],
    )
    .await?
    {
        devices.push(device_info(
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
            row.try_get(4)?,
        )?);
    }
    Ok(MembersResponse {
        members,
        devices,
        key_epoch: to_epoch(state.try_get(0)?)?,
        rotation_needed: state.try_get(1)?,
    })
}

/// The calling device's member's current role, read inside the transaction;
/// [`Refusal::CallerRevoked`] if the device was revoked or its member removed meanwhile.
pub(super) async fn actor_role(tx: &Tx<'_>, actor: &DeviceAuth) -> StorageResult<Role> {
    let row = opt(
        tx,
        "SELECT m.role FROM devices d
         JOIN members m ON m.workspace_id = d.workspace_id AND m.member_id = d.member_id
         WHERE d.workspace_id = $1 AND d.device_id = $2 AND d.member_id = $3
           AND d.revoked_at IS NULL AND m.removed_at IS NULL
         LIMIT 1",
        &[
            &b(&actor.workspace_id),
            &b(&actor.device_id),
            &b(&actor.member_id),
        ],
    )
    .await?
    .ok_or(Refusal::CallerRevoked)?;
    to_role(row.try_get(0)?)
}

/// Locks the actor's workspace, then reads the actor's role (see [`actor_role`]).
pub(super) async fn lock_for(tx: &Tx<'_>, actor: &DeviceAuth) -> StorageResult<Role> {
    match lock_workspace(tx, &actor.workspace_id).await {
        // The caller authenticated against this workspace; if it is gone, so is the caller.
        Err(StorageError::NotFound) => return Err(Refusal::CallerRevoked.into()),
        other => other?,
    };
    actor_role(tx, actor).await
}

/// A member's role and whether it was removed; [`StorageError::NotFound`] if there is none.
pub(super) async fn member_row(
    tx: &Tx<'_>,
    workspace: &Id,
    member: &Id,
) -> StorageResult<(Role, bool)> {
    let row = opt(
        tx,
        "SELECT role, removed_at IS NOT NULL FROM members
         WHERE workspace_id = $1 AND member_id = $2",
        &[&b(workspace), &b(member)],
    )
    .await?
    .ok_or(StorageError::NotFound)?;
    Ok((to_role(row.try_get(0)?)?, row.try_get(1)?))
}

pub(super) async fn mark_rotation_needed(tx: &Tx<'_>, workspace: &Id) -> StorageResult<()> {
    exec(
        tx,
        "UPDATE workspaces SET rotation_needed = true WHERE id = $1",
        &[&b(workspace)],
    )
    .await?;
    Ok(())
}

/// Marks a member removed and revokes its unrevoked devices; returns those devices.
pub(super) async fn remove_member_rows(
    tx: &Tx<'_>,
    workspace: &Id,
    member: &Id,
    now: i64,
) -> StorageResult<Vec<Id>> {
    let (ws, member) = (b(workspace), b(member));
    exec(
        tx,
        "UPDATE members SET removed_at = $1
         WHERE workspace_id = $2 AND member_id = $3 AND removed_at IS NULL",
        &[&now, &ws, &member],
    )
    .await?;
    let mut revoked = Vec::new();
    for row in all(
        tx,
        "UPDATE devices SET revoked_at = $1
         WHERE workspace_id = $2 AND member_id = $3 AND revoked_at IS NULL
         RETURNING device_id",
        &[&now, &ws, &member],
    )
    .await?
    {
        revoked.push(to_id(row.try_get(0)?)?);
    }
    revoked.sort();
    revoked.dedup();
    Ok(revoked)
}

pub(super) async fn revoke_device(
    tx: &Tx<'_>,
    actor: &DeviceAuth,
    device: &Id,
    events: &[RosterEntry],
    now: i64,
) -> StorageResult<Vec<Id>> {
    let role = lock_for(tx, actor).await?;
    let ws = b(&actor.workspace_id);
    let row = opt(
        tx,
        "SELECT member_id, bool_and(revoked_at IS NOT NULL) FROM devices
         WHERE workspace_id = $1 AND device_id = $2 GROUP BY member_id LIMIT 1",
        &[&ws, &b(device)],
    )
    .await?
    .ok_or(StorageError::NotFound)?;
    let already_revoked: bool = row.try_get(1)?;
    let member = to_id(row.try_get(0)?)?;
    let (member_role, _) = member_row(tx, &actor.workspace_id, &member).await?;
    let others_active: i64 = one(
        tx,
        "SELECT count(*) FROM devices
         WHERE workspace_id = $1 AND member_id = $2 AND device_id != $3 AND revoked_at IS NULL",
        &[&ws, &b(&member), &b(device)],
    )
    .await?
    .try_get(0)?;
    policy::may_revoke(
        role,
        actor.member_id,
        RevokeTarget {
            member,
            role: member_role,
            last_active_device: !already_revoked && others_active == 0,
        },
    )?;
    roster::append(tx, &actor.workspace_id, events).await?;
    if already_revoked {
        return Ok(Vec::new());
    }
    exec(
        tx,
        "UPDATE devices SET revoked_at = $1
         WHERE workspace_id = $2 AND device_id = $3 AND revoked_at IS NULL",
        &[&now, &ws, &b(device)],
    )
    .await?;
    mark_rotation_needed(tx, &actor.workspace_id).await?;
    notify_revoked(tx, &actor.workspace_id, &[*device]).await?;
    Ok(vec![*device])
}

pub(super) async fn remove_member(
    tx: &Tx<'_>,
    actor: &DeviceAuth,
    member: &Id,
    rotation: &KeyRotation,
    events: &[RosterEntry],
    now: i64,
) -> StorageResult<Vec<Id>> {
    let role = lock_for(tx, actor).await?;
    let (target_role, removed) = member_row(tx, &actor.workspace_id, member).await?;
    policy::may_remove(role, actor.member_id, target_role, *member)?;
    if removed {
        return Err(Refusal::MemberRemoved.into());
    }
    let revoked = remove_member_rows(tx, &actor.workspace_id, member, now).await?;
    // Checked against the devices that remain once the member is gone; an error rolls the
    // transaction back, removal included.
    apply_rotation(tx, &actor.workspace_id, rotation).await?;
    roster::append(tx, &actor.workspace_id, events).await?;
    notify_revoked(tx, &actor.workspace_id, &revoked).await?;
    Ok(revoked)
}

pub(super) async fn leave(
    tx: &Tx<'_>,
    actor: &DeviceAuth,
    events: &[RosterEntry],
    now: i64,
) -> StorageResult<Vec<Id>> {
    let role = lock_for(tx, actor).await?;
    policy::may_leave(role)?;
    let revoked = remove_member_rows(tx, &actor.workspace_id, &actor.member_id, now).await?;
    mark_rotation_needed(tx, &actor.workspace_id).await?;
    roster::append(tx, &actor.workspace_id, events).await?;
    notify_revoked(tx, &actor.workspace_id, &revoked).await?;
    Ok(revoked)
}

pub(super) async fn transfer_ownership(
    tx: &Tx<'_>,
    actor: &DeviceAuth,
    to: &Id,
    events: &[RosterEntry],
) -> StorageResult<()> {
    let role = lock_for(tx, actor).await?;
    let (_, removed) = member_row(tx, &actor.workspace_id, to).await?;
    policy::may_transfer(role, actor.member_id, *to, removed)?;
    let ws = b(&actor.workspace_id);
    exec(
        tx,
        "UPDATE members SET role = $1 WHERE workspace_id = $2 AND member_id = $3",
        &[&Role::Admin.as_str(), &ws, &b(&actor.member_id)],
    )
    .await?;
    exec(
        tx,
        "UPDATE members SET role = $1 WHERE workspace_id = $2 AND member_id = $3",
        &[&Role::Owner.as_str(), &ws, &b(to)],
    )
    .await?;
    roster::append(tx, &actor.workspace_id, events).await?;
    Ok(())
}
