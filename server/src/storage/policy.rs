//! The membership rules, as pure functions over what a backend reads inside its transaction.
//!
//! Every backend calls these with the rows it just read, so the relay enforces one set of
//! rules whatever the database, and each rule is unit-tested here without one.
//!
//! * The role ladder (who revokes, removes, leaves, transfers, rotates) is
//!   `trellis_protocol::roles`, which every device also checks in the signed roster; the
//!   functions here apply it to the rows a backend read.
//! * A key rotation names the next epoch (exactly the current one plus one) and seals the key
//!   to each remaining device exactly once, and to nothing else.
//! * An invite is redeemed once, before it expires, for the workspace it names, while its
//!   issuer is a member and the workspace key is the one it carries; the new device's id must
//!   be new to the workspace, and so must a new member's id ([`check_invite`],
//!   [`redemption`]).
//! * A push sealed with an older key than the workspace's is refused ([`check_sealed_with`]);
//!   a pull from below the log floor is told to bootstrap ([`check_floor`]).
//! * Compacted log entries are kept, and pulled, for a grace period after the completion that
//!   compacted them; then they are deleted as a run of the oldest seqs, and the floor is the
//!   lowest seq still stored ([`purge_cutoff`], [`purge_through`]).
//! * A checkpoint starts at most at the head and never below the newest complete one, and
//!   completes only once, while still the newest, holding the documents its uploader names
//!   ([`check_begin`], [`check_complete`]).
//! * Roster events are appended at the roster's next positions, in the transaction of the call
//!   they describe, up to [`MAX_ROSTER_EVENTS`] ([`check_roster_append`]); a call the relay
//!   recognizes as a repeat carries the events it appended the first time
//!   ([`check_roster_repeat`]).
//! * An invite is cancelled by the owner, an admin or the member who issued it, until it is
//!   redeemed ([`may_cancel_invite`]); keys are granted to a device for epochs the workspace
//!   has reached ([`check_grant`]).

use std::collections::HashSet;

use trellis_protocol::api::{KeyEnvelope, KeyRotation, Role};
use trellis_protocol::roles::{self, Denied};
use trellis_protocol::Id;

use super::records::InviteRow;
use super::{
    CheckpointRefusal, LogQuota, Redeemed, Redemption, Refusal, RosterEntry, StorageError,
    StorageResult, MAX_DEVICES_PER_MEMBER, MAX_OPEN_CHECKPOINTS, MAX_ROSTER_EVENTS,
};

pub use trellis_protocol::roles::RevokeTarget;

impl From<Denied> for Refusal {
    fn from(denied: Denied) -> Refusal {
        match denied {
            Denied::OwnerOrAdminOnly => Refusal::OwnerOrAdminOnly,
            Denied::OwnerOnly => Refusal::OwnerOnly,
            Denied::NotOwnDevice => Refusal::NotOwnDevice,
            Denied::AdminRevokesMembersOnly => Refusal::AdminRevokesMembersOnly,
            Denied::OwnersLastDevice => Refusal::OwnersLastDevice,
            Denied::AdminRemovesMembersOnly => Refusal::AdminRemovesMembersOnly,
            Denied::OwnerMustTransfer => Refusal::OwnerMustTransfer,
            Denied::MemberRemoved => Refusal::MemberRemoved,
            Denied::AlreadyOwner => Refusal::AlreadyOwner,
        }
    }
}

/// Whether a device of `actor_member` with `actor_role` may revoke `target`
/// ([`roles::may_revoke`]).
pub fn may_revoke(actor_role: Role, actor_member: Id, target: RevokeTarget) -> Result<(), Refusal> {
    Ok(roles::may_revoke(actor_role, actor_member, target)?)
}

/// Whether `actor_member` with `actor_role` may remove `target_member`
/// ([`roles::may_remove`]).
pub fn may_remove(
    actor_role: Role,
    actor_member: Id,
    target_role: Role,
    target_member: Id,
) -> Result<(), Refusal> {
    Ok(roles::may_remove(
        actor_role,
        actor_member,
        target_role,
        target_member,
    )?)
}

