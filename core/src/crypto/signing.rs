//! Device signing keys (Ed25519): fingerprints, signed log entries and snapshots, and key
//! checks.
//!
//! Every device holds an Ed25519 signing key beside its X25519 key ([`super::DeviceKeys`]). The
//! signed roster (`crate::roster`) binds both public keys to a device of a member.
//!
//! * **A change** carries its author device's signature inside its envelope, after the
//!   automerge bytes ([`sign_change`], [`split_signed`]): a [`Trailer`] naming the device, the
//!   roster it saw, and its signature over the workspace, the document and the change's hash.
//!   The signature travels with the change, not with one envelope: a device that hands a
//!   colleague's change back to a relay that lost it (restored from a backup) seals it again
//!   with the same trailer, and it still verifies as hers.
//! * **A checkpoint snapshot** ends with the same trailer outside its envelope, the signature
//!   covering the whole envelope ([`sign_entry`], [`SignedEntry::split`]).
//!
//! A receiver checks a signature against the key the verified roster holds for that device, so
//! nobody, the relay included, can write in a colleague's name.
//!
//! A **fingerprint** ([`fingerprint`]) is a short number derived from a device's two public
//! keys, for people to compare face to face (like Signal's safety numbers). A **key check**
//! ([`key_check`]) is a commitment to one epoch's workspace key, written in the roster by the
//! device that made the key: a key sealed to a device is taken only if it matches, so a relay
//! cannot hand out a key it made.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use trellis_protocol::{fill_random, Id};

use super::{Sealed, WorkspaceKey};
use crate::base::error::{Error, Result};

/// Length of a [`Trailer`]: signer `[16]`, roster seq `u64`, roster hash `[16]`, signature
/// `[64]`.
pub const TRAILER_LEN: usize = 16 + 8 + 16 + 64;
/// Length of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;

/// This device's Ed25519 signing key.
pub struct DeviceSigner(SigningKey);

impl std::fmt::Debug for DeviceSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceSigner(..)")
    }
}

impl DeviceSigner {
    /// A fresh key.
    pub fn generate() -> DeviceSigner {
        let mut bytes = [0u8; 32];
        fill_random(&mut bytes);
        DeviceSigner(SigningKey::from_bytes(&bytes))
    }

    /// Reads the secret half from 64 hex digits.
    pub fn from_hex(s: &str) -> Result<DeviceSigner> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(s, &mut bytes)
            .map_err(|_| Error::invalid("the device signing key in this store is damaged"))?;
        Ok(DeviceSigner(SigningKey::from_bytes(&bytes)))
    }

    /// The secret half as 64 hex digits (kept in the local store only).
    pub fn secret_hex(&self) -> String {
        hex::encode(self.0.to_bytes())
    }

    /// The secret half's 32 bytes (for an invite key, which travels in the code).
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The public half.
    pub fn public(&self) -> [u8; 32] {
        self.0.verifying_key().to_bytes()
    }

    /// Signs `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        self.0.sign(message).to_bytes()
    }
}

/// Whether `signature` is `public`'s signature of `message` (strict verification: no
/// malleable or small-order keys).
pub fn verify(public: &[u8; 32], message: &[u8], signature: &[u8; SIGNATURE_LEN]) -> bool {
    VerifyingKey::from_bytes(public)
        .map(|k| {
            k.verify_strict(message, &Signature::from_bytes(signature))
                .is_ok()
        })
        .unwrap_or(false)
}

/// Verifies many signatures at once (about twice as fast as one by one); `false` when any one
/// fails, and then the caller checks them one by one to find which.
pub fn verify_batch(items: &[(&[u8; 32], &[u8], &[u8; SIGNATURE_LEN])]) -> bool {
    if items.is_empty() {
        return true;
    }
    let mut keys = Vec::with_capacity(items.len());
    for (public, _, _) in items {
        match VerifyingKey::from_bytes(public) {
            Ok(k) if !k.is_weak() => keys.push(k),
            _ => return false,
        }
    }
    let messages: Vec<&[u8]> = items.iter().map(|(_, m, _)| *m).collect();
    let signatures: Vec<Signature> = items
        .iter()
        .map(|(_, _, s)| Signature::from_bytes(s))
        .collect();
    ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok()
}

/// The digest a fingerprint shows: SHA-256 over a label and the device's two public keys.
pub fn fingerprint_digest(sign_public: &[u8; 32], box_public: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"trellis/fingerprint/v3");
    h.update(sign_public);
    h.update(box_public);
    h.finalize().into()
}

