//! Invites in SQLite: storing one with the workspace's current key epoch, redeeming it in
//! one `BEGIN IMMEDIATE` transaction that reads the invite, its issuer and the ids it would
//! take, lets [`policy::check_invite`] and [`policy::redemption`] decide, then registers the
//! device (and a new member) and marks the invite used; and cancelling one, as
//! [`policy::may_cancel_invite`] allows. Each appends its roster events in its transaction.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use trellis_protocol::Id;

use super::members::{actor_role, insert_device, registered, NewDevice};
use super::roster;
use crate::storage::records::{to_id, to_role, InviteRow};
use crate::storage::{
    policy, DeviceAuth, NewInvite, Redeemed, Redemption, RosterEntry, StorageError, StorageResult,
};

pub(super) fn create_invite(conn: &mut Connection, invite: &NewInvite) -> StorageResult<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.query_row(
        "SELECT 1 FROM workspaces WHERE id = ?1",
        [invite.workspace_id.as_bytes()],
        |_| Ok(()),
    )
    .optional()?
    .ok_or(StorageError::NotFound)?;
    // An id the workspace used already (the inviting device chose it) stores nothing.
    let taken: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM invites WHERE workspace_id = ?1 AND invite_id = ?2)",
        params![invite.workspace_id.as_bytes(), invite.invite_id.as_bytes()],
        |r| r.get(0),
    )?;
    if taken {
        return Err(StorageError::Conflict);
    }
    tx.execute(
        "INSERT INTO invites
            (secret_hash, workspace_id, invite_id, role, device, inviter_member_id, expires_at,
             key_epoch)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,
                 (SELECT key_epoch FROM workspaces WHERE id = ?2))",
        params![
            invite.secret_hash.as_bytes(),
            invite.workspace_id.as_bytes(),
            invite.invite_id.as_bytes(),
            invite.role.as_str(),
            invite.device,
            invite.inviter_member_id.as_bytes(),
            invite.expires_at
        ],
    )?;
    roster::append(&tx, &invite.workspace_id, &invite.roster)?;
    tx.commit()?;
    Ok(())
}

pub(super) fn redeem_invite(conn: &mut Connection, r: &Redemption) -> StorageResult<Redeemed> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let invite = tx
        .query_row(
            "SELECT i.workspace_id, i.role, i.device, i.inviter_member_id, i.expires_at,
                    i.used_at, i.cancelled_at
             FROM invites i WHERE i.secret_hash = ?1",
            [r.secret_hash.as_bytes()],
            |row| {
                Ok((
                    (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?),
                    (row.get(4)?, row.get(5)?, row.get(6)?),
                ))
            },
        )
        .optional()?
        .map(
            |((ws, role, device, inviter), (expires_at, used_at, cancelled_at))| {
                InviteRow::from_columns(
                    ws,
                    role,
                    device,
                    inviter,
                    expires_at,
                    used_at,
                    cancelled_at,
                )
            },
        )
        .transpose()?;
    // The same redemption again (its answer was lost): the device already joined with the
    // token it sends, so it is answered as the first time and nothing changes; its roster
    // events count as appended if they are the ones stored.
    if invite
        .as_ref()
        .is_some_and(|i| i.workspace_id == r.workspace_id)
    {
        if let Some((member_id, role)) =
            registered(&tx, &r.workspace_id, &r.device_id, &r.token_hash)?
        {
            roster::check_repeat(&tx, &r.workspace_id, &r.roster)?;
            return Ok(Redeemed { member_id, role });
        }
    }
    policy::check_invite(invite.as_ref(), r)?;
    let Some(invite) = invite else {
        return Err(StorageError::NotFound);
    };
    let ws = r.workspace_id.as_bytes();
    // The inviter, with her role as it is now; an invite dies with its issuer's membership.
    let inviter_role: Option<String> = tx
        .query_row(
            "SELECT role FROM members
             WHERE workspace_id = ?1 AND member_id = ?2 AND removed_at IS NULL",
            params![ws, invite.inviter.as_bytes()],
            |row| row.get(0),
        )
        .optional()?;
    let device_taken = tx
        .query_row(
            "SELECT 1 FROM devices WHERE workspace_id = ?1 AND device_id = ?2",
            params![ws, r.device_id.as_bytes()],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    let member_taken = !invite.device
        && tx
            .query_row(
                "SELECT 1 FROM members WHERE workspace_id = ?1 AND member_id = ?2",
                params![ws, r.member_id.as_bytes()],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
    let inviter_role = inviter_role.map(to_role).transpose()?;
    let inviter_devices: i64 = tx.query_row(
        "SELECT count(*) FROM devices
         WHERE workspace_id = ?1 AND member_id = ?2 AND revoked_at IS NULL",
        params![ws, invite.inviter.as_bytes()],
        |row| row.get(0),
    )?;
    let (redeemed, new_member) = policy::redemption(
        &invite,
        r,
        inviter_role,
        device_taken,
        member_taken,
        u64::try_from(inviter_devices).unwrap_or(0),
    )?;
    if new_member {
        tx.execute(
            "INSERT INTO members (workspace_id, member_id, role, created_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![
                ws,
                redeemed.member_id.as_bytes(),
                redeemed.role.as_str(),
                r.now
            ],
        )?;
    }
    insert_device(
        &tx,
        &NewDevice {
            token_hash: &r.token_hash,
            workspace: &r.workspace_id,
            member: &redeemed.member_id,
            device: &r.device_id,
            key: &r.device_key,
            now: r.now,
        },
    )?;
    let marked = tx.execute(
        "UPDATE invites SET used_at = ?1 WHERE secret_hash = ?2 AND used_at IS NULL",
        params![r.now, r.secret_hash.as_bytes()],
    )?;
    if marked != 1 {
        return Err(StorageError::Gone);
    }
    roster::append(&tx, &r.workspace_id, &r.roster)?;
    tx.commit()?;
    Ok(redeemed)
}

pub(super) fn cancel_invite(
    conn: &mut Connection,
    actor: &DeviceAuth,
    invite: &Id,
    events: &[RosterEntry],
    now: i64,
) -> StorageResult<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let role = actor_role(&tx, actor)?;
    let ws = actor.workspace_id.as_bytes();
    let (inviter, used): (Vec<u8>, bool) = tx
        .query_row(
            "SELECT inviter_member_id, used_at IS NOT NULL FROM invites
             WHERE workspace_id = ?1 AND invite_id = ?2",
            params![ws, invite.as_bytes()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or(StorageError::NotFound)?;
    policy::may_cancel_invite(role, actor.member_id, to_id(inviter)?, used)?;
    tx.execute(
        "UPDATE invites SET cancelled_at = ?1
         WHERE workspace_id = ?2 AND invite_id = ?3 AND cancelled_at IS NULL",
        params![now, ws, invite.as_bytes()],
    )?;
    roster::append(&tx, &actor.workspace_id, events)?;
    tx.commit()?;
    Ok(())
}
