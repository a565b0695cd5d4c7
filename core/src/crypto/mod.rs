//! End-to-end encryption: workspace keys and key rotation, sealed envelopes, keys sealed to
//! devices, keyed document ids.
//!
//! Each workspace has a 256-bit key made on the device that created it (epoch 0). Keys travel
//! to other devices only inside invite codes (see the sync layer's `invite.rs`) and, after a
//! rotation, sealed to each remaining device's X25519 public key ([`DeviceKeys`],
//! [`seal_key_for`]); the relay stores those sealed boxes and can open none of them. Every
//! automerge change is sealed with the newest key before it enters the outbox, and every
//! checkpoint snapshot before it is uploaded ([`envelope`]: padded to a size bucket, with
//! associated data of its own for each kind). Logbook and ledger ids are derived under a
//! workspace secret ([`doc_ids`]). The relay sees opaque document ids, bucketed sizes and a
//! keyed hash of each entry ([`KeyRing::entry_hash`]), and nothing else; docs/METADATA.md
//! lists what it still learns.
//!
//! When a member is removed, an owner's or admin's device makes the next epoch's key and seals
//! it to every device that remains; changes made after that are unreadable with the keys the
//! removed member had. What the removed member's devices already held stays readable to them:
//! nothing can take back what a device already decrypted (and a purge on removal deletes it
//! from a device that is still in the user's hands and honest).
//!
//! A key sealed to a device is the sealed box (X25519, XSalsa20-Poly1305: `crypto_box`'s
//! anonymous box) of `"trellis/key/v2" workspace:[16] epoch:u32le key:[32]`: a sealed box has
//! no associated data, so the label, the workspace and the epoch go inside, and a box is
//! opened only as the key of the workspace and epoch it was sealed for.

pub mod doc_ids;
pub mod envelope;
pub mod signing;

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use trellis_protocol::{fill_random, Id, HASH_LEN};

use crate::base::error::{Error, Result};

pub use doc_ids::DocIds;
pub use envelope::{bucket, envelope_epoch, Sealed};
pub use signing::{DeviceSigner, RosterMark, SignedEntry, Trailer};

/// The envelope header the entry hash covers: version, epoch and nonce.
const ENTRY_HEADER_LEN: usize = 1 + 4 + 24;
/// The label of a key sealed to a device (see the module docs).
const SEALED_KEY_LABEL: &[u8; 14] = b"trellis/key/v2";
/// What a reply sealed to one device starts with, before its workspace and post.
const SEALED_REPLY_LABEL: &[u8; 16] = b"trellis/reply/v1";

/// One epoch's symmetric workspace key.
#[derive(Clone, PartialEq, Eq)]
pub struct WorkspaceKey([u8; 32]);

impl std::fmt::Debug for WorkspaceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WorkspaceKey(..)")
    }
}

impl WorkspaceKey {
    /// A fresh random key.
    pub fn generate() -> WorkspaceKey {
        let mut k = [0u8; 32];
        fill_random(&mut k);
        WorkspaceKey(k)
    }

    /// Reads a key from its 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<WorkspaceKey> {
        <[u8; 32]>::try_from(bytes)
            .map(WorkspaceKey)
            .map_err(|_| Error::invalid("a workspace key must be 32 bytes"))
    }

    /// The key's bytes (kept in the local store and in invite codes only).
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// Every key epoch of a workspace this device knows, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRing(BTreeMap<u32, WorkspaceKey>);

impl KeyRing {
    /// A ring holding one key at epoch 0 (a new workspace).
    pub fn new(key: WorkspaceKey) -> KeyRing {
        KeyRing(BTreeMap::from([(0, key)]))
    }

    /// A ring from `(epoch, key)` pairs; it must hold epoch 0.
    pub fn from_keys(keys: impl IntoIterator<Item = (u32, WorkspaceKey)>) -> Result<KeyRing> {
        let map: BTreeMap<u32, WorkspaceKey> = keys.into_iter().collect();
        if !map.contains_key(&0) {
            return Err(Error::invalid(
                "a key ring must hold the workspace's first key",
            ));
        }
        Ok(KeyRing(map))
    }

