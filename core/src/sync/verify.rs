//! Checking what other devices signed: pulled changes and checkpoint snapshots.
//!
//! A change carries its signer's trailer inside its envelope, a snapshot after it
//! (`crate::crypto::signing`). The signer must be a device of the practice's verified roster
//! (`crate::roster`); the roster it says it saw must be this device's (the same event at that
//! seq: otherwise the relay shows devices different histories); a revoked signer must not have
//! held its revocation when it signed; and the signature must verify. The signatures of
//! a whole pulled batch are verified at once (batch verification), one by one only when the
//! batch fails. A change must also be written under the signer's own automerge actor, and name
//! no other member as the author of what it writes (`logged_by` and the like): a member cannot
//! write under a colleague's name. A failed check sets the entry aside with its reason;
//! it never stops the rest.

use automerge::Change;
use trellis_protocol::Id;

use crate::crypto::signing::{self, Trailer, SIGNATURE_LEN};
use crate::model::SetAsideReason;
use crate::roster::Roster;

/// A signature to check: who claims to have signed what, under which roster.
pub(crate) struct Claim {
    pub trailer: Trailer,
    pub message: Vec<u8>,
}

/// Checks each claim against the roster; the signatures of those that pass the other checks
/// are verified together.
pub(crate) fn check_claims(
    roster: &Roster,
    claims: Vec<Result<Claim, SetAsideReason>>,
) -> Vec<Result<(), SetAsideReason>> {
    let placed: Vec<Result<(Claim, [u8; 32]), SetAsideReason>> = claims
        .into_iter()
        .map(|c| c.and_then(|c| placed(roster, &c).map(|key| (c, key))))
        .collect();
    let batch: Vec<(&[u8; 32], &[u8], &[u8; SIGNATURE_LEN])> = placed
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|(c, key)| (key, c.message.as_slice(), &c.trailer.signature))
        .collect();
    let all_good = signing::verify_batch(&batch);
    placed
        .into_iter()
        .map(|r| {
            let (c, key) = r?;
            if all_good || signing::verify(&key, &c.message, &c.trailer.signature) {
                Ok(())
            } else {
                Err(SetAsideReason::Unsigned)
            }
        })
        .collect()
}

/// The checks of one claim that need no signature: a signer the roster knows, the roster it
/// names, and not signed after the signer's revocation. Returns the signer's key.
fn placed(roster: &Roster, c: &Claim) -> Result<[u8; 32], SetAsideReason> {
    let device = roster
        .devices
        .get(&c.trailer.signer)
        .ok_or(SetAsideReason::Unsigned)?;
    let same_roster = roster
        .hash_at(c.trailer.roster.seq)
        .is_some_and(|h| h[..16] == c.trailer.roster.hash);
    if !same_roster {
        return Err(SetAsideReason::Fork);
    }
    // Signed by a device that held its own revocation (or a later event): after it.
    if device.revoked.is_some_and(|at| c.trailer.roster.seq >= at) {
        return Err(SetAsideReason::AfterRemoval);
    }
    Ok(device.sign)
}

/// The keys under which an entry names the member who wrote it (an activity's `logged_by`, a
/// referral's `recorded_by`, a follow-up's `created_by`, a note's `author`).
const AUTHOR_KEYS: [&str; 4] = ["logged_by", "recorded_by", "created_by", "author"];

/// Whether `change`, signed by `signer`, is the signer's own: written under the signer's own
/// actor, and naming no other member than the signer's as the author of what it writes. A
/// change of a derived actor (a document's genesis, a counter's start: the same bytes on every
/// device, `crate::documents`) is the first of its actor and belongs to no device.
pub(crate) fn check_author(
    roster: &Roster,
    signer: &Id,
    change: &Change,
) -> Result<(), SetAsideReason> {
    let actor = change.actor_id().to_bytes();
    let device_of = |d: &Id| actor.len() >= 16 && actor[..16] == d.0;
    let own_actor =
        device_of(signer) || (change.seq() == 1 && !roster.devices.keys().any(device_of));
    let member = roster.devices.get(signer).map(|d| d.member.to_hex());
    match member {
        Some(member) if own_actor && !names_another_author(change, &member) => Ok(()),
        _ => Err(SetAsideReason::WrongAuthor),
    }
}

/// Whether `change` puts, under one of [`AUTHOR_KEYS`], anything but `member`, or writes a
/// member's profile card (the root key `card:<member id>`) other than `member`'s.
fn names_another_author(change: &Change, member: &str) -> bool {
    use automerge::legacy::{Key, ObjectId, OpType};
    let own_card = crate::documents::card_key(member);
    change
        .decode()
        .operations
        .iter()
        .any(|op| match (&op.key, &op.action) {
            (Key::Map(key), _)
                if matches!(op.obj, ObjectId::Root)
                    && key.starts_with("card:")
                    && *key != own_card =>
            {
                true
            }
            (Key::Map(key), OpType::Put(value)) if AUTHOR_KEYS.contains(&key.as_str()) => {
                !matches!(value, automerge::ScalarValue::Str(s) if s.as_str() == member)
            }
            _ => false,
        })
}

/// Whether any trailer names a roster newer than `roster`: the roster is fetched again first.
pub(crate) fn names_newer_roster<'a>(
    roster: &Roster,
    mut trailers: impl Iterator<Item = &'a Trailer>,
) -> bool {
    trailers.any(|t| t.roster.seq > roster.head())
}
