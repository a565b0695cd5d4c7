//! Invites in PostgreSQL: storing one with the workspace's current key epoch, redeeming it in
//! one transaction under the workspace's row lock that reads the invite, its issuer and the
//! ids it would take, lets [`policy::check_invite`] and [`policy::redemption`] decide, then
//! registers the device (and a new member) and marks the invite used; and cancelling one, as
//! [`policy::may_cancel_invite`] allows. Each appends its roster events in its transaction.

use trellis_protocol::Id;

use super::members::{insert_device, lock_for, registered, NewDevice};
use super::roster;
use super::{b, exec, lock_workspace, one, opt, Tx};
use crate::storage::records::{to_id, to_role, InviteRow};
use crate::storage::{
    policy, DeviceAuth, NewInvite, Redeemed, Redemption, RosterEntry, StorageError, StorageResult,
};

pub(super) async fn create_invite(tx: &Tx<'_>, invite: &NewInvite) -> StorageResult<()> {
    lock_workspace(tx, &invite.workspace_id).await?;
    // An id the workspace used already (the inviting device chose it) stores nothing.
    let taken: bool = one(
        tx,
        "SELECT EXISTS (SELECT 1 FROM invites WHERE workspace_id = $1 AND invite_id = $2)",
        &[&b(&invite.workspace_id), &b(&invite.invite_id)],
    )
    .await?
    .try_get(0)?;
    if taken {
        return Err(StorageError::Conflict);
    }
    exec(
        tx,
        "INSERT INTO invites
            (secret_hash, workspace_id, invite_id, role, device, inviter_member_id, expires_at,
             key_epoch)
         VALUES ($1, $2, $3, $4, $5, $6, $7, (SELECT key_epoch FROM workspaces WHERE id = $2))",
        &[
            &invite.secret_hash.as_bytes().as_slice(),
            &b(&invite.workspace_id),
            &b(&invite.invite_id),
            &invite.role.as_str(),
            &invite.device,
            &b(&invite.inviter_member_id),
            &invite.expires_at,
        ],
    )
    .await?;
    roster::append(tx, &invite.workspace_id, &invite.roster).await?;
    Ok(())
}

pub(super) async fn redeem_invite(tx: &Tx<'_>, r: &Redemption) -> StorageResult<Redeemed> {
    // The workspace the invitee names; an invite of another one is answered NotFound below.
    match lock_workspace(tx, &r.workspace_id).await {
        Err(StorageError::NotFound) => return Err(StorageError::NotFound),
        other => other?,
    };
    let invite = opt(
        tx,
        "SELECT i.workspace_id, i.role, i.device, i.inviter_member_id, i.expires_at,
                i.used_at, i.cancelled_at
         FROM invites i WHERE i.secret_hash = $1",
        &[&r.secret_hash.as_bytes().as_slice()],
    )
    .await?
    .map(|row| {
        InviteRow::from_columns(
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
            row.try_get(4)?,
            row.try_get(5)?,
            row.try_get(6)?,
        )
    })
    .transpose()?;
    // The same redemption again (its answer was lost): the device already joined with the
    // token it sends, so it is answered as the first time and nothing changes; its roster
    // events count as appended if they are the ones stored.
    if invite
        .as_ref()
        .is_some_and(|i| i.workspace_id == r.workspace_id)
    {
        if let Some((member_id, role)) =
            registered(tx, &r.workspace_id, &r.device_id, &r.token_hash).await?
        {
            roster::check_repeat(tx, &r.workspace_id, &r.roster).await?;
            return Ok(Redeemed { member_id, role });
        }
    }
    policy::check_invite(invite.as_ref(), r)?;
    let Some(invite) = invite else {
        return Err(StorageError::NotFound);
    };
    let ws = b(&r.workspace_id);
    // The inviter, with her role as it is now; an invite dies with its issuer's membership.
    let inviter_role = match opt(
        tx,
        "SELECT role FROM members
         WHERE workspace_id = $1 AND member_id = $2 AND removed_at IS NULL",
        &[&ws, &b(&invite.inviter)],
    )
    .await?
    {
        Some(row) => Some(to_role(row.try_get(0)?)?),
        None => None,
    };
    let device_taken = opt(
        tx,
        "SELECT 1 FROM devices WHERE workspace_id = $1 AND device_id = $2 LIMIT 1",
        &[&ws, &b(&r.device_id)],
    )
    .await?
    .is_some();
    let member_taken = !invite.device
        && opt(
            tx,
            "SELECT 1 FROM members WHERE workspace_id = $1 AND member_id = $2",
            &[&ws, &b(&r.member_id)],
        )
        .await?
        .is_some();
    let inviter_devices: i64 = one(
        tx,
        "SELECT count(*) FROM devices
         WHERE workspace_id = $1 AND member_id = $2 AND revoked_at IS NULL",
        &[&ws, &b(&invite.inviter)],
    )
    .await?
    .try_get(0)?;
    let (redeemed, new_member) = policy::redemption(
        &invite,
        r,
        inviter_role,
        device_taken,
        member_taken,
        u64::try_from(inviter_devices).unwrap_or(0),
    )?;
    if new_member {
        exec(
            tx,
            "INSERT INTO members (workspace_id, member_id, role, created_at)
             VALUES ($1, $2, $3, $4)",
            &[
                &ws,
                &b(&redeemed.member_id),
                &redeemed.role.as_str(),
                &r.now,
            ],
        )
        .await?;
    }
    insert_device(
        tx,
        &NewDevice {
            token_hash: &r.token_hash,
            workspace: &r.workspace_id,
            member: &redeemed.member_id,
            device: &r.device_id,
            key: &r.device_key,
            now: r.now,
        },
    )
    .await?;
    let marked = exec(
        tx,
        "UPDATE invites SET used_at = $1 WHERE secret_hash = $2 AND used_at IS NULL",
        &[&r.now, &r.secret_hash.as_bytes().as_slice()],
    )
    .await?;
    if marked != 1 {
        return Err(StorageError::Gone);
    }
    roster::append(tx, &r.workspace_id, &r.roster).await?;
    Ok(redeemed)
}

pub(super) async fn cancel_invite(
    tx: &Tx<'_>,
    actor: &DeviceAuth,
    invite: &Id,
    events: &[RosterEntry],
    now: i64,
) -> StorageResult<()> {
    let role = lock_for(tx, actor).await?;
    let ws = b(&actor.workspace_id);
    let row = opt(
        tx,
        "SELECT inviter_member_id, used_at IS NOT NULL FROM invites
         WHERE workspace_id = $1 AND invite_id = $2",
        &[&ws, &b(invite)],
    )
    .await?
    .ok_or(StorageError::NotFound)?;
    policy::may_cancel_invite(
        role,
        actor.member_id,
        to_id(row.try_get(0)?)?,
        row.try_get(1)?,
    )?;
    exec(
        tx,
        "UPDATE invites SET cancelled_at = $1
         WHERE workspace_id = $2 AND invite_id = $3 AND cancelled_at IS NULL",
        &[&now, &ws, &b(invite)],
    )
    .await?;
    roster::append(tx, &actor.workspace_id, events).await?;
    Ok(())
}
