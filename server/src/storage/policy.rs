//! The membership rules, as pure functions over what a backend reads inside its transaction.
//!
//! Every backend calls these with the rows it just read, so the relay enforces one set of
//! rules whatever the database, and each rule is unit-tested here without one.
//!
//! * Owners and admins may revoke any device of the workspace; a member only her own.
//! * The owner may remove anyone but herself; an admin may remove members only; a member may
//!   remove no one. Anyone but the owner may leave. The owner must transfer ownership first.
//! * Only owners and admins rotate the key; only the owner transfers ownership, to a current
//!   member.
//! * A key rotation names the next epoch (exactly the current one plus one) and seals the key
//!   to each remaining device exactly once, and to nothing else.

use std::collections::HashSet;

use trellis_protocol::api::{KeyRotation, Role};
use trellis_protocol::Id;

use super::Refusal;

/// Whether a device of `actor_member` with `actor_role` may revoke a device of
/// `device_member`.
pub fn may_revoke(actor_role: Role, actor_member: Id, device_member: Id) -> Result<(), Refusal> {
    if actor_role.can_invite_members() || actor_member == device_member {
        Ok(())
    } else {
        Err(Refusal::NotOwnDevice)
    }
}

/// Whether `actor_member` with `actor_role` may remove `target_member`, whose role is
/// `target_role`.
pub fn may_remove(
    actor_role: Role,
    actor_member: Id,
    target_role: Role,
    target_member: Id,
) -> Result<(), Refusal> {
    match actor_role {
        Role::Member => Err(Refusal::OwnerOrAdminOnly),
        Role::Owner if target_member == actor_member => Err(Refusal::OwnerMustTransfer),
        Role::Owner => Ok(()),
        Role::Admin if target_role == Role::Member => Ok(()),
        Role::Admin => Err(Refusal::AdminRemovesMembersOnly),
    }
}

/// Whether a member with `role` may leave.
pub fn may_leave(role: Role) -> Result<(), Refusal> {
    if role == Role::Owner {
        Err(Refusal::OwnerMustTransfer)
    } else {
        Ok(())
    }
}

/// Whether a member with `role` may rotate the workspace key.
pub fn may_rotate(role: Role) -> Result<(), Refusal> {
    if role.can_invite_members() {
        Ok(())
    } else {
        Err(Refusal::OwnerOrAdminOnly)
    }
}

/// Whether `actor_member` with `actor_role` may hand ownership to `target_member` (whose
/// `removed` flag is given).
pub fn may_transfer(
    actor_role: Role,
    actor_member: Id,
    target_member: Id,
    target_removed: bool,
) -> Result<(), Refusal> {
    if actor_role != Role::Owner {
        Err(Refusal::OwnerOnly)
    } else if target_member == actor_member {
        Err(Refusal::AlreadyOwner)
    } else if target_removed {
        Err(Refusal::MemberRemoved)
    } else {
        Ok(())
    }
}

/// Whether `rotation` is the next epoch after `current_epoch` and seals the key to exactly the
/// `remaining` devices, each once.
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
    if named.len() == remaining.len() {
        Ok(())
    } else {
        Err(Refusal::StaleRotation)
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
        }
    }

    #[test]
    fn members_revoke_only_their_own_devices() {
        assert_eq!(may_revoke(Role::Member, id(1), id(1)), Ok(()));
        assert_eq!(
            may_revoke(Role::Member, id(1), id(2)),
            Err(Refusal::NotOwnDevice)
        );
        assert_eq!(may_revoke(Role::Admin, id(1), id(2)), Ok(()));
        assert_eq!(may_revoke(Role::Owner, id(1), id(2)), Ok(()));
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
    fn everyone_but_the_owner_may_leave_and_only_owners_and_admins_rotate() {
        assert_eq!(may_leave(Role::Owner), Err(Refusal::OwnerMustTransfer));
        assert_eq!(may_leave(Role::Admin), Ok(()));
        assert_eq!(may_leave(Role::Member), Ok(()));
        assert_eq!(may_rotate(Role::Owner), Ok(()));
        assert_eq!(may_rotate(Role::Admin), Ok(()));
        assert_eq!(may_rotate(Role::Member), Err(Refusal::OwnerOrAdminOnly));
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
    fn a_rotation_must_be_the_next_epoch_and_cover_each_remaining_device_once() {
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
        assert_eq!(check_rotation(0, &remaining, &rotation(1, &[1, 2])), stale);
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
}
