//! The signed roster: who is in a practice, with which device keys, and which workspace key
//! each epoch has, as an append-only history every device verifies.
//!
//! Each event ([`What`]) is signed by a device entitled to make it at that point: the device
//! that created the workspace for the first event, owners and admins for invites, removals and
//! key rotations (the role ladder the relay also enforces, `trellis_protocol::roles`), a member
//! for her own devices, and a joining device (with the key its invite code carries) for its
//! admission. Each event names the hash of the one before it, so the
//! relay, which stores and serves the events, can neither reorder, rewrite nor drop one from
//! the middle without every device seeing the chain break; a device keeps what it verified
//! and accepts only events that extend it.
//!
//! An event that is well placed but not validly signed, or signed by a device not entitled to
//! it, is **refused**: it stays in the chain (the events after it name its hash) but changes
//! nothing, and [`Roster::refused`] lists it for `status`. A chain that does not extend what
//! this device holds is an error ([`Error::Tampered`]).
//!
//! The wire form of an event is `body || signature:[64]`, where `body` is the event's JSON
//! ([`Body`]) and the signature is the signer's Ed25519 signature of
//! `"trellis/roster/v3" || body`; its hash (which the next event names) is
//! `SHA-256("trellis/roster-hash/v3" || body || signature)`. protocol/FORMATS.md writes it down.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use trellis_protocol::api::Role;
use trellis_protocol::roles;
use trellis_protocol::Id;

use crate::base::error::{Error, Result};
use crate::crypto::signing::{self, DeviceSigner, RosterMark, SIGNATURE_LEN};

/// The roster format this build writes and reads.
pub const ROSTER_VERSION: u8 = 3;
const SIGN_LABEL: &[u8] = b"trellis/roster/v3";
const HASH_LABEL: &[u8] = b"trellis/roster-hash/v3";
const ADMIT_LABEL: &[u8] = b"trellis/admit/v3";

/// What an event says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum What {
    /// The workspace was created by the signing device, for its member, who owns it. Only
    /// ever the first event.
    Create {
        /// The owner.
        member: Id,
        /// The creating device's signing key (hex).
        sign: String,
        /// The creating device's X25519 key (hex).
        box_key: String,
        /// The [`signing::key_check`] of the key of epoch 0 (hex).
        key_check: String,
    },
    /// An invite: whoever holds the secret half of `admit` (it travels in the code) may admit
    /// one device with it, before `expires_ms`.
    Invite {
        /// The invite's public key (hex), its identity in the roster.
        admit: String,
        /// The id the relay knows the invite by (to cancel it with).
        id: Id,
        /// The new member's role (for a device invite: the inviting member's).
        role: Role,
        /// Whether it adds a device of the inviting member rather than a new member.
        device: bool,
        /// When it stops admitting anyone (ms since the Unix epoch).
        expires_ms: i64,
    },
    /// A device joined with an invite. Signed by the new device itself, and carries the
    /// invite key's signature of [`admit_message`].
    Admit {
        /// The invite used (its public key, hex).
        admit: String,
        /// The member the device belongs to: new for a member invite, the inviter's for a
        /// device invite.
        member: Id,
        /// The new device's signing key (hex).
        sign: String,
        /// The new device's X25519 key (hex).
        box_key: String,
        /// The invite key's signature (hex).
        admit_sig: String,
    },
    /// An unused invite was cancelled.
    Cancel {
        /// The invite (its public key, hex).
        admit: String,
    },
    /// A device was revoked. What it signs under this roster or a later one is refused.
    Revoke {
        /// The device.
        device: Id,
    },
    /// A member was removed (with all her devices).
    Remove {
        /// The member.
        member: Id,
    },
    /// The signing device's member left (with all her devices).
    Leave {},
    /// The owner handed ownership to another member and became an admin.
    Transfer {
        /// The new owner.
        member: Id,
    },
    /// The next key epoch, made by the signing device and sealed to the devices listed.
    Rotate {
        /// The new epoch: the newest one plus one.
        epoch: u32,
        /// The [`signing::key_check`] of its key (hex).
        key_check: String,
        /// The devices it was sealed to.
        sealed_to: Vec<Id>,
    },
}

/// An event's signed body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Body {
    /// [`ROSTER_VERSION`].
    pub v: u8,
    /// The workspace.
    pub ws: Id,
    /// Its position, from 1.
    pub seq: u64,
    /// The previous event's hash (hex); 64 zeros for the first.
    pub prev: String,
    /// When the signer made it (ms since the Unix epoch, its own clock).
    pub at: i64,
    /// The signing device.
    pub by: Id,
    /// What it says.
    #[serde(flatten)]
    pub what: What,
}