/// Whether a member with `role` may cut a checkpoint (start one, upload its documents, complete
/// it): completing one compacts the practice's log, so it is for owners and admins only.
pub fn may_checkpoint(role: Role) -> Result<(), Refusal> {
    if role.can_invite_members() {
        Ok(())
    } else {
        Err(Refusal::OwnerOrAdminOnly)
    }
}

/// Whether a member with `role` may leave ([`roles::may_leave`]).
pub fn may_leave(role: Role) -> Result<(), Refusal> {
    Ok(roles::may_leave(role)?)
}

/// Whether a member with `role` may rotate the workspace key ([`roles::may_rotate`]).
pub fn may_rotate(role: Role) -> Result<(), Refusal> {
    Ok(roles::may_rotate(role)?)
}

/// Whether `actor_member` with `actor_role` may hand ownership to `target_member`
/// ([`roles::may_transfer`]).
pub fn may_transfer(
    actor_role: Role,
    actor_member: Id,
    target_member: Id,
    target_removed: bool,
) -> Result<(), Refusal> {
    Ok(roles::may_transfer(
        actor_role,
        actor_member,
        target_member,
        target_removed,
    )?)
}

/// Whether `rotation` is the next epoch after `current_epoch` and seals the key to some of the
/// `remaining` devices (at least one), each at most once.
pub fn check_rotation(
    current_epoch: u32,
    remaining: &[Id],
    rotation: &KeyRotation,
) -> Result<(), Refusal> {
    if current_epoch.checked_add(1) != Some(rotation.epoch) {
        return Err(Refusal::StaleRotation);
    }
    let remaining: HashSet<Id> = remaining.iter().copied().collect();
    let mut named = HashSet::with_capacity(rotation.wrapped.len());
    for wrapped in &rotation.wrapped {
        if !remaining.contains(&wrapped.device_id) || !named.insert(wrapped.device_id) {
            return Err(Refusal::StaleRotation);
        }
    }
    // A subset is allowed: devices seal the next key only to the devices of the practice's
    // signed roster, which they verify and the relay cannot; a device the relay registered
    // but no entitled device admitted (a join cut short) gets no key.
    if named.is_empty() {
        Err(Refusal::StaleRotation)
    } else {
        Ok(())
    }
}

/// Whether the invite a redemption presents may be redeemed at all: [`StorageError::NotFound`]
/// for an unknown secret or an invite of another workspace, [`StorageError::Gone`] if it was
/// used or has expired.
pub fn check_invite(invite: Option<&InviteRow>, r: &Redemption) -> StorageResult<()> {
    let invite = invite.ok_or(StorageError::NotFound)?;
    if invite.workspace_id != r.workspace_id {
        return Err(StorageError::NotFound);
    }
    if invite.used || invite.cancelled || invite.expires_at <= r.now {
        return Err(StorageError::Gone);
    }
    Ok(())
}

/// The roster's head once `events` are appended to a roster whose newest seq is `head`: they
/// must be consecutive from `head + 1` ([`Refusal::RosterMoved`] otherwise: another device
/// appended first, and nothing may be applied), and the roster must stay within
/// [`MAX_ROSTER_EVENTS`] ([`Refusal::RosterFull`]). No events: the head as it is.
pub fn check_roster_append(head: u64, events: &[RosterEntry]) -> Result<u64, Refusal> {
    let mut next = head;
    for event in events {
        if Some(event.seq) != next.checked_add(1) {
            return Err(Refusal::RosterMoved { head });
        }
        next = event.seq;
    }
    if next > MAX_ROSTER_EVENTS {
        return Err(Refusal::RosterFull {
            limit: MAX_ROSTER_EVENTS,
        });
    }
    Ok(next)
}

/// Whether a request the relay recognizes as a repeat of one it applied (a signup or a
/// redemption sent again with the token its device made, after a lost answer) carries the
/// events that request appended: each must be the event stored at its seq, byte for byte
/// (`stored[i]` is the event stored at `events[i].seq`, `None` if there is none). Then they
/// count as appended; otherwise [`Refusal::RosterMoved`] (roster head `head`), and nothing
/// changes.
pub fn check_roster_repeat(
    head: u64,
    events: &[RosterEntry],
    stored: &[Option<Vec<u8>>],
) -> Result<(), Refusal> {
    let same = events.len() == stored.len()
        && events
            .iter()
            .zip(stored)
            .all(|(event, stored)| stored.as_deref() == Some(event.event.as_slice()));
    if same {
        Ok(())
    } else {
        Err(Refusal::RosterMoved { head })
    }
}