    /// Adds (or replaces) an epoch's key.
    pub fn insert(&mut self, epoch: u32, key: WorkspaceKey) {
        self.0.insert(epoch, key);
    }

    /// Whether the ring holds the key of `epoch`.
    pub fn holds(&self, epoch: u32) -> bool {
        self.0.contains_key(&epoch)
    }

    /// The newest epoch up to which the ring holds every key (a ring missing epoch 1 but
    /// holding 0 and 2 is whole through 0): what to fetch the sealed keys after.
    pub fn whole_through(&self) -> u32 {
        let mut through = 0;
        for &epoch in self.0.keys() {
            if epoch > through + 1 {
                break;
            }
            through = epoch;
        }
        through
    }

    /// The newest epoch and its key.
    pub fn current(&self) -> (u32, &WorkspaceKey) {
        self.0
            .iter()
            .next_back()
            .map(|(e, k)| (*e, k))
            .expect("a key ring always holds epoch 0")
    }

    /// Every `(epoch, key)`, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &WorkspaceKey)> {
        self.0.iter().map(|(e, k)| (*e, k))
    }

    /// The key of `epoch`, if the ring holds it.
    pub(crate) fn key(&self, epoch: u32) -> Option<&WorkspaceKey> {
        self.0.get(&epoch)
    }

    /// The hash the relay deduplicates a log entry on: the automerge change hash and the
    /// envelope's header (version, epoch and its random nonce), keyed with the workspace's
    /// first key (every member holds it, so the relay cannot match it against changes it
    /// might see elsewhere). A retry of the same outbox row sends the same envelope and so
    /// the same hash; nobody can predict the hash of an envelope not yet made, so no member
    /// can store other bytes under the hash of a colleague's next change ahead of her.
    pub fn entry_hash(&self, change_hash: &[u8], envelope: &[u8]) -> [u8; HASH_LEN] {
        let mut h = Sha256::new();
        h.update(b"trellis/entry-id/v2");
        h.update(self.first().0);
        h.update(change_hash);
        h.update(&envelope[..ENTRY_HEADER_LEN.min(envelope.len())]);
        h.finalize().into()
    }

    /// Whether a pulled entry stored under `claimed` holds the change whose automerge hash is
    /// `change_hash` in this very envelope (its [`KeyRing::entry_hash`]).
    pub fn entry_matches(&self, claimed: &[u8], change_hash: &[u8], envelope: &[u8]) -> bool {
        claimed == self.entry_hash(change_hash, envelope)
    }

    pub(crate) fn first(&self) -> &WorkspaceKey {
        self.0.get(&0).expect("a key ring always holds epoch 0")
    }
}

/// This device's X25519 key pair: rotated workspace keys are sealed to its public half.
pub struct DeviceKeys(crypto_box::SecretKey);

impl DeviceKeys {
    /// A fresh key pair.
    pub fn generate() -> DeviceKeys {
        let mut bytes = [0u8; 32];
        fill_random(&mut bytes);
        DeviceKeys(crypto_box::SecretKey::from(bytes))
    }