/// One event as held: its wire bytes, hash and parsed body (`None` when the bytes do not
/// parse: such an event is refused but keeps its place).
#[derive(Debug, Clone)]
pub struct Event {
    /// Position.
    pub seq: u64,
    /// `body || signature`, as stored by the relay.
    pub bytes: Vec<u8>,
    /// Its hash.
    pub hash: [u8; 32],
    /// Its body.
    pub body: Option<Body>,
}

/// A member as the verified roster holds her.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberState {
    /// Her role.
    pub role: Role,
    /// The roster seq that removed her (or recorded her leaving).
    pub removed: Option<u64>,
}

/// A device as the verified roster holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceState {
    /// Its member.
    pub member: Id,
    /// Its signing key.
    pub sign: [u8; 32],
    /// Its X25519 key.
    pub box_key: [u8; 32],
    /// The roster seq that admitted it.
    pub admitted: u64,
    /// The roster seq that revoked it (or removed its member): what it signed while it held
    /// that event or a later one is refused.
    pub revoked: Option<u64>,
}

impl DeviceState {
    /// Its fingerprint, as people compare it.
    pub fn fingerprint(&self) -> String {
        signing::fingerprint(&self.sign, &self.box_key)
    }
}

/// An invite as the verified roster holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteState {
    /// The id the relay knows it by.
    pub id: Id,
    /// The inviting device.
    pub by: Id,
    /// The inviting member.
    pub member: Id,
    /// The role it gives.
    pub role: Role,
    /// Whether it adds a device of the inviting member.
    pub device: bool,
    /// Expiry (ms).
    pub expires_ms: i64,
    /// The device it admitted.
    pub used_by: Option<Id>,
    /// Whether it was cancelled.
    pub cancelled: bool,
}

/// The verified roster of one workspace.
#[derive(Debug, Clone)]
pub struct Roster {
    ws: Id,
    events: Vec<Event>,
    /// Members.
    pub members: BTreeMap<Id, MemberState>,
    /// Devices.
    pub devices: BTreeMap<Id, DeviceState>,
    /// Invites, by their public key.
    pub invites: BTreeMap<[u8; 32], InviteState>,
    /// Each epoch's key check.
    pub key_checks: BTreeMap<u32, [u8; 16]>,
    refused: Vec<(u64, String)>,
}

impl Roster {
    /// An empty roster of `ws` (nothing verified yet).
    pub fn empty(ws: Id) -> Roster {
        Roster {
            ws,
            events: Vec::new(),
            members: BTreeMap::new(),
            devices: BTreeMap::new(),
            invites: BTreeMap::new(),
            key_checks: BTreeMap::new(),
            refused: Vec::new(),
        }
    }

    /// Verifies `events` (seq, wire bytes) in order and builds the roster from them.
    pub fn from_events(ws: Id, events: impl IntoIterator<Item = (u64, Vec<u8>)>) -> Result<Roster> {
        let mut r = Roster::empty(ws);
        r.extend(events)?;
        Ok(r)
    }

    /// Verifies and appends events that must extend this roster: consecutive seqs from the
    /// next one, each naming the hash of the one before. Anything else is
    /// [`Error::Tampered`], and the roster is left as it was.
    pub fn extend(&mut self, events: impl IntoIterator<Item = (u64, Vec<u8>)>) -> Result<usize> {
        let mut next = self.clone();
        let mut added = 0;
        for (seq, bytes) in events {
            next.push(seq, bytes)?;
            added += 1;
        }
        *self = next;
        Ok(added)
    }

    /// The workspace.
    pub fn workspace(&self) -> Id {
        self.ws
    }

    /// The newest seq (0 when empty).
    pub fn head(&self) -> u64 {
        self.events.last().map_or(0, |e| e.seq)
    }

    /// The hash of the event at `seq`.
    pub fn hash_at(&self, seq: u64) -> Option<[u8; 32]> {
        let i = usize::try_from(seq.checked_sub(1)?).ok()?;
        self.events.get(i).map(|e| e.hash)
    }

    /// What a device signs its entries with: the newest seq and its hash.
    pub fn mark(&self) -> RosterMark {
        let mut hash = [0u8; 16];
        if let Some(e) = self.events.last() {
            hash.copy_from_slice(&e.hash[..16]);
        }
        RosterMark {
            seq: self.head(),
            hash,
        }
    }