/// Whether a device of `actor_member` with `actor_role` may cancel an invite issued by
/// `inviter` (`used`: redeemed already): the owner and admins any, a member her own; a
/// redeemed invite is too late ([`Refusal::InviteUsed`]).
pub fn may_cancel_invite(
    actor_role: Role,
    actor_member: Id,
    inviter: Id,
    used: bool,
) -> Result<(), Refusal> {
    if !actor_role.can_invite_members() && actor_member != inviter {
        return Err(Refusal::NotOwnInvite);
    }
    if used {
        return Err(Refusal::InviteUsed);
    }
    Ok(())
}

/// Whether keys sealed for these epochs may be granted in a workspace at `current_epoch`:
/// every epoch at most the current one ([`Refusal::EpochAhead`] otherwise).
pub fn check_grant(current_epoch: u32, keys: &[KeyEnvelope]) -> Result<(), Refusal> {
    if keys.iter().any(|k| k.epoch > current_epoch) {
        return Err(Refusal::EpochAhead {
            current: current_epoch,
        });
    }
    Ok(())
}

/// Who a redeeming device joins, from what the backend read inside the transaction after
/// [`check_invite`]: the inviter's current role (`None` if the inviter was removed: the invite
/// died with her, [`StorageError::Gone`]), whether the device id is registered in the
/// workspace ([`Refusal::DeviceIdTaken`]) and, for a member invite, whether the proposed
/// member id exists ([`StorageError::Conflict`]). A device invite joins the inviter with her role as it is now,
/// unless she has [`MAX_DEVICES_PER_MEMBER`] devices not revoked (`inviter_devices`) already
/// ([`Refusal::TooManyDevices`]); a member invite makes a new member (the second value is then
/// `true`).
pub fn redemption(
    invite: &InviteRow,
    r: &Redemption,
    inviter_role: Option<Role>,
    device_taken: bool,
    member_taken: bool,
    inviter_devices: u64,
) -> StorageResult<(Redeemed, bool)> {
    let inviter_role = inviter_role.ok_or(StorageError::Gone)?;
    if device_taken {
        return Err(Refusal::DeviceIdTaken.into());
    }
    if invite.device && inviter_devices >= MAX_DEVICES_PER_MEMBER {
        return Err(Refusal::TooManyDevices {
            limit: MAX_DEVICES_PER_MEMBER,
        }
        .into());
    }
    if invite.device {
        let joined = Redeemed {
            member_id: invite.inviter,
            role: inviter_role,
        };
        return Ok((joined, false));
    }
    if member_taken {
        return Err(StorageError::Conflict);
    }
    let joined = Redeemed {
        member_id: r.member_id,
        role: invite.role,
    };
    Ok((joined, true))
}

/// Whether a push whose entries are sealed with key epoch `sealed_with` (when it says) may be
/// stored in a workspace at `key_epoch`: [`StorageError::StaleKey`] for an older epoch.
pub fn check_sealed_with(sealed_with: Option<u32>, key_epoch: u32) -> StorageResult<()> {
    match sealed_with.filter(|&sealed| sealed < key_epoch) {
        Some(sealed) => Err(StorageError::StaleKey {
            sealed,
            current: key_epoch,
        }),
        None => Ok(()),
    }
}

/// Whether a pull of the entries after `after` can be answered from a log whose floor (lowest
/// stored seq; 0 when nothing was ever deleted) is `floor`: [`StorageError::Compacted`] if the
/// entries right after `after` were compacted into a checkpoint and deleted since. Compacted
/// entries still in their grace period are at or above the floor and are served.
pub fn check_floor(after: u64, floor: u64) -> StorageResult<()> {
    if after.saturating_add(1) < floor {
        Err(StorageError::Compacted { floor })
    } else {
        Ok(())
    }
}

/// The compaction time at or before which a compacted entry's grace period is over at `now`,
/// for a grace period of `grace_seconds` (0: every compacted entry is due at once).
pub fn purge_cutoff(now: i64, grace_seconds: u64) -> i64 {
    now.saturating_sub(i64::try_from(grace_seconds).unwrap_or(i64::MAX))
}

