//! Members and devices in SQLite: the token look-up every request makes, the members
//! listing, and the membership changes (revoking a device, removing a member, leaving,
//! transferring ownership), each one `BEGIN IMMEDIATE` transaction that reads the caller's role
//! and the target's row and applies [`policy`] to them before it writes, and appends the roster
//! events that describe the change in the same transaction.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use trellis_protocol::api::{KeyRotation, MembersResponse, Role};
use trellis_protocol::Id;

use super::keys::apply_rotation;
use super::roster;
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
pub(super) fn registered(
    tx: &rusqlite::Transaction<'_>,
    ws: &Id,
    device: &Id,
    token: &SecretHash,
) -> StorageResult<Option<(Id, Role)>> {
    tx.query_row(
        "SELECT m.member_id, m.role FROM devices d
         JOIN members m ON m.workspace_id = d.workspace_id AND m.member_id = d.member_id
         WHERE d.workspace_id = ?1 AND d.device_id = ?2 AND d.token_hash = ?3
           AND d.revoked_at IS NULL AND m.removed_at IS NULL",
        params![ws.as_bytes(), device.as_bytes(), token.as_bytes()],
        |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?)),
    )
    .optional()?
    .map(|(member, role)| Ok((to_id(member)?, to_role(role)?)))
    .transpose()
}

pub(super) fn insert_device(
    tx: &rusqlite::Transaction<'_>,
    d: &NewDevice<'_>,
) -> StorageResult<()> {
    tx.execute(
        "INSERT INTO devices
            (token_hash, workspace_id, member_id, device_id, device_key, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            d.token_hash.as_bytes(),
            d.workspace.as_bytes(),
            d.member.as_bytes(),
            d.device.as_bytes(),
            d.key.0.as_slice(),
            d.now
        ],
    )?;
    Ok(())
}