    /// Every event, oldest first.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Events refused (seq, why), oldest first.
    pub fn refused(&self) -> &[(u64, String)] {
        &self.refused
    }

    /// The owner.
    pub fn owner(&self) -> Option<Id> {
        self.members
            .iter()
            .find(|(_, m)| m.role == Role::Owner && m.removed.is_none())
            .map(|(id, _)| *id)
    }

    /// The newest epoch the roster names.
    pub fn newest_epoch(&self) -> Option<u32> {
        self.key_checks.keys().next_back().copied()
    }

    /// A device that may act now: admitted, not revoked, its member not removed.
    pub fn active_device(&self, id: &Id) -> Option<&DeviceState> {
        self.devices.get(id).filter(|d| {
            d.revoked.is_none()
                && self
                    .members
                    .get(&d.member)
                    .is_some_and(|m| m.removed.is_none())
        })
    }

    /// The role of an active device's member.
    pub fn role_of(&self, device: &Id) -> Option<Role> {
        let d = self.active_device(device)?;
        self.members.get(&d.member).map(|m| m.role)
    }

    /// Devices that may receive keys: admitted and not revoked.
    pub fn active_devices(&self) -> impl Iterator<Item = (&Id, &DeviceState)> {
        self.devices
            .iter()
            .filter(|(id, _)| self.active_device(id).is_some())
    }

    /// Makes, signs and returns the next event (seq, wire bytes); it is not appended (the
    /// relay's answer decides).
    pub fn make(&self, by: &Id, key: &DeviceSigner, what: What) -> (u64, Vec<u8>) {
        self.make_at(
            self.head() + 1,
            self.events.last().map(|e| e.hash),
            by,
            key,
            what,
        )
    }

    /// Makes the event after one not yet appended (seq and hash of the one before given).
    pub fn make_after(
        &self,
        prev: &(u64, Vec<u8>),
        by: &Id,
        key: &DeviceSigner,
        what: What,
    ) -> (u64, Vec<u8>) {
        self.make_at(prev.0 + 1, Some(event_hash(&prev.1)), by, key, what)
    }

    fn make_at(
        &self,
        seq: u64,
        prev: Option<[u8; 32]>,
        by: &Id,
        key: &DeviceSigner,
        what: What,
    ) -> (u64, Vec<u8>) {
        let body = Body {
            v: ROSTER_VERSION,
            ws: self.ws,
            seq,
            prev: hex::encode(prev.unwrap_or([0; 32])),
            at: crate::base::time::now_ms(),
            by: *by,
            what,
        };
        let mut bytes = serde_json::to_vec(&body).expect("a roster event always serializes");
        let signature = key.sign(&signed_message(&bytes));
        bytes.extend_from_slice(&signature);
        (seq, bytes)
    }

    fn push(&mut self, seq: u64, bytes: Vec<u8>) -> Result<()> {
        let tampered = |why: String| Error::Tampered(why);
        if seq != self.head() + 1 {
            return Err(tampered(format!(
                "the relay served roster event {seq} where {} was next",
                self.head() + 1
            )));
        }
        let hash = event_hash(&bytes);
        let parsed = parse(&bytes);
        let prev = hex::encode(self.events.last().map_or([0; 32], |e| e.hash));
        match &parsed {
            Some((body, _)) if body.seq != seq || body.prev != prev || body.ws != self.ws => {
                return Err(tampered(format!(
                    "roster event {seq} does not follow the events this device holds"
                )));
            }
            _ => {}
        }
        let body = parsed.as_ref().map(|(b, _)| b.clone());
        let outcome = match &parsed {
            None => Err("it is not a roster event of this format".to_string()),
            Some((body, sig)) => self.apply(body, &bytes[..bytes.len() - SIGNATURE_LEN], sig),
        };
        if seq == 1 && outcome.is_err() {
            return Err(tampered(
                "the roster's first event is not a valid creation of this workspace".into(),
            ));
        }
        if let Err(why) = outcome {
            tracing::warn!(seq, "refused a roster event");
            self.refused.push((seq, why));
        }
        self.events.push(Event {
            seq,
            bytes,
            hash,
            body,
        });
        Ok(())
    }