/// The last seq a purge deletes from one workspace's log (every entry with a seq up to it), or
/// `None` for nothing: `newest_due` is the highest seq of an entry compacted at or before the
/// cutoff, `oldest_kept` the lowest seq of an entry that is not (not compacted, or compacted
/// later). Only a run of the oldest entries goes, so the log stays whole from its floor (the
/// deleted seq plus one) to its head, and the floor never passes an entry still in its grace
/// period, even if clocks disagree. Every entry due is covered by a complete checkpoint, so
/// the floor never passes the newest checkpoint's seq plus one: a device that starts from it
/// can always pull on after its seq.
pub fn purge_through(newest_due: Option<u64>, oldest_kept: Option<u64>) -> Option<u64> {
    let due = newest_due?;
    match oldest_kept {
        Some(0) => None,
        Some(kept) => Some(due.min(kept - 1)),
        None => Some(due),
    }
}

/// Whether a checkpoint may start at `seq` in a log whose head is `head`, when the newest
/// complete checkpoint (if any) covers `newest`.
pub fn check_begin(seq: u64, head: u64, newest: Option<u64>) -> Result<(), CheckpointRefusal> {
    if seq > head {
        return Err(CheckpointRefusal::AheadOfLog { head });
    }
    check_not_superseded(seq, newest)
}

/// Whether a checkpoint covering `seq` (complete already or not) may be completed, holding
/// `stored` documents when its uploader says it sent `expected`, when the newest complete
/// checkpoint (if any) covers `newest`.
pub fn check_complete(
    complete: bool,
    seq: u64,
    newest: Option<u64>,
    stored: u64,
    expected: u64,
) -> Result<(), CheckpointRefusal> {
    if complete {
        return Err(CheckpointRefusal::AlreadyComplete);
    }
    check_not_superseded(seq, newest)?;
    if stored != expected {
        return Err(CheckpointRefusal::DocCount { stored, expected });
    }
    Ok(())
}

/// The size of a workspace's log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogSize {
    /// Entries.
    pub entries: u64,
    /// Bytes of sealed changes.
    pub bytes: u64,
}

/// The log's size with one more entry of `bytes`, if that stays within `quota`;
/// [`StorageError::LogFull`] otherwise.
pub fn grow_log(size: LogSize, bytes: u64, quota: LogQuota) -> StorageResult<LogSize> {
    let grown = LogSize {
        entries: size.entries.saturating_add(1),
        bytes: size.bytes.saturating_add(bytes),
    };
    if grown.entries > quota.max_entries || grown.bytes > quota.max_bytes {
        return Err(StorageError::LogFull {
            entries: size.entries,
            bytes: size.bytes,
        });
    }
    Ok(grown)
}

/// Whether a checkpoint may begin while `open` others of the workspace are under way.
pub fn check_open_checkpoints(open: u64) -> Result<(), CheckpointRefusal> {
    if open >= MAX_OPEN_CHECKPOINTS {
        return Err(CheckpointRefusal::TooManyOpen {
            limit: MAX_OPEN_CHECKPOINTS,
        });
    }
    Ok(())
}

/// Whether a checkpoint covers every document it must (see
/// [`CheckpointRefusal::MissingDocuments`]): `missing` is how many of the documents with entries
/// up to its seq, or held by the previous checkpoint, it lacks (counted blind, by document id).
pub fn check_coverage(missing: u64) -> Result<(), CheckpointRefusal> {
    match missing {
        0 => Ok(()),
        missing => Err(CheckpointRefusal::MissingDocuments { missing }),
    }
}