    /// Reads the secret half from 64 hex digits.
    pub fn from_hex(s: &str) -> Result<DeviceKeys> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(s, &mut bytes)
            .map_err(|_| Error::invalid("the device key in this store is damaged"))?;
        Ok(DeviceKeys(crypto_box::SecretKey::from(bytes)))
    }

    /// The secret half as 64 hex digits (kept in the local store only).
    pub fn secret_hex(&self) -> String {
        hex::encode(self.0.to_bytes())
    }

    /// The public half.
    pub fn public_bytes(&self) -> [u8; 32] {
        *self.0.public_key().as_bytes()
    }

    /// The public half as 64 hex digits, as registered with the relay.
    pub fn public_hex(&self) -> String {
        hex::encode(self.0.public_key().as_bytes())
    }

    /// Opens a reply sealed to this device by [`seal_reply_for`] for `post` of `workspace`.
    pub fn unseal_reply(&self, sealed_b64: &str, workspace: &Id, post: &Id) -> Result<Vec<u8>> {
        let sealed = URL_SAFE_NO_PAD
            .decode(sealed_b64)
            .map_err(|_| Error::Corrupt("a sealed reply is not base64".into()))?;
        let plain = self.0.unseal(&sealed).map_err(|_| {
            Error::Corrupt("a sealed reply does not open with this device's key".into())
        })?;
        plain
            .strip_prefix(&reply_prefix(workspace, post)[..])
            .map(<[u8]>::to_vec)
            .ok_or_else(|| Error::Corrupt("a reply was sealed for another post".into()))
    }

    /// Opens the key of `workspace` at `epoch` sealed to this device by [`seal_key_for`]; a box
    /// sealed for another workspace or epoch, or of the first format (the bare key), is refused.
    pub fn unseal_key(&self, sealed_b64: &str, workspace: &Id, epoch: u32) -> Result<WorkspaceKey> {
        let sealed = URL_SAFE_NO_PAD
            .decode(sealed_b64)
            .map_err(|_| Error::Corrupt("a sealed key is not base64".into()))?;
        let plain = self.0.unseal(&sealed).map_err(|_| {
            Error::Corrupt("a sealed key does not open with this device's key".into())
        })?;
        let key = plain
            .strip_prefix(&sealed_key_prefix(workspace, epoch)[..])
            .ok_or_else(|| {
                Error::Corrupt(format!(
                    "the key sealed for epoch {epoch} was not sealed as that epoch's key of this workspace"
                ))
            })?;
        WorkspaceKey::from_slice(key)
    }
}

/// Seals a reply to the post `post` of `workspace` to one device's X25519 public key, as
/// URL-safe base64: only that device opens it ([`DeviceKeys::unseal_reply`]), and the post and
/// workspace it was sealed for are bound inside, so it cannot be moved to another post.
pub fn seal_reply_for(
    device_public: &[u8; 32],
    workspace: &Id,
    post: &Id,
    reply: &[u8],
) -> Result<String> {
    let public = crypto_box::PublicKey::from(*device_public);
    let mut plain = reply_prefix(workspace, post).to_vec();
    plain.extend_from_slice(reply);
    let sealed = public
        .seal(&mut crypto_box::aead::OsRng, &plain)
        .map_err(|_| Error::Corrupt("sealing a reply failed".into()))?;
    Ok(URL_SAFE_NO_PAD.encode(sealed))
}

fn reply_prefix(workspace: &Id, post: &Id) -> [u8; 48] {
    let mut prefix = [0u8; 48];
    prefix[..16].copy_from_slice(SEALED_REPLY_LABEL);
    prefix[16..32].copy_from_slice(workspace.as_bytes());
    prefix[32..].copy_from_slice(post.as_bytes());
    prefix
}

/// Seals the key of `workspace` at `epoch` to a device's public key (64 hex digits), as
/// URL-safe base64.
pub fn seal_key_for(
    device_public_hex: &str,
    workspace: &Id,
    epoch: u32,
    key: &WorkspaceKey,
) -> Result<String> {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(device_public_hex, &mut bytes)
        .map_err(|_| Error::Corrupt("the relay listed a malformed device key".into()))?;
    let public = crypto_box::PublicKey::from(bytes);
    let mut plain = sealed_key_prefix(workspace, epoch).to_vec();
    plain.extend_from_slice(key.as_bytes());
    let sealed = public
        .seal(&mut crypto_box::aead::OsRng, &plain)
        .map_err(|_| Error::Corrupt("sealing a key failed".into()))?;
    Ok(URL_SAFE_NO_PAD.encode(sealed))
}