/// A device's fingerprint as people compare it: 20 digits in four groups of five
/// ("12345 67890 12345 67890"), from the first 80 bits of [`fingerprint_digest`] (each group
/// is 20 bits read as a number below 100,000).
pub fn fingerprint(sign_public: &[u8; 32], box_public: &[u8; 32]) -> String {
    let d = fingerprint_digest(sign_public, box_public);
    let groups: Vec<String> = d[..10]
        .chunks(5)
        .flat_map(|c| {
            let n = c.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
            [n >> 20, n & 0xF_FFFF]
        })
        .map(|g| format!("{:05}", g % 100_000))
        .collect();
    groups.join(" ")
}

/// A fingerprint as typed: its digits only (spaces and dashes dropped), or `None` when it is
/// not 20 digits.
pub fn normalize_fingerprint(typed: &str) -> Option<String> {
    let digits: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    (digits.len() == 20 && digits.chars().all(|c| c.is_ascii_digit())).then_some(digits)
}

/// The commitment to the workspace key of `epoch` written in the roster:
/// `HMAC-SHA256(key, "trellis/key-check/v3" || workspace || epoch)`, first 16 bytes. It says
/// nothing about the key to someone without it.
pub fn key_check(workspace: &Id, epoch: u32, key: &WorkspaceKey) -> [u8; 16] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(b"trellis/key-check/v3");
    mac.update(workspace.as_bytes());
    mac.update(&epoch.to_le_bytes());
    let out = mac.finalize().into_bytes();
    let mut check = [0u8; 16];
    check.copy_from_slice(&out[..16]);
    check
}

/// The roster a signer saw: its newest seq and the first 16 bytes of that event's hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RosterMark {
    /// The roster's newest seq the signer held.
    pub seq: u64,
    /// That event's hash, first 16 bytes.
    pub hash: [u8; 16],
}

/// Who signed a change or snapshot, under which roster, and the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trailer {
    /// The signing device.
    pub signer: Id,
    /// The roster it held.
    pub roster: RosterMark,
    /// The signature.
    pub signature: [u8; SIGNATURE_LEN],
}

impl Trailer {
    /// Its [`TRAILER_LEN`] bytes.
    pub fn to_bytes(&self) -> [u8; TRAILER_LEN] {
        let mut out = [0u8; TRAILER_LEN];
        out[..16].copy_from_slice(self.signer.as_bytes());
        out[16..24].copy_from_slice(&self.roster.seq.to_le_bytes());
        out[24..40].copy_from_slice(&self.roster.hash);
        out[40..].copy_from_slice(&self.signature);
        out
    }

    /// Reads [`TRAILER_LEN`] bytes.
    pub fn from_bytes(t: &[u8]) -> Option<Trailer> {
        if t.len() != TRAILER_LEN {
            return None;
        }
        Some(Trailer {
            signer: Id(t[..16].try_into().ok()?),
            roster: RosterMark {
                seq: u64::from_le_bytes(t[16..24].try_into().ok()?),
                hash: t[24..40].try_into().ok()?,
            },
            signature: t[40..].try_into().ok()?,
        })
    }
}

/// What a change's signature covers: a label, the workspace, the document, the signer, the
/// roster it saw and the change's automerge hash (SHA-256 of its bytes).
pub fn change_message(
    workspace: &Id,
    doc: &Id,
    signer: &Id,
    roster: RosterMark,
    change_hash: &[u8; 32],
) -> Vec<u8> {
    signed_message(
        b"trellis/signed-change/v3",
        workspace,
        doc,
        signer,
        roster,
        change_hash,
    )
}

/// Signs a change made by this device.
pub fn sign_change(
    key: &DeviceSigner,
    signer: &Id,
    workspace: &Id,
    doc: &Id,
    roster: RosterMark,
    change_hash: &[u8; 32],
) -> Trailer {
    Trailer {
        signer: *signer,
        roster,
        signature: key.sign(&change_message(workspace, doc, signer, roster, change_hash)),
    }
}

/// What a change envelope holds: the change's bytes, then its trailer.
pub fn signed_payload(change: &[u8], trailer: &Trailer) -> Vec<u8> {
    let mut out = Vec::with_capacity(change.len() + TRAILER_LEN);
    out.extend_from_slice(change);
    out.extend_from_slice(&trailer.to_bytes());
    out
}