    /// Checks one event's signature and entitlement and applies it.
    fn apply(
        &mut self,
        b: &Body,
        body: &[u8],
        sig: &[u8; SIGNATURE_LEN],
    ) -> std::result::Result<(), String> {
        if b.v != ROSTER_VERSION {
            return Err(format!("roster version {} is not {ROSTER_VERSION}", b.v));
        }
        let message = signed_message(body);
        // The key the signature must be made with: the event's own for a creation or an
        // admission, the signing device's as the roster holds it for the rest.
        let signer_key = match &b.what {
            What::Create { sign, .. } | What::Admit { sign, .. } => h32(sign)?,
            _ => {
                self.active_device(&b.by)
                    .ok_or("its signer is not an active device of the practice")?
                    .sign
            }
        };
        if !signing::verify(&signer_key, &message, sig) {
            return Err("its signature does not verify".into());
        }
        let seq = b.seq;
        match &b.what {
            What::Create {
                member,
                sign,
                box_key,
                key_check,
            } => {
                if seq != 1 {
                    return Err("a creation after the first event".into());
                }
                self.members.insert(
                    *member,
                    MemberState {
                        role: Role::Owner,
                        removed: None,
                    },
                );
                self.devices.insert(
                    b.by,
                    DeviceState {
                        member: *member,
                        sign: h32(sign)?,
                        box_key: h32(box_key)?,
                        admitted: seq,
                        revoked: None,
                    },
                );
                self.key_checks.insert(0, h16(key_check)?);
            }
            What::Invite {
                admit,
                id,
                role,
                device,
                expires_ms,
            } => {
                let (member, my_role) = self.actor(&b.by)?;
                let role = if *device {
                    my_role
                } else {
                    if !my_role.can_invite_members() {
                        return Err("only owners and admins invite members".into());
                    }
                    if *role == Role::Owner {
                        return Err("an invite cannot make an owner".into());
                    }
                    *role
                };
                let key = h32(admit)?;
                if self.invites.contains_key(&key) {
                    return Err("an invite with this key exists".into());
                }
                self.invites.insert(
                    key,
                    InviteState {
                        id: *id,
                        by: b.by,
                        member,
                        role,
                        device: *device,
                        expires_ms: *expires_ms,
                        used_by: None,
                        cancelled: false,
                    },
                );
            }
            What::Admit {
                admit,
                member,
                sign,
                box_key,
                admit_sig,
            } => {
                let key = h32(admit)?;
                let invite = self.invites.get(&key).ok_or("it names no invite")?.clone();
                if invite.used_by.is_some() {
                    return Err("its invite was already used".into());
                }
                if invite.cancelled {
                    return Err("its invite was cancelled".into());
                }
                if b.at > invite.expires_ms {
                    return Err("its invite had expired".into());
                }
                if self.devices.contains_key(&b.by) {
                    return Err("the device is already in the roster".into());
                }
                let (sign, box_key) = (h32(sign)?, h32(box_key)?);
                let admit_sig = h64(admit_sig)?;
                let m = admit_message(&self.ws, &key, member, &b.by, &sign, &box_key);
                if !signing::verify(&key, &m, &admit_sig) {
                    return Err("the invite key did not sign this admission".into());
                }
                if invite.device {
                    if *member != invite.member {
                        return Err("a device invite admits a device of the inviter only".into());
                    }
                    if self.members.get(member).is_none_or(|m| m.removed.is_some()) {
                        return Err("the inviting member is no longer in the practice".into());
                    }
                } else {
                    if self.members.contains_key(member) {
                        return Err("a member invite admits a new member only".into());
                    }
                    self.members.insert(
                        *member,
                        MemberState {
                            role: invite.role,
                            removed: None,
                        },
                    );
                }
                self.devices.insert(
                    b.by,
                    DeviceState {
                        member: *member,
                        sign,
                        box_key,
                        admitted: seq,
                        revoked: None,
                    },
                );
                if let Some(i) = self.invites.get_mut(&key) {
                    i.used_by = Some(b.by);
                }
            }
            What::Cancel { admit } => {
                let (member, role) = self.actor(&b.by)?;
                let key = h32(admit)?;
                let invite = self.invites.get_mut(&key).ok_or("it names no invite")?;
                if invite.used_by.is_some() || invite.cancelled {
                    return Err("the invite was already used or cancelled".into());
                }
                if invite.member != member && !role.can_invite_members() {
                    return Err("only its inviter, an owner or an admin cancels an invite".into());
                }
                invite.cancelled = true;
            }
            What::Revoke { device } => {
                let (member, role) = self.actor(&b.by)?;
                let target = self
                    .devices
                    .get(device)
                    .filter(|d| d.revoked.is_none())
                    .ok_or("it names no device that is not revoked")?;
                let target_role = self
                    .members
                    .get(&target.member)
                    .map_or(Role::Member, |m| m.role);
                let last_active_device = !self.devices.iter().any(|(id, d)| {
                    d.member == target.member && d.revoked.is_none() && id != device
                });
                roles::may_revoke(
                    role,
                    member,
                    roles::RevokeTarget {
                        member: target.member,
                        role: target_role,
                        last_active_device,
                    },
                )
                .map_err(denied)?;
                if let Some(d) = self.devices.get_mut(device) {
                    d.revoked = Some(seq);
                }
            }
            What::Remove { member } => {
                let (me, role) = self.actor(&b.by)?;
                let target = self
                    .members
                    .get(member)
                    .filter(|m| m.removed.is_none())
                    .ok_or("it names no member of the practice")?;
                roles::may_remove(role, me, target.role, *member).map_err(denied)?;
                self.remove(member, seq);
            }
            What::Leave {} => {
                let (me, role) = self.actor(&b.by)?;
                roles::may_leave(role).map_err(denied)?;
                self.remove(&me, seq);
            }
            What::Transfer { member } => {
                let (me, role) = self.actor(&b.by)?;
                let removed = self.members.get(member).is_none_or(|m| m.removed.is_some());
                roles::may_transfer(role, me, *member, removed).map_err(denied)?;
                for (id, role) in [(member, Role::Owner), (&me, Role::Admin)] {
                    if let Some(m) = self.members.get_mut(id) {
                        m.role = role;
                    }
                }
            }
            What::Rotate {
                epoch, key_check, ..
            } => {
                let (_, role) = self.actor(&b.by)?;
                roles::may_rotate(role).map_err(denied)?;
                let next = self.newest_epoch().map_or(0, |e| e + 1);
                if *epoch != next {
                    return Err(format!("it names epoch {epoch} where {next} was next"));
                }
                self.key_checks.insert(*epoch, h16(key_check)?);
            }
        }
        Ok(())
    }