/// What a sealed key's plaintext starts with: the label, the workspace and the epoch.
fn sealed_key_prefix(workspace: &Id, epoch: u32) -> [u8; 34] {
    let mut prefix = [0u8; 34];
    prefix[..14].copy_from_slice(SEALED_KEY_LABEL);
    prefix[14..30].copy_from_slice(workspace.as_bytes());
    prefix[30..].copy_from_slice(&epoch.to_le_bytes());
    prefix
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A ring of another practice.
    pub(crate) fn other_ring() -> KeyRing {
        KeyRing::new(WorkspaceKey::generate())
    }

    #[test]
    fn after_a_rotation_new_changes_need_the_new_key_and_old_ones_still_open() {
        let first = WorkspaceKey::generate();
        let mut ring = KeyRing::new(first.clone());
        let (ws, doc) = (Id::random(), Id::random());
        let old = ring.seal(Sealed::Change, &ws, &doc, b"before");
        let hash_before = ring.entry_hash(b"abc", &old);
        ring.insert(1, WorkspaceKey::generate());
        let new = ring.seal(Sealed::Change, &ws, &doc, b"after");
        assert_eq!(envelope_epoch(&new), Some(1));
        assert_eq!(
            ring.open(Sealed::Change, &ws, &doc, &old).unwrap(),
            b"before"
        );
        assert_eq!(
            ring.open(Sealed::Change, &ws, &doc, &new).unwrap(),
            b"after"
        );
        // Someone holding only the first key reads the old change, not the new one.
        let removed = KeyRing::new(first);
        assert!(removed.open(Sealed::Change, &ws, &doc, &old).is_ok());
        assert!(removed.open(Sealed::Change, &ws, &doc, &new).is_err());
        // Relabelling the epoch does not help either.
        let mut forged = new.clone();
        forged[1..5].copy_from_slice(&0u32.to_le_bytes());
        assert!(removed.open(Sealed::Change, &ws, &doc, &forged).is_err());
        assert_eq!(
            ring.entry_hash(b"abc", &old),
            hash_before,
            "a retry of the same envelope keeps its hash across a rotation"
        );
    }

    #[test]
    fn an_entry_hash_cannot_be_predicted_before_its_envelope_exists() {
        let ring = KeyRing::new(WorkspaceKey::generate());
        let (ws, doc) = (Id::random(), Id::random());
        let change = b"the same automerge change hash";
        let one = ring.seal(Sealed::Change, &ws, &doc, b"genesis");
        let two = ring.seal(Sealed::Change, &ws, &doc, b"genesis");
        let (h1, h2) = (ring.entry_hash(change, &one), ring.entry_hash(change, &two));
        assert_ne!(h1, h2, "two envelopes of one change are two entries");
        assert_eq!(
            h1,
            ring.entry_hash(change, &one),
            "a retry is the same entry"
        );
        assert!(ring.entry_matches(&h1, change, &one));
        assert!(
            !ring.entry_matches(&h1, change, &two),
            "bound to its envelope"
        );
        assert!(!ring.entry_matches(&h1, b"another change", &one));
    }

    #[test]
    fn a_key_sealed_to_a_device_opens_only_there_and_only_as_its_workspace_and_epoch() {
        let phone = DeviceKeys::generate();
        let laptop = DeviceKeys::generate();
        let key = WorkspaceKey::generate();
        let (ws, other) = (Id::random(), Id::random());
        let sealed = seal_key_for(&phone.public_hex(), &ws, 3, &key).unwrap();
        assert_eq!(phone.unseal_key(&sealed, &ws, 3).unwrap(), key);
        assert!(laptop.unseal_key(&sealed, &ws, 3).is_err());
        // Served as another epoch's key, or another workspace's: refused.
        assert!(phone.unseal_key(&sealed, &ws, 4).is_err());
        assert!(phone.unseal_key(&sealed, &other, 3).is_err());
        // The first format sealed the bare key: refused too.
        let bare = phone
            .0
            .public_key()
            .seal(&mut crypto_box::aead::OsRng, key.as_bytes())
            .unwrap();
        assert!(phone
            .unseal_key(&URL_SAFE_NO_PAD.encode(bare), &ws, 3)
            .is_err());
        let again = DeviceKeys::from_hex(&phone.secret_hex()).unwrap();
        assert_eq!(again.public_hex(), phone.public_hex());
        assert!(seal_key_for("zz", &ws, 0, &key).is_err());
    }
}
