//! The roster's rules, event by event: who may do what, and what a relay cannot do to it.

use super::*;
use crate::crypto::signing::key_check;
use crate::crypto::{DeviceKeys, WorkspaceKey};

/// A device: its id, signing key and X25519 key.
pub(crate) struct Dev {
    pub id: Id,
    pub sign: DeviceSigner,
    pub boxk: DeviceKeys,
}

impl Dev {
    pub fn new() -> Dev {
        Dev {
            id: Id::random(),
            sign: DeviceSigner::generate(),
            boxk: DeviceKeys::generate(),
        }
    }
    fn sign_hex(&self) -> String {
        hex::encode(self.sign.public())
    }
    fn box_hex(&self) -> String {
        self.boxk.public_hex()
    }
}

/// A practice made by Dana's device, with its events as the relay would hold them.
pub(crate) struct Practice {
    pub roster: Roster,
    pub owner: Id,
    pub dana: Dev,
}

impl Practice {
    pub fn new() -> Practice {
        let ws = Id::random();
        let dana = Dev::new();
        let owner = Id::random();
        let r = Roster::empty(ws);
        let ev = r.make(
            &dana.id,
            &dana.sign,
            What::Create {
                member: owner,
                sign: dana.sign_hex(),
                box_key: dana.box_hex(),
                key_check: hex::encode(key_check(&ws, 0, &WorkspaceKey::generate())),
            },
        );
        let roster = Roster::from_events(ws, [ev]).unwrap();
        Practice {
            roster,
            owner,
            dana,
        }
    }

    /// Appends an event made by `by`.
    pub fn act(&mut self, by: &Dev, what: What) -> Option<String> {
        let ev = self.roster.make(&by.id, &by.sign, what);
        let seq = ev.0;
        self.roster.extend([ev]).unwrap();
        self.roster
            .refused()
            .iter()
            .find(|(s, _)| *s == seq)
            .map(|(_, why)| why.clone())
    }

    /// `by` invites; the new device joins as a new member (or a device of `by`'s member).
    pub fn invite_and_join(&mut self, by: &Dev, role: Role, device: bool) -> (Dev, Id) {
        let invite = DeviceSigner::generate();
        let refused = self.act(
            by,
            What::Invite {
                admit: hex::encode(invite.public()),
                id: Id::random(),
                role,
                device,
                expires_ms: crate::base::time::now_ms() + 3_600_000,
            },
        );
        assert_eq!(refused, None);
        let new = Dev::new();
        let member = if device {
            self.roster.devices[&by.id].member
        } else {
            Id::random()
        };
        assert_eq!(self.admit(&invite, &new, member), None);
        (new, member)
    }

    pub fn admit(&mut self, invite: &DeviceSigner, new: &Dev, member: Id) -> Option<String> {
        let m = admit_message(
            &self.roster.workspace(),
            &invite.public(),
            &member,
            &new.id,
            &new.sign.public(),
            &h32(&new.box_hex()).unwrap(),
        );
        self.act(
            new,
            What::Admit {
                admit: hex::encode(invite.public()),
                member,
                sign: new.sign_hex(),
                box_key: new.box_hex(),
                admit_sig: hex::encode(invite.sign(&m)),
            },
        )
    }
}

#[test]
fn an_owner_invites_a_colleague_who_joins_with_the_code_key() {
    let mut p = Practice::new();
    let dana = std::mem::replace(&mut p.dana, Dev::new());
    let (sam, sam_member) = p.invite_and_join(&dana, Role::Member, false);
    assert_eq!(p.roster.role_of(&sam.id), Some(Role::Member));
    assert_eq!(p.roster.devices[&sam.id].member, sam_member);
    // Sam adds her laptop herself.
    let (laptop, member) = p.invite_and_join(&sam, Role::Member, true);
    assert_eq!(member, sam_member);
    assert!(p.roster.active_device(&laptop.id).is_some());
    // A second device verifying the same events from the start agrees.
    let again = Roster::from_events(
        p.roster.workspace(),
        p.roster.events().iter().map(|e| (e.seq, e.bytes.clone())),
    )
    .unwrap();
    assert_eq!(again.devices, p.roster.devices);
    assert_eq!(again.members, p.roster.members);
    assert!(again.refused().is_empty());
}