fn check_not_superseded(seq: u64, newest: Option<u64>) -> Result<(), CheckpointRefusal> {
    match newest {
        Some(newest) if seq < newest => Err(CheckpointRefusal::Superseded { newest }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trellis_protocol::api::WrappedKey;

    fn id(n: u8) -> Id {
        Id([n; 16])
    }

    fn rotation(epoch: u32, devices: &[u8]) -> KeyRotation {
        KeyRotation {
            epoch,
            wrapped: devices
                .iter()
                .map(|&d| WrappedKey {
                    device_id: id(d),
                    sealed: "c2VhbGVk".into(),
                })
                .collect(),
            roster: Vec::new(),
        }
    }

    fn target(member: u8, role: Role, last_active_device: bool) -> RevokeTarget {
        RevokeTarget {
            member: id(member),
            role,
            last_active_device,
        }
    }

    #[test]
    fn members_revoke_only_their_own_devices() {
        assert_eq!(
            may_revoke(Role::Member, id(1), target(1, Role::Member, true)),
            Ok(())
        );
        for role in [Role::Member, Role::Admin] {
            assert_eq!(
                may_revoke(Role::Member, id(1), target(2, role, false)),
                Err(Refusal::NotOwnDevice)
            );
        }
        assert_eq!(
            may_revoke(Role::Member, id(1), target(2, Role::Owner, false)),
            Err(Refusal::NotOwnDevice)
        );
    }

    #[test]
    fn admins_revoke_members_devices_and_their_own_but_never_the_owners() {
        assert_eq!(
            may_revoke(Role::Admin, id(1), target(2, Role::Member, true)),
            Ok(())
        );
        assert_eq!(
            may_revoke(Role::Admin, id(1), target(1, Role::Admin, false)),
            Ok(())
        );
        assert_eq!(
            may_revoke(Role::Admin, id(1), target(2, Role::Admin, false)),
            Err(Refusal::AdminRevokesMembersOnly)
        );
        assert_eq!(
            may_revoke(Role::Admin, id(1), target(2, Role::Owner, false)),
            Err(Refusal::AdminRevokesMembersOnly)
        );
        assert_eq!(
            may_revoke(Role::Admin, id(1), target(2, Role::Owner, true)),
            Err(Refusal::AdminRevokesMembersOnly),
            "the role is refused first"
        );
    }

    #[test]
    fn the_owner_revokes_any_device_but_never_her_own_last_one() {
        for role in [Role::Member, Role::Admin] {
            assert_eq!(
                may_revoke(Role::Owner, id(1), target(2, role, true)),
                Ok(())
            );
        }
        assert_eq!(
            may_revoke(Role::Owner, id(1), target(1, Role::Owner, false)),
            Ok(())
        );
        assert_eq!(
            may_revoke(Role::Owner, id(1), target(1, Role::Owner, true)),
            Err(Refusal::OwnersLastDevice)
        );
    }

    #[test]
    fn removal_follows_the_role_ladder() {
        let (me, other) = (id(1), id(2));
        assert_eq!(
            may_remove(Role::Owner, me, Role::Owner, me),
            Err(Refusal::OwnerMustTransfer)
        );
        for target in [Role::Admin, Role::Member] {
            assert_eq!(may_remove(Role::Owner, me, target, other), Ok(()));
        }
        assert_eq!(may_remove(Role::Admin, me, Role::Member, other), Ok(()));
        for target in [Role::Owner, Role::Admin] {
            assert_eq!(
                may_remove(Role::Admin, me, target, other),
                Err(Refusal::AdminRemovesMembersOnly)
            );
        }
        assert_eq!(
            may_remove(Role::Admin, me, Role::Admin, me),
            Err(Refusal::AdminRemovesMembersOnly),
            "an admin leaves rather than removes herself"
        );
        for target in [Role::Owner, Role::Admin, Role::Member] {
            assert_eq!(
                may_remove(Role::Member, me, target, other),
                Err(Refusal::OwnerOrAdminOnly)
            );
        }
    }

    #[test]
    fn everyone_but_the_owner_may_leave_and_only_owners_and_admins_rotate_and_checkpoint() {
        assert_eq!(may_leave(Role::Owner), Err(Refusal::OwnerMustTransfer));
        assert_eq!(may_leave(Role::Admin), Ok(()));
        assert_eq!(may_leave(Role::Member), Ok(()));
        assert_eq!(may_rotate(Role::Owner), Ok(()));
        assert_eq!(may_rotate(Role::Admin), Ok(()));
        assert_eq!(may_rotate(Role::Member), Err(Refusal::OwnerOrAdminOnly));
        assert_eq!(may_checkpoint(Role::Member), Err(Refusal::OwnerOrAdminOnly));
        assert_eq!(may_checkpoint(Role::Admin), Ok(()));
        assert_eq!(may_checkpoint(Role::Owner), Ok(()));
    }

    #[test]
    fn only_the_owner_transfers_and_only_to_a_current_other_member() {
        let (me, other) = (id(1), id(2));
        assert_eq!(may_transfer(Role::Owner, me, other, false), Ok(()));
        assert_eq!(
            may_transfer(Role::Owner, me, other, true),
            Err(Refusal::MemberRemoved)
        );
        assert_eq!(
            may_transfer(Role::Owner, me, me, false),
            Err(Refusal::AlreadyOwner)
        );
        assert_eq!(
            may_transfer(Role::Admin, me, other, false),
            Err(Refusal::OwnerOnly)
        );
    }

    #[test]
    fn a_rotation_must_be_the_next_epoch_and_seal_only_to_remaining_devices_once() {
        let remaining = [id(1), id(2), id(3)];
        assert_eq!(
            check_rotation(0, &remaining, &rotation(1, &[3, 1, 2])),
            Ok(())
        );
        assert_eq!(
            check_rotation(4, &remaining, &rotation(5, &[1, 2, 3])),
            Ok(())
        );
        let stale = Err(Refusal::StaleRotation);
        assert_eq!(
            check_rotation(0, &remaining, &rotation(2, &[1, 2, 3])),
            stale
        );
        assert_eq!(
            check_rotation(1, &remaining, &rotation(1, &[1, 2, 3])),
            stale
        );
        // Devices seal to the verified roster's devices, which may be fewer than the relay's.
        assert_eq!(check_rotation(0, &remaining, &rotation(1, &[1, 2])), Ok(()));
        assert_eq!(check_rotation(0, &remaining, &rotation(1, &[])), stale);
        assert_eq!(
            check_rotation(0, &remaining, &rotation(1, &[1, 2, 2])),
            stale
        );
        assert_eq!(
            check_rotation(0, &remaining, &rotation(1, &[1, 2, 3, 4])),
            stale
        );
        assert_eq!(
            check_rotation(0, &remaining, &rotation(1, &[1, 2, 4])),
            stale
        );
        assert_eq!(
            check_rotation(u32::MAX, &remaining, &rotation(0, &[1, 2, 3])),
            stale
        );
    }

    fn invite(device: bool) -> InviteRow {
        InviteRow {
            workspace_id: id(1),
            role: Role::Member,
            device,
            inviter: id(2),
            expires_at: 100,
            used: false,
            cancelled: false,
        }
    }

    fn redeeming(workspace: u8, now: i64) -> Redemption {
        Redemption {
            secret_hash: super::super::SecretHash::of("s"),
            workspace_id: id(workspace),
            device_id: id(5),
            member_id: id(6),
            device_key: super::super::DeviceKey([7; 32]),
            token_hash: super::super::SecretHash::of("t"),
            now,
            roster: Vec::new(),
        }
    }

    #[test]
    fn an_invite_is_redeemed_once_before_it_expires_for_its_own_workspace() {
        let r = redeeming(1, 50);
        assert!(check_invite(Some(&invite(false)), &r).is_ok());
        assert!(matches!(
            check_invite(None, &r),
            Err(StorageError::NotFound)
        ));
        assert!(matches!(
            check_invite(Some(&invite(false)), &redeeming(9, 50)),
            Err(StorageError::NotFound)
        ));
        assert!(matches!(
            check_invite(Some(&invite(false)), &redeeming(1, 100)),
            Err(StorageError::Gone)
        ));
        let used = InviteRow {
            used: true,
            ..invite(false)
        };
        assert!(matches!(
            check_invite(Some(&used), &r),
            Err(StorageError::Gone)
        ));
        let cancelled = InviteRow {
            cancelled: true,
            ..invite(false)
        };
        assert!(matches!(
            check_invite(Some(&cancelled), &r),
            Err(StorageError::Gone)
        ));
    }

    fn events(seqs: &[u64]) -> Vec<RosterEntry> {
        seqs.iter()
            .map(|&seq| RosterEntry {
                seq,
                event: vec![seq as u8; 3],
            })
            .collect()
    }

    #[test]
    fn roster_events_go_at_the_next_positions_and_nowhere_else() {
        assert_eq!(check_roster_append(0, &[]), Ok(0));
        assert_eq!(check_roster_append(7, &[]), Ok(7));
        assert_eq!(check_roster_append(0, &events(&[1])), Ok(1));
        assert_eq!(check_roster_append(4, &events(&[5, 6, 7])), Ok(7));
        let moved = |head| Err(Refusal::RosterMoved { head });
        // Another device appended first: the events name taken positions.
        assert_eq!(check_roster_append(5, &events(&[5, 6])), moved(5));
        assert_eq!(check_roster_append(5, &events(&[7])), moved(5));
        assert_eq!(check_roster_append(5, &events(&[6, 8])), moved(5));
        assert_eq!(check_roster_append(5, &events(&[6, 6])), moved(5));
        assert_eq!(check_roster_append(0, &events(&[0])), moved(0));
        assert_eq!(
            check_roster_append(u64::MAX, &events(&[0])),
            moved(u64::MAX)
        );
        let full = Err(Refusal::RosterFull {
            limit: MAX_ROSTER_EVENTS,
        });
        assert_eq!(
            check_roster_append(MAX_ROSTER_EVENTS - 1, &events(&[MAX_ROSTER_EVENTS])),
            Ok(MAX_ROSTER_EVENTS)
        );
        assert_eq!(
            check_roster_append(MAX_ROSTER_EVENTS, &events(&[MAX_ROSTER_EVENTS + 1])),
            full
        );
    }

    #[test]
    fn a_repeat_counts_only_the_events_stored_byte_for_byte() {
        let sent = events(&[1, 2]);
        let stored: Vec<Option<Vec<u8>>> = sent.iter().map(|e| Some(e.event.clone())).collect();
        assert_eq!(check_roster_repeat(2, &sent, &stored), Ok(()));
        assert_eq!(check_roster_repeat(2, &[], &[]), Ok(()));
        let moved = Err(Refusal::RosterMoved { head: 2 });
        let mut other = stored.clone();
        other[1] = Some(vec![9; 3]);
        assert_eq!(check_roster_repeat(2, &sent, &other), moved);
        assert_eq!(
            check_roster_repeat(2, &sent, &[stored[0].clone(), None]),
            moved
        );
        assert_eq!(check_roster_repeat(2, &sent, &stored[..1]), moved);
    }

    #[test]
    fn an_invite_is_cancelled_by_its_issuer_or_an_owner_or_admin_until_it_is_used() {
        let (me, other) = (id(1), id(2));
        assert_eq!(may_cancel_invite(Role::Member, me, me, false), Ok(()));
        assert_eq!(
            may_cancel_invite(Role::Member, me, other, false),
            Err(Refusal::NotOwnInvite)
        );
        for role in [Role::Owner, Role::Admin] {
            assert_eq!(may_cancel_invite(role, me, other, false), Ok(()));
            assert_eq!(
                may_cancel_invite(role, me, other, true),
                Err(Refusal::InviteUsed)
            );
        }
        assert_eq!(
            may_cancel_invite(Role::Member, me, other, true),
            Err(Refusal::NotOwnInvite),
            "the role is refused first"
        );
    }

    #[test]
    fn keys_are_granted_for_epochs_the_workspace_has_reached() {
        let key = |epoch| KeyEnvelope {
            epoch,
            sealed: "c2VhbGVk".into(),
        };
        assert_eq!(check_grant(2, &[key(0), key(2)]), Ok(()));
        assert_eq!(check_grant(0, &[]), Ok(()));
        assert_eq!(
            check_grant(2, &[key(1), key(3)]),
            Err(Refusal::EpochAhead { current: 2 })
        );
    }

    #[test]
    fn a_redemption_joins_the_inviter_or_makes_a_new_member() {
        let r = redeeming(1, 50);
        let (joined, new_member) =
            redemption(&invite(true), &r, Some(Role::Admin), false, true, 1).unwrap();
        assert_eq!(
            (joined.member_id, joined.role, new_member),
            (id(2), Role::Admin, false)
        );
        let (joined, new_member) =
            redemption(&invite(false), &r, Some(Role::Admin), false, false, 1).unwrap();
        assert_eq!(
            (joined.member_id, joined.role, new_member),
            (id(6), Role::Member, true)
        );
    }

    #[test]
    fn a_redemption_is_refused_in_the_order_the_relay_answers() {
        let r = redeeming(1, 50);
        assert!(matches!(
            redemption(&invite(false), &r, None, true, true, 1),
            Err(StorageError::Gone)
        ));
        assert!(matches!(
            redemption(&invite(false), &r, Some(Role::Owner), true, true, 1),
            Err(StorageError::Refused(Refusal::DeviceIdTaken))
        ));
        assert!(matches!(
            redemption(&invite(false), &r, Some(Role::Owner), false, true, 1),
            Err(StorageError::Conflict)
        ));
        // A member with the most devices a member may have gets no other through an invite;
        // a member invite is not about her devices.
        assert!(matches!(
            redemption(
                &invite(true),
                &r,
                Some(Role::Owner),
                false,
                false,
                MAX_DEVICES_PER_MEMBER
            ),
            Err(StorageError::Refused(Refusal::TooManyDevices { limit })) if limit == MAX_DEVICES_PER_MEMBER
        ));
        assert!(redemption(
            &invite(false),
            &r,
            Some(Role::Owner),
            false,
            false,
            MAX_DEVICES_PER_MEMBER
        )
        .is_ok());
        assert!(check_open_checkpoints(MAX_OPEN_CHECKPOINTS - 1).is_ok());
        assert!(matches!(
            check_open_checkpoints(MAX_OPEN_CHECKPOINTS),
            Err(CheckpointRefusal::TooManyOpen { .. })
        ));
    }

    #[test]
    fn stale_keys_and_compacted_pulls_are_refused() {
        assert!(check_sealed_with(None, 3).is_ok());
        assert!(check_sealed_with(Some(3), 3).is_ok());
        assert!(matches!(
            check_sealed_with(Some(2), 3),
            Err(StorageError::StaleKey {
                sealed: 2,
                current: 3
            })
        ));
        assert!(check_floor(0, 0).is_ok());
        assert!(check_floor(4, 5).is_ok());
        assert!(matches!(
            check_floor(3, 5),
            Err(StorageError::Compacted { floor: 5 })
        ));
    }

    #[test]
    fn compacted_entries_are_purged_after_their_grace_as_a_run_of_the_oldest_seqs() {
        let week = 7 * 24 * 3600;
        assert_eq!(purge_cutoff(1_000_000, week), 1_000_000 - week as i64);
        assert_eq!(purge_cutoff(5, 0), 5, "no grace: due at once");
        assert_eq!(purge_cutoff(5, u64::MAX), 5 - i64::MAX);
        // Nothing due: nothing goes.
        assert_eq!(purge_through(None, Some(1)), None);
        assert_eq!(purge_through(None, None), None);
        // Entries 1..=6 due, 7 on kept: up to 6.
        assert_eq!(purge_through(Some(6), Some(7)), Some(6));
        // The whole log due.
        assert_eq!(purge_through(Some(9), None), Some(9));
        // An entry compacted later sits below one that is due (clocks disagreed): the run
        // stops before it, so the floor never passes it.
        assert_eq!(purge_through(Some(9), Some(4)), Some(3));
        assert_eq!(purge_through(Some(9), Some(0)), None);
    }

    #[test]
    fn a_checkpoint_starts_within_the_log_and_completes_once_as_the_newest() {
        assert_eq!(check_begin(5, 5, None), Ok(()));
        assert_eq!(check_begin(5, 5, Some(5)), Ok(()));
        assert_eq!(
            check_begin(6, 5, Some(9)),
            Err(CheckpointRefusal::AheadOfLog { head: 5 })
        );
        assert_eq!(
            check_begin(3, 5, Some(4)),
            Err(CheckpointRefusal::Superseded { newest: 4 })
        );
        assert_eq!(check_complete(false, 5, Some(5), 2, 2), Ok(()));
        assert_eq!(
            check_complete(true, 5, Some(9), 1, 2),
            Err(CheckpointRefusal::AlreadyComplete)
        );
        assert_eq!(
            check_complete(false, 5, Some(9), 1, 2),
            Err(CheckpointRefusal::Superseded { newest: 9 })
        );
        assert_eq!(
            check_complete(false, 5, None, 1, 2),
            Err(CheckpointRefusal::DocCount {
                stored: 1,
                expected: 2
            })
        );
    }
}
