//! End-to-end encryption of changes.
//!
//! Each workspace has a 256-bit key made on the device that created it. It travels to other
//! devices only inside invite codes (see [`crate::invite`]), never to the relay. Every automerge
//! change is sealed with XChaCha20-Poly1305 before it enters the outbox; the workspace id and
//! the document id are the associated data, so a blob moved to another document or workspace
//! fails to open. The relay sees document ids, sizes and a keyed hash, and nothing else.
//!
//! Envelope layout: `version:u8 (=1) nonce:[24] ciphertext+tag`.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};
use trellis_protocol::{fill_random, Id, HASH_LEN};

use crate::error::{Error, Result};

const ENVELOPE_VERSION: u8 = 1;
const NONCE_LEN: usize = 24;

/// A workspace's symmetric key.
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

    /// Seals a change for `doc` in `workspace`.
    pub fn seal(&self, workspace: &Id, doc: &Id, plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce);
        let cipher = XChaCha20Poly1305::new(Key::from_slice(&self.0));
        let aad = associated_data(workspace, doc);
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .expect("XChaCha20-Poly1305 encryption of an in-memory buffer cannot fail");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(ENVELOPE_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens an envelope sealed by [`WorkspaceKey::seal`] for the same workspace and document.
    pub fn open(&self, workspace: &Id, doc: &Id, envelope: &[u8]) -> Result<Vec<u8>> {
        if envelope.len() < 1 + NONCE_LEN + 16 {
            return Err(Error::Corrupt("envelope too short".into()));
        }
        if envelope[0] != ENVELOPE_VERSION {
            return Err(Error::Corrupt(format!(
                "unknown envelope version {}",
                envelope[0]
            )));
        }
        let (nonce, sealed) = envelope[1..].split_at(NONCE_LEN);
        let cipher = XChaCha20Poly1305::new(Key::from_slice(&self.0));
        let aad = associated_data(workspace, doc);
        cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .map_err(|_| Error::Corrupt("authentication failed".into()))
    }

    /// The hash the relay deduplicates on: the automerge change hash, keyed with the workspace
    /// key so the relay cannot match it against changes it might see elsewhere.
    pub fn keyed_hash(&self, change_hash: &[u8]) -> [u8; HASH_LEN] {
        let mut h = Sha256::new();
        h.update(b"trellis/change-id/v1");
        h.update(self.0);
        h.update(change_hash);
        h.finalize().into()
    }
}

fn associated_data(workspace: &Id, doc: &Id) -> [u8; 42] {
    let mut aad = [0u8; 42];
    aad[..10].copy_from_slice(b"trellis/v1");
    aad[10..26].copy_from_slice(workspace.as_bytes());
    aad[26..].copy_from_slice(doc.as_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_changes_open_only_with_the_right_key_workspace_and_document() {
        let key = WorkspaceKey::generate();
        let (ws, doc) = (Id::random(), Id::random());
        let env = key.seal(&ws, &doc, b"Ms. Rivera, counselor");
        assert!(!env
            .windows(b"Rivera".len())
            .any(|w| w == b"Rivera".as_slice()));
        assert_eq!(key.open(&ws, &doc, &env).unwrap(), b"Ms. Rivera, counselor");
        assert!(key.open(&ws, &Id::random(), &env).is_err());
        assert!(key.open(&Id::random(), &doc, &env).is_err());
        assert!(WorkspaceKey::generate().open(&ws, &doc, &env).is_err());
        let mut tampered = env.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(key.open(&ws, &doc, &tampered).is_err());
        assert!(key.open(&ws, &doc, &env[..10]).is_err());
        assert_ne!(
            key.keyed_hash(b"abc"),
            WorkspaceKey::generate().keyed_hash(b"abc")
        );
    }
}