#[test]
fn a_member_cannot_invite_members_remove_colleagues_or_rotate_keys() {
    let mut p = Practice::new();
    let dana = std::mem::replace(&mut p.dana, Dev::new());
    let (sam, _) = p.invite_and_join(&dana, Role::Member, false);
    let (_, lee_member) = p.invite_and_join(&dana, Role::Member, false);
    let key = DeviceSigner::generate();
    for what in [
        What::Invite {
            admit: hex::encode(key.public()),
            id: Id::random(),
            role: Role::Member,
            device: false,
            expires_ms: i64::MAX,
        },
        What::Remove { member: lee_member },
        What::Remove { member: p.owner },
        What::Rotate {
            epoch: 1,
            key_check: hex::encode([0u8; 16]),
            sealed_to: vec![],
        },
        What::Transfer { member: lee_member },
        What::Revoke { device: dana.id },
    ] {
        let why = p.act(&sam, what.clone());
        assert!(why.is_some(), "{what:?} was accepted from a member");
    }
    assert!(p.roster.members[&lee_member].removed.is_none());
    assert_eq!(p.roster.newest_epoch(), Some(0));
    // The owner may.
    assert_eq!(p.act(&dana, What::Remove { member: lee_member }), None);
    assert_eq!(p.roster.members[&lee_member].removed, Some(p.roster.head()));
}

#[test]
fn an_invite_admits_one_device_before_it_expires_unless_cancelled() {
    let mut p = Practice::new();
    let dana = std::mem::replace(&mut p.dana, Dev::new());
    let invite = DeviceSigner::generate();
    p.act(
        &dana,
        What::Invite {
            admit: hex::encode(invite.public()),
            id: Id::random(),
            role: Role::Member,
            device: false,
            expires_ms: crate::base::time::now_ms() + 60_000,
        },
    );
    assert_eq!(p.admit(&invite, &Dev::new(), Id::random()), None);
    // The code leaked after use: a second device gets nothing.
    let late = Dev::new();
    assert!(p.admit(&invite, &late, Id::random()).is_some());
    assert!(!p.roster.devices.contains_key(&late.id));
    // An expired invite.
    let old = DeviceSigner::generate();
    p.act(
        &dana,
        What::Invite {
            admit: hex::encode(old.public()),
            id: Id::random(),
            role: Role::Member,
            device: false,
            expires_ms: crate::base::time::now_ms() - 1,
        },
    );
    assert!(p.admit(&old, &Dev::new(), Id::random()).is_some());
    // A cancelled one.
    let gone = DeviceSigner::generate();
    p.act(
        &dana,
        What::Invite {
            admit: hex::encode(gone.public()),
            id: Id::random(),
            role: Role::Member,
            device: false,
            expires_ms: i64::MAX,
        },
    );
    assert_eq!(
        p.act(
            &dana,
            What::Cancel {
                admit: hex::encode(gone.public())
            }
        ),
        None
    );
    assert!(p.admit(&gone, &Dev::new(), Id::random()).is_some());
    // An admission signed by another key than the invite's.
    let real = DeviceSigner::generate();
    p.act(
        &dana,
        What::Invite {
            admit: hex::encode(real.public()),
            id: Id::random(),
            role: Role::Member,
            device: false,
            expires_ms: i64::MAX,
        },
    );
    let forger = DeviceSigner::generate();
    let new = Dev::new();
    let member = Id::random();
    let m = admit_message(
        &p.roster.workspace(),
        &real.public(),
        &member,
        &new.id,
        &new.sign.public(),
        &h32(&new.box_hex()).unwrap(),
    );
    let why = p.act(
        &new,
        What::Admit {
            admit: hex::encode(real.public()),
            member,
            sign: new.sign_hex(),
            box_key: new.box_hex(),
            admit_sig: hex::encode(forger.sign(&m)),
        },
    );
    assert!(why.is_some());
}