/// Splits an opened change envelope's payload into the change's bytes and its trailer.
pub fn split_signed(payload: &[u8]) -> Option<(&[u8], Trailer)> {
    let at = payload.len().checked_sub(TRAILER_LEN)?;
    Some((&payload[..at], Trailer::from_bytes(&payload[at..])?))
}

/// A snapshot split into its envelope and its trailer.
#[derive(Debug, Clone, Copy)]
pub struct SignedEntry<'a> {
    /// The envelope ([`super::envelope`]).
    pub envelope: &'a [u8],
    /// The device that signed it.
    pub signer: Id,
    /// The roster it saw.
    pub roster: RosterMark,
    /// Its signature over [`entry_message`].
    pub signature: [u8; SIGNATURE_LEN],
}

impl<'a> SignedEntry<'a> {
    /// Splits stored bytes into envelope and trailer; `None` when too short to hold both.
    pub fn split(bytes: &'a [u8]) -> Option<SignedEntry<'a>> {
        let at = bytes.len().checked_sub(TRAILER_LEN)?;
        if at == 0 {
            return None;
        }
        let (envelope, t) = bytes.split_at(at);
        let t = Trailer::from_bytes(t)?;
        Some(SignedEntry {
            envelope,
            signer: t.signer,
            roster: t.roster,
            signature: t.signature,
        })
    }

    /// What the signature covers (see [`entry_message`]).
    pub fn message(&self, what: Sealed, workspace: &Id, doc: &Id) -> Vec<u8> {
        entry_message(
            what,
            workspace,
            doc,
            &self.signer,
            self.roster,
            self.envelope,
        )
    }
}

/// What a snapshot's signature covers: a label for its kind, the workspace, the document, the
/// signer, the roster it saw and the whole envelope (its version, epoch, nonce and
/// ciphertext).
pub fn entry_message(
    what: Sealed,
    workspace: &Id,
    doc: &Id,
    signer: &Id,
    roster: RosterMark,
    envelope: &[u8],
) -> Vec<u8> {
    // A change's own signature covers its hash (`change_message`); a signed envelope of a
    // change has a label of its own, so neither passes for the other.
    let label: &[u8] = match what {
        Sealed::Change => b"trellis/signed-change-envelope/v3",
        Sealed::Snapshot => b"trellis/signed-snapshot/v3",
    };
    signed_message(label, workspace, doc, signer, roster, envelope)
}

/// `label || workspace || doc || signer || roster seq || roster hash || tail`.
fn signed_message(
    label: &[u8],
    workspace: &Id,
    doc: &Id,
    signer: &Id,
    roster: RosterMark,
    tail: &[u8],
) -> Vec<u8> {
    let mut m = Vec::with_capacity(label.len() + 16 * 3 + 8 + 16 + tail.len());
    m.extend_from_slice(label);
    m.extend_from_slice(workspace.as_bytes());
    m.extend_from_slice(doc.as_bytes());
    m.extend_from_slice(signer.as_bytes());
    m.extend_from_slice(&roster.seq.to_le_bytes());
    m.extend_from_slice(&roster.hash);
    m.extend_from_slice(tail);
    m
}

/// A snapshot's envelope with its trailer: what a device uploads.
pub fn sign_entry(
    key: &DeviceSigner,
    signer: &Id,
    what: Sealed,
    workspace: &Id,
    doc: &Id,
    roster: RosterMark,
    envelope: &[u8],
) -> Vec<u8> {
    let trailer = Trailer {
        signer: *signer,
        roster,
        signature: key.sign(&entry_message(
            what, workspace, doc, signer, roster, envelope,
        )),
    };
    let mut out = Vec::with_capacity(envelope.len() + TRAILER_LEN);
    out.extend_from_slice(envelope);
    out.extend_from_slice(&trailer.to_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_entry_verifies_only_unchanged_and_only_for_its_place() {
        let key = DeviceSigner::generate();
        let (ws, doc, me) = (Id::random(), Id::random(), Id::random());
        let mark = RosterMark {
            seq: 3,
            hash: [7; 16],
        };
        let bytes = sign_entry(
            &key,
            &me,
            Sealed::Change,
            &ws,
            &doc,
            mark,
            b"envelope bytes",
        );
        let e = SignedEntry::split(&bytes).unwrap();
        assert_eq!(
            (e.envelope, e.signer, e.roster),
            (&b"envelope bytes"[..], me, mark)
        );
        let public = key.public();
        assert!(verify(
            &public,
            &e.message(Sealed::Change, &ws, &doc),
            &e.signature
        ));
        // Another document, another kind, another workspace: refused.
        assert!(!verify(
            &public,
            &e.message(Sealed::Change, &ws, &Id::random()),
            &e.signature
        ));
        assert!(!verify(
            &public,
            &e.message(Sealed::Snapshot, &ws, &doc),
            &e.signature
        ));
        assert!(!verify(
            &public,
            &e.message(Sealed::Change, &Id::random(), &doc),
            &e.signature
        ));
        // A flipped bit anywhere: refused.
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 1;
            let b = SignedEntry::split(&bad).unwrap();
            assert!(
                !(b.signer == me
                    && verify(&public, &b.message(Sealed::Change, &ws, &doc), &b.signature)),
                "byte {i}"
            );
        }
        assert!(SignedEntry::split(&bytes[..TRAILER_LEN]).is_none());
        let other = DeviceSigner::generate();
        assert!(!verify(
            &other.public(),
            &e.message(Sealed::Change, &ws, &doc),
            &e.signature
        ));
        let again = DeviceSigner::from_hex(&key.secret_hex()).unwrap();
        assert_eq!(again.public(), public);
    }

    #[test]
    fn a_changes_signature_travels_with_it_into_any_envelope() {
        let key = DeviceSigner::generate();
        let (ws, doc, me) = (Id::random(), Id::random(), Id::random());
        let mark = RosterMark {
            seq: 2,
            hash: [1; 16],
        };
        let hash = [9u8; 32];
        let t = sign_change(&key, &me, &ws, &doc, mark, &hash);
        let payload = signed_payload(b"change bytes", &t);
        let (change, back) = split_signed(&payload).unwrap();
        assert_eq!((change, back), (&b"change bytes"[..], t));
        let m = change_message(&ws, &doc, &me, mark, &hash);
        assert!(verify(&key.public(), &m, &t.signature));
        assert!(!verify(
            &key.public(),
            &change_message(&ws, &doc, &me, mark, &[8; 32]),
            &t.signature
        ));
        assert!(!verify(
            &key.public(),
            &change_message(&ws, &Id::random(), &me, mark, &hash),
            &t.signature
        ));
        assert!(split_signed(&payload[..TRAILER_LEN - 1]).is_none());
    }

    #[test]
    fn batch_verification_agrees_with_one_by_one() {
        let keys: Vec<DeviceSigner> = (0..4).map(|_| DeviceSigner::generate()).collect();
        let msgs: Vec<Vec<u8>> = (0..4u8).map(|i| vec![i; 40]).collect();
        let sigs: Vec<[u8; 64]> = keys.iter().zip(&msgs).map(|(k, m)| k.sign(m)).collect();
        let pubs: Vec<[u8; 32]> = keys.iter().map(DeviceSigner::public).collect();
        let items: Vec<(&[u8; 32], &[u8], &[u8; 64])> = (0..4)
            .map(|i| (&pubs[i], msgs[i].as_slice(), &sigs[i]))
            .collect();
        assert!(verify_batch(&items));
        let mut bad = items.clone();
        bad[2].1 = &msgs[1];
        assert!(!verify_batch(&bad));
        assert!(verify_batch(&[]));
    }

    #[test]
    fn fingerprints_are_twenty_digits_that_change_with_either_key() {
        let (s, b) = ([1u8; 32], [2u8; 32]);
        let f = fingerprint(&s, &b);
        assert_eq!(f.len(), 23);
        assert_eq!(normalize_fingerprint(&f).unwrap().len(), 20);
        assert_ne!(f, fingerprint(&[3; 32], &b));
        assert_ne!(f, fingerprint(&s, &[3; 32]));
        assert_eq!(
            normalize_fingerprint(&f.replace(' ', "-")),
            normalize_fingerprint(&f)
        );
        assert!(normalize_fingerprint("1234").is_none());
        assert!(normalize_fingerprint("abcde 67890 12345 67890").is_none());
    }

    #[test]
    fn a_key_check_names_one_key_of_one_epoch_of_one_workspace() {
        let (ws, key) = (Id::random(), WorkspaceKey::generate());
        let c = key_check(&ws, 1, &key);
        assert_eq!(c, key_check(&ws, 1, &key));
        assert_ne!(c, key_check(&ws, 2, &key));
        assert_ne!(c, key_check(&Id::random(), 1, &key));
        assert_ne!(c, key_check(&ws, 1, &WorkspaceKey::generate()));
    }
}
