//! The role ladder: who may revoke, remove, leave, transfer ownership and rotate the key.
//!
//! One set of rules, enforced twice from this one place: by the relay on every membership call
//! (`server/src/storage/policy.rs`), and by every device on every event of the practice's
//! signed roster (`core/src/roster/`), so that a relay that lets a call through cannot make
//! devices accept what the rules refuse.
//!
//! * The owner may revoke any device; an admin her own and members' devices; a member her
//!   own. Nobody revokes the owner's last device.
//! * The owner may remove anyone but herself; an admin members only; a member no one.
//! * Anyone but the owner may leave; the owner hands ownership over first.
//! * Only owners and admins rotate the key; only the owner hands ownership over, to another
//!   member still in the practice.

use crate::api::Role;
use crate::Id;

/// Why the ladder refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// Only an owner or an admin may do this.
    OwnerOrAdminOnly,
    /// Only the owner may do this.
    OwnerOnly,
    /// A member may revoke only her own devices.
    NotOwnDevice,
    /// An admin may revoke her own devices and members' devices, not an admin's or the owner's.
    AdminRevokesMembersOnly,
    /// The device is the owner's last one not revoked.
    OwnersLastDevice,
    /// An admin may remove members, not admins or the owner.
    AdminRemovesMembersOnly,
    /// The owner cannot leave or be removed before handing ownership over.
    OwnerMustTransfer,
    /// The target member was removed (or left) already.
    MemberRemoved,
    /// The target member is already the owner.
    AlreadyOwner,
}

impl Denied {
    /// The rule, in words.
    pub fn reason(self) -> &'static str {
        match self {
            Denied::OwnerOrAdminOnly => "only an owner or an admin may do this",
            Denied::OwnerOnly => "only the owner may do this",
            Denied::NotOwnDevice => "a member may revoke only her own devices",
            Denied::AdminRevokesMembersOnly => {
                "an admin may revoke her own devices and members' devices only"
            }
            Denied::OwnersLastDevice => "the owner's last device cannot be revoked",
            Denied::AdminRemovesMembersOnly => "an admin may remove members only",
            Denied::OwnerMustTransfer => "the owner hands ownership over first",
            Denied::MemberRemoved => "that member is no longer in the practice",
            Denied::AlreadyOwner => "that member is already the owner",
        }
    }
}

/// The device a revocation names: whose it is, and whether it is that member's last device
/// not revoked yet.
#[derive(Debug, Clone, Copy)]
pub struct RevokeTarget {
    /// The member the device belongs to.
    pub member: Id,
    /// That member's role.
    pub role: Role,
    /// Whether the device is not revoked yet and the member has no other such device.
    pub last_active_device: bool,
}

/// Whether a device of `actor_member` with `actor_role` may revoke `target`.
pub fn may_revoke(actor_role: Role, actor_member: Id, target: RevokeTarget) -> Result<(), Denied> {
    match actor_role {
        Role::Owner => {}
        _ if actor_member == target.member => {}
        Role::Admin if target.role == Role::Member => {}
        Role::Admin => return Err(Denied::AdminRevokesMembersOnly),
        Role::Member => return Err(Denied::NotOwnDevice),
    }
    if target.role == Role::Owner && target.last_active_device {
        return Err(Denied::OwnersLastDevice);
    }
    Ok(())
}

/// Whether `actor_member` with `actor_role` may remove `target_member`, whose role is
/// `target_role`.
pub fn may_remove(
    actor_role: Role,
    actor_member: Id,
    target_role: Role,
    target_member: Id,
) -> Result<(), Denied> {
    match actor_role {
        Role::Member => Err(Denied::OwnerOrAdminOnly),
        Role::Owner if target_member == actor_member => Err(Denied::OwnerMustTransfer),
        Role::Owner => Ok(()),
        Role::Admin if target_role == Role::Member => Ok(()),
        Role::Admin => Err(Denied::AdminRemovesMembersOnly),
    }
}

/// Whether a member with `role` may leave.
pub fn may_leave(role: Role) -> Result<(), Denied> {
    if role == Role::Owner {
        Err(Denied::OwnerMustTransfer)
    } else {
        Ok(())
    }
}

/// Whether a member with `role` may rotate the workspace key.
pub fn may_rotate(role: Role) -> Result<(), Denied> {
    if role.can_invite_members() {
        Ok(())
    } else {
        Err(Denied::OwnerOrAdminOnly)
    }
}

/// Whether `actor_member` with `actor_role` may hand ownership to `target_member` (whose
/// `removed` flag is given).
pub fn may_transfer(
    actor_role: Role,
    actor_member: Id,
    target_member: Id,
    target_removed: bool,
) -> Result<(), Denied> {
    if actor_role != Role::Owner {
        Err(Denied::OwnerOnly)
    } else if target_member == actor_member {
        Err(Denied::AlreadyOwner)
    } else if target_removed {
        Err(Denied::MemberRemoved)
    } else {
        Ok(())
    }
}