#[test]
fn a_relay_cannot_drop_reorder_or_rewrite_events_a_device_holds() {
    let mut p = Practice::new();
    let dana = std::mem::replace(&mut p.dana, Dev::new());
    p.invite_and_join(&dana, Role::Member, false);
    p.invite_and_join(&dana, Role::Admin, false);
    let ws = p.roster.workspace();
    let all: Vec<(u64, Vec<u8>)> = p
        .roster
        .events()
        .iter()
        .map(|e| (e.seq, e.bytes.clone()))
        .collect();
    // Dropped from the middle (and renumbered).
    let mut dropped = all.clone();
    dropped.remove(2);
    for (i, e) in dropped.iter_mut().enumerate() {
        e.0 = i as u64 + 1;
    }
    assert!(matches!(
        Roster::from_events(ws, dropped),
        Err(Error::Tampered(_))
    ));
    // Reordered.
    let mut swapped = all.clone();
    swapped.swap(1, 2);
    swapped[1].0 = 2;
    swapped[2].0 = 3;
    assert!(Roster::from_events(ws, swapped).is_err());
    // A byte changed in one event: the events after it no longer follow it.
    let mut changed = all.clone();
    let n = changed[1].1.len();
    changed[1].1[n - 1] ^= 1;
    assert!(Roster::from_events(ws, changed).is_err());
    // The same events served as another workspace's.
    assert!(Roster::from_events(Id::random(), all.clone()).is_err());
    // A device holding the first three accepts only what extends them.
    let mut held = Roster::from_events(ws, all[..3].to_vec()).unwrap();
    assert!(held.extend(all[4..].to_vec()).is_err(), "a gap");
    assert_eq!(held.head(), 3, "a refused extension changes nothing");
    held.extend(all[3..].to_vec()).unwrap();
    assert_eq!(held.head(), all.len() as u64);
}

#[test]
fn an_event_made_by_the_relay_is_refused_but_keeps_its_place() {
    let mut p = Practice::new();
    let dana = std::mem::replace(&mut p.dana, Dev::new());
    // The relay lists a phantom device, signed with a key it made for a device id it chose.
    let phantom = Dev::new();
    let why = p.act(&phantom, What::Revoke { device: dana.id });
    assert!(why.is_some());
    assert!(p.roster.active_device(&dana.id).is_some());
    // An admission with no invite behind it.
    let invite = DeviceSigner::generate();
    assert!(p.admit(&invite, &phantom, Id::random()).is_some());
    assert!(!p.roster.devices.contains_key(&phantom.id));
    // The chain goes on.
    let (sam, _) = p.invite_and_join(&dana, Role::Member, false);
    assert!(p.roster.active_device(&sam.id).is_some());
    assert_eq!(p.roster.refused().len(), 2);
}

#[test]
fn revocation_removal_leaving_and_transfer_follow_the_role_ladder() {
    let mut p = Practice::new();
    let dana = std::mem::replace(&mut p.dana, Dev::new());
    let (ari, ari_member) = p.invite_and_join(&dana, Role::Admin, false);
    let (sam, sam_member) = p.invite_and_join(&dana, Role::Member, false);
    // An admin cannot remove another admin or the owner, nor revoke the owner's device.
    assert!(p.act(&ari, What::Revoke { device: dana.id }).is_some());
    assert!(p.act(&ari, What::Remove { member: p.owner }).is_some());
    // The owner's last device cannot be revoked, even by herself.
    assert!(p.act(&dana, What::Revoke { device: dana.id }).is_some());
    // The owner cannot leave; a member can, and her devices go with her.
    assert!(p.act(&dana, What::Leave {}).is_some());
    assert_eq!(p.act(&sam, What::Leave {}), None);
    assert!(p.roster.members[&sam_member].removed.is_some());
    assert_eq!(p.roster.devices[&sam.id].revoked, Some(p.roster.head()));
    // Once gone, her device signs nothing more.
    assert!(p.act(&sam, What::Leave {}).is_some());
    // Ownership moves; the old owner becomes an admin.
    assert_eq!(p.act(&dana, What::Transfer { member: ari_member }), None);
    assert_eq!(p.roster.owner(), Some(ari_member));
    assert_eq!(p.roster.role_of(&dana.id), Some(Role::Admin));
    assert!(p.act(&dana, What::Transfer { member: p.owner }).is_some());
}

#[test]
fn rotations_are_consecutive_and_made_by_owners_and_admins() {
    let mut p = Practice::new();
    let dana = std::mem::replace(&mut p.dana, Dev::new());
    let ws = p.roster.workspace();
    let k1 = WorkspaceKey::generate();
    let rotate = |epoch, key: &WorkspaceKey| What::Rotate {
        epoch,
        key_check: hex::encode(key_check(&ws, epoch, key)),
        sealed_to: vec![],
    };
    assert!(p.act(&dana, rotate(2, &k1)).is_some(), "skips an epoch");
    assert_eq!(p.act(&dana, rotate(1, &k1)), None);
    assert!(p.act(&dana, rotate(1, &k1)).is_some(), "replaces an epoch");
    assert_eq!(p.roster.key_checks[&1], key_check(&ws, 1, &k1));
}