    /// The member and role of an active signing device.
    fn actor(&self, device: &Id) -> std::result::Result<(Id, Role), String> {
        let d = self
            .active_device(device)
            .ok_or("its signer is not an active device of the practice")?;
        let role = self
            .members
            .get(&d.member)
            .map(|m| m.role)
            .ok_or("its signer's member is not in the practice")?;
        Ok((d.member, role))
    }

    fn remove(&mut self, member: &Id, seq: u64) {
        if let Some(m) = self.members.get_mut(member) {
            m.removed = Some(seq);
        }
        for d in self.devices.values_mut() {
            if d.member == *member && d.revoked.is_none() {
                d.revoked = Some(seq);
            }
        }
    }
}

/// What an event's signature covers.
fn signed_message(body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(SIGN_LABEL.len() + body.len());
    m.extend_from_slice(SIGN_LABEL);
    m.extend_from_slice(body);
    m
}

/// An event's hash, named by the next event.
pub fn event_hash(bytes: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(HASH_LABEL);
    h.update(bytes);
    h.finalize().into()
}

/// What the invite key signs to admit a device: the workspace, the invite, the member, the
/// device and its two keys.
pub fn admit_message(
    ws: &Id,
    admit: &[u8; 32],
    member: &Id,
    device: &Id,
    sign: &[u8; 32],
    box_key: &[u8; 32],
) -> Vec<u8> {
    let mut m = ADMIT_LABEL.to_vec();
    for part in [
        ws.as_bytes().as_slice(),
        admit,
        member.as_bytes(),
        device.as_bytes(),
        sign,
        box_key,
    ] {
        m.extend_from_slice(part);
    }
    m
}

fn parse(bytes: &[u8]) -> Option<(Body, [u8; SIGNATURE_LEN])> {
    let at = bytes.len().checked_sub(SIGNATURE_LEN)?;
    let body: Body = serde_json::from_slice(&bytes[..at]).ok()?;
    let sig: [u8; SIGNATURE_LEN] = bytes[at..].try_into().ok()?;
    Some((body, sig))
}

/// A refusal of the role ladder, as a refused event's reason.
fn denied(d: roles::Denied) -> String {
    d.reason().to_string()
}

fn h32(s: &str) -> std::result::Result<[u8; 32], String> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).map_err(|_| "a malformed key".to_string())?;
    Ok(out)
}

fn h16(s: &str) -> std::result::Result<[u8; 16], String> {
    let mut out = [0u8; 16];
    hex::decode_to_slice(s, &mut out).map_err(|_| "a malformed key check".to_string())?;
    Ok(out)
}

fn h64(s: &str) -> std::result::Result<[u8; 64], String> {
    let mut out = [0u8; 64];
    hex::decode_to_slice(s, &mut out).map_err(|_| "a malformed signature".to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests;