pub(super) fn device_by_token(
    conn: &mut Connection,
    token: &SecretHash,
) -> StorageResult<Option<TokenLookup>> {
    // Every request authenticates: the statement is parsed once per connection, not per call.
    let row = conn
        .prepare_cached(
            "SELECT d.workspace_id, d.member_id, d.device_id, m.role,
                    d.revoked_at IS NOT NULL OR m.removed_at IS NOT NULL
             FROM devices d
             JOIN members m ON m.workspace_id = d.workspace_id AND m.member_id = d.member_id
             WHERE d.token_hash = ?1",
        )?
        .query_row([token.as_bytes()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?;
    row.map(|(ws, member, device, role, revoked)| token_lookup(ws, member, device, role, revoked))
        .transpose()
}

pub(super) fn members(conn: &mut Connection, workspace: &Id) -> StorageResult<MembersResponse> {
    // A deferred transaction: members, devices and the key state come from one snapshot.
    let tx = conn.transaction()?;
    let ws = workspace.as_bytes();
    let (key_epoch, rotation_needed): (i64, bool) = tx
        .query_row(
            "SELECT key_epoch, rotation_needed FROM workspaces WHERE id = ?1",
            [ws],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or(StorageError::NotFound)?;
    let mut members = Vec::new();
    {
        let mut stmt = tx.prepare(
            "SELECT member_id, role, removed_at IS NOT NULL FROM members
             WHERE workspace_id = ?1 ORDER BY created_at, member_id",
        )?;
        let mut rows = stmt.query([ws])?;
        while let Some(row) = rows.next()? {
            members.push(member_info(row.get(0)?, row.get(1)?, row.get(2)?)?);
        }
    }
    let mut devices = Vec::new();
    {
        let mut stmt = tx.prepare(
            "SELECT d.device_id, d.member_id, d.device_key, d.created_at,
                    d.revoked_at IS NOT NULL OR m.removed_at IS NOT NULL
             FROM devices d
             JOIN members m ON m.workspace_id = d.workspace_id AND m.member_id = d.member_id
             WHERE d.workspace_id = ?1 ORDER BY d.created_at, d.device_id",
        )?;
        let mut rows = stmt.query([ws])?;
        while let Some(row) = rows.next()? {
            devices.push(device_info(
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            )?);
        }
    }
    tx.finish()?;
    Ok(MembersResponse {
        members,
        devices,
        key_epoch: to_epoch(key_epoch)?,
        rotation_needed,
    })
}

/// The calling device's member's current role, read inside the transaction;
/// [`Refusal::CallerRevoked`] if the device was revoked or its member removed meanwhile.
pub(super) fn actor_role(
    tx: &rusqlite::Transaction<'_>,
    actor: &DeviceAuth,
) -> StorageResult<Role> {
    let role: Option<String> = tx
        .query_row(
            "SELECT m.role FROM devices d
             JOIN members m ON m.workspace_id = d.workspace_id AND m.member_id = d.member_id
             WHERE d.workspace_id = ?1 AND d.device_id = ?2 AND d.member_id = ?3
               AND d.revoked_at IS NULL AND m.removed_at IS NULL
             LIMIT 1",
            params![
                actor.workspace_id.as_bytes(),
                actor.device_id.as_bytes(),
                actor.member_id.as_bytes()
            ],
            |r| r.get(0),
        )
        .optional()?;
    to_role(role.ok_or(Refusal::CallerRevoked)?)
}

/// A member's role and whether it was removed; [`StorageError::NotFound`] if there is none.
pub(super) fn member_row(
    tx: &rusqlite::Transaction<'_>,
    workspace: &Id,
    member: &Id,
) -> StorageResult<(Role, bool)> {
    let row: Option<(String, bool)> = tx
        .query_row(
            "SELECT role, removed_at IS NOT NULL FROM members
             WHERE workspace_id = ?1 AND member_id = ?2",
            params![workspace.as_bytes(), member.as_bytes()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (role, removed) = row.ok_or(StorageError::NotFound)?;
    Ok((to_role(role)?, removed))
}

pub(super) fn mark_rotation_needed(
    tx: &rusqlite::Transaction<'_>,
    workspace: &Id,
) -> StorageResult<()> {
    tx.execute(
        "UPDATE workspaces SET rotation_needed = 1 WHERE id = ?1",
        [workspace.as_bytes()],
    )?;
    Ok(())
}

/// Marks a member removed and revokes its unrevoked devices; returns those devices.
pub(super) fn remove_member_rows(
    tx: &rusqlite::Transaction<'_>,
    workspace: &Id,
    member: &Id,
    now: i64,
) -> StorageResult<Vec<Id>> {
    let (ws, member) = (workspace.as_bytes(), member.as_bytes());
    tx.execute(
        "UPDATE members SET removed_at = ?1
         WHERE workspace_id = ?2 AND member_id = ?3 AND removed_at IS NULL",
        params![now, ws, member],
    )?;
    let mut revoked = Vec::new();
    {
        let mut stmt = tx.prepare(
            "SELECT device_id FROM devices
             WHERE workspace_id = ?1 AND member_id = ?2 AND revoked_at IS NULL",
        )?;
        let mut rows = stmt.query(params![ws, member])?;
        while let Some(row) = rows.next()? {
            revoked.push(to_id(row.get(0)?)?);
        }
    }
    tx.execute(
        "UPDATE devices SET revoked_at = ?1
         WHERE workspace_id = ?2 AND member_id = ?3 AND revoked_at IS NULL",
        params![now, ws, member],
    )?;
    Ok(revoked)
}

pub(super) fn revoke_device(
    conn: &mut Connection,
    actor: &DeviceAuth,
    device: &Id,
    events: &[RosterEntry],
    now: i64,
) -> StorageResult<Vec<Id>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let role = actor_role(&tx, actor)?;
    let ws = actor.workspace_id.as_bytes();
    let row: Option<(Vec<u8>, bool)> = tx
        .query_row(
            "SELECT member_id, MIN(revoked_at IS NOT NULL) FROM devices
             WHERE workspace_id = ?1 AND device_id = ?2 GROUP BY member_id LIMIT 1",
            params![ws, device.as_bytes()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (member, already_revoked) = row.ok_or(StorageError::NotFound)?;
    let member = to_id(member)?;
    let (member_role, _) = member_row(&tx, &actor.workspace_id, &member)?;
    let others_active: i64 = tx.query_row(
        "SELECT count(*) FROM devices
         WHERE workspace_id = ?1 AND member_id = ?2 AND device_id != ?3 AND revoked_at IS NULL",
        params![ws, member.as_bytes(), device.as_bytes()],
        |r| r.get(0),
    )?;
    policy::may_revoke(
        role,
        actor.member_id,
        RevokeTarget {
            member,
            role: member_role,
            last_active_device: !already_revoked && others_active == 0,
        },
    )?;
    roster::append(&tx, &actor.workspace_id, events)?;
    if already_revoked {
        tx.commit()?;
        return Ok(Vec::new());
    }
    tx.execute(
        "UPDATE devices SET revoked_at = ?1
         WHERE workspace_id = ?2 AND device_id = ?3 AND revoked_at IS NULL",
        params![now, ws, device.as_bytes()],
    )?;
    mark_rotation_needed(&tx, &actor.workspace_id)?;
    tx.commit()?;
    Ok(vec![*device])
}

pub(super) fn remove_member(
    conn: &mut Connection,
    actor: &DeviceAuth,
    member: &Id,
    rotation: &KeyRotation,
    events: &[RosterEntry],
    now: i64,
) -> StorageResult<Vec<Id>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let role = actor_role(&tx, actor)?;
    let (target_role, removed) = member_row(&tx, &actor.workspace_id, member)?;
    policy::may_remove(role, actor.member_id, target_role, *member)?;
    if removed {
        return Err(Refusal::MemberRemoved.into());
    }
    let revoked = remove_member_rows(&tx, &actor.workspace_id, member, now)?;
    // Checked against the devices that remain once the member is gone; an error drops the
    // transaction, so the removal above is undone with it.
    apply_rotation(&tx, &actor.workspace_id, rotation)?;
    roster::append(&tx, &actor.workspace_id, events)?;
    tx.commit()?;
    Ok(revoked)
}

pub(super) fn leave(
    conn: &mut Connection,
    actor: &DeviceAuth,
    events: &[RosterEntry],
    now: i64,
) -> StorageResult<Vec<Id>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let role = actor_role(&tx, actor)?;
    policy::may_leave(role)?;
    let revoked = remove_member_rows(&tx, &actor.workspace_id, &actor.member_id, now)?;
    mark_rotation_needed(&tx, &actor.workspace_id)?;
    roster::append(&tx, &actor.workspace_id, events)?;
    tx.commit()?;
    Ok(revoked)
}

pub(super) fn transfer_ownership(
    conn: &mut Connection,
    actor: &DeviceAuth,
    to: &Id,
    events: &[RosterEntry],
) -> StorageResult<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let role = actor_role(&tx, actor)?;
    let (_, removed) = member_row(&tx, &actor.workspace_id, to)?;
    policy::may_transfer(role, actor.member_id, *to, removed)?;
    let ws = actor.workspace_id.as_bytes();
    tx.execute(
        "UPDATE members SET role = ?1 WHERE workspace_id = ?2 AND member_id = ?3",
        params![Role::Admin.as_str(), ws, actor.member_id.as_bytes()],
    )?;
    tx.execute(
        "UPDATE members SET role = ?1 WHERE workspace_id = ?2 AND member_id = ?3",
        params![Role::Owner.as_str(), ws, to.as_bytes()],
    )?;
    roster::append(&tx, &actor.workspace_id, events)?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::sqlite::{lock, test_workspace, SqliteStorage};
    use crate::storage::Storage;

    #[tokio::test]
    async fn a_revoked_device_or_removed_member_is_told_apart_by_its_token() {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(dir.path().join("r.sqlite3")).unwrap();
        let ws = test_workspace("tok");
        storage.create_workspace(ws.clone()).await.unwrap();
        let found = storage
            .device_by_token(SecretHash::of("tok"))
            .await
            .unwrap();
        assert_eq!(
            found,
            Some(TokenLookup::Active(DeviceAuth {
                workspace_id: ws.workspace_id,
                member_id: ws.member_id,
                device_id: ws.device_id,
                role: Role::Owner,
            }))
        );
        assert_eq!(
            storage
                .device_by_token(SecretHash::of("tok2"))
                .await
                .unwrap(),
            None
        );

        lock(&storage.inner.writer)
            .execute("UPDATE devices SET revoked_at = 2", [])
            .unwrap();
        let revoked = Some(TokenLookup::Revoked {
            workspace_id: ws.workspace_id,
        });
        assert_eq!(
            storage
                .device_by_token(SecretHash::of("tok"))
                .await
                .unwrap(),
            revoked
        );

        lock(&storage.inner.writer)
            .execute_batch(
                "UPDATE devices SET revoked_at = NULL; UPDATE members SET removed_at = 3",
            )
            .unwrap();
        assert_eq!(
            storage
                .device_by_token(SecretHash::of("tok"))
                .await
                .unwrap(),
            revoked,
            "a device of a removed member is revoked whatever its own row says"
        );
    }
}
