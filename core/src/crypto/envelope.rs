//! Envelopes: what the relay stores of a change or a checkpoint's snapshot.
//!
//! An envelope is `version:u8 (=3) epoch:u32le nonce:[24] ciphertext+tag`, where the
//! ciphertext is XChaCha20-Poly1305 under the key of `epoch` over
//!
//! ```text
//! length:u32le  payload:[length]  zeros (padding)
//! ```
//!
//! and the associated data is `label workspace:[16] doc:[16] epoch:u32le`, with a label of its
//! own for each kind of envelope ([`Sealed`]): a change envelope never opens as a snapshot and
//! a snapshot never as a change, even for the same document and epoch.
//!
//! **Padding.** The whole envelope (a snapshot's with the signed trailer it gets when
//! uploaded, [`super::signing`]) is padded to a size bucket ([`bucket`]): a power of two
//! from 256 bytes up to 64 KiB, then a multiple of 64 KiB. The relay sees the bucket, not the
//! size: a small edit (a stage, a follow-up done, a referral, a new contact) is 256 bytes, a
//! drop-by with its note 512. A floor of 512 would also hide which of the two a change is, at
//! twice the bytes for every small edit: on the e2e story's log (`tests/tests/metadata.rs`)
//! padding adds 42% with a floor of 256 and 113% with 512, and a drop-by (400–450 bytes
//! unpadded) costs 512 either way; which document an entry goes to tells a visit from an edit
//! as well. The
//! length sits inside the authenticated ciphertext, so nobody without the key can change it;
//! a length that points past the plaintext, or padding that is not zeros, is refused rather
//! than read (an envelope made by a member holding the key, but not by this code, must not
//! give out bytes past its end or be taken for another one).
//!
//! Versions 1 (no padding, one label for every kind) and 2 (unsigned) are refused with an
//! error that says so: no data of those formats was ever deployed, and none is migrated.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use trellis_protocol::{fill_random, Id};

use super::signing::TRAILER_LEN;
use super::KeyRing;
use crate::base::error::{Error, Result};

/// The envelope format this build writes and reads.
pub const ENVELOPE_VERSION: u8 = 3;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
/// Version, epoch, nonce.
const HEADER_LEN: usize = 1 + 4 + NONCE_LEN;
/// The payload's length, inside the ciphertext.
const LENGTH_LEN: usize = 4;
/// Bytes an envelope adds to its payload before padding: header, length and tag.
pub const ENVELOPE_OVERHEAD: usize = HEADER_LEN + LENGTH_LEN + TAG_LEN;
/// The smallest bucket: every envelope is at least this long.
pub const SMALLEST_BUCKET: usize = 256;
/// Buckets double up to this size, and are multiples of it above.
pub const LINEAR_BUCKETS_FROM: usize = 64 << 10;

/// What an envelope holds: each kind is sealed with associated data of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sealed {
    /// One automerge change, as pushed to the log.
    Change,
    /// One document's snapshot (and its index rows), as uploaded in a checkpoint.
    Snapshot,
}

impl Sealed {
    fn label(self) -> &'static [u8; 19] {
        match self {
            Sealed::Change => b"trellis/change/v2\0\0",
            Sealed::Snapshot => b"trellis/snapshot/v2",
        }
    }
}

/// The size an envelope of `unpadded` bytes (payload plus [`ENVELOPE_OVERHEAD`]) is padded to:
/// the smallest power of two of at least [`SMALLEST_BUCKET`] that holds it, up to
/// [`LINEAR_BUCKETS_FROM`]; above, the next multiple of [`LINEAR_BUCKETS_FROM`].
pub fn bucket(unpadded: usize) -> usize {
    if unpadded <= LINEAR_BUCKETS_FROM {
        unpadded.max(SMALLEST_BUCKET).next_power_of_two()
    } else {
        unpadded.div_ceil(LINEAR_BUCKETS_FROM) * LINEAR_BUCKETS_FROM
    }
}

/// The key epoch an envelope names, if it looks like an envelope of this format.
pub fn envelope_epoch(envelope: &[u8]) -> Option<u32> {
    if envelope.len() < HEADER_LEN + LENGTH_LEN + TAG_LEN || envelope[0] != ENVELOPE_VERSION {
        return None;
    }
    Some(u32::from_le_bytes([
        envelope[1],
        envelope[2],
        envelope[3],
        envelope[4],
    ]))
}

impl KeyRing {
    /// Seals `what` for `doc` in `workspace` with the newest key, padded to its bucket.
    pub fn seal(&self, what: Sealed, workspace: &Id, doc: &Id, payload: &[u8]) -> Vec<u8> {
        let (epoch, _) = self.current();
        // A snapshot gets its signed trailer after the envelope when it is uploaded
        // ([`super::signing::sign_entry`]): room is left for it, so that what the relay stores
        // fills the bucket exactly. A change carries its trailer inside.
        let outside = match what {
            Sealed::Change => 0,
            Sealed::Snapshot => TRAILER_LEN,
        };
        let padded = bucket(payload.len() + ENVELOPE_OVERHEAD + outside) - outside;
        let mut plain = Vec::with_capacity(padded - HEADER_LEN - TAG_LEN);
        // A payload is at most a few MiB (the relay's limits); a length past u32 cannot be
        // pushed anywhere, and is written saturated so that it fails to open, not to seal.
        plain.extend_from_slice(
            &u32::try_from(payload.len())
                .unwrap_or(u32::MAX)
                .to_le_bytes(),
        );
        plain.extend_from_slice(payload);
        plain.resize(padded - HEADER_LEN - TAG_LEN, 0);
        self.seal_padded(what, workspace, doc, epoch, &plain)
    }

    /// Seals an already padded plaintext (its length prefix and padding as given) with the key
    /// of `epoch`, which the ring must hold.
    pub(super) fn seal_padded(
        &self,
        what: Sealed,
        workspace: &Id,
        doc: &Id,
        epoch: u32,
        plain: &[u8],
    ) -> Vec<u8> {
        let key = self
            .key(epoch)
            .expect("sealing with an epoch the ring holds");
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce);
        let aad = associated_data(what, workspace, doc, epoch);
        let sealed = XChaCha20Poly1305::new(Key::from_slice(key.as_bytes()))
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .expect("XChaCha20-Poly1305 encryption of an in-memory buffer cannot fail");
        let mut out = Vec::with_capacity(HEADER_LEN + sealed.len());
        out.push(ENVELOPE_VERSION);
        out.extend_from_slice(&epoch.to_le_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens an envelope sealed by [`KeyRing::seal`] as the same kind, for the same workspace
    /// and document, with the key of the epoch it names; returns the payload without its
    /// padding.
    pub fn open(&self, what: Sealed, workspace: &Id, doc: &Id, envelope: &[u8]) -> Result<Vec<u8>> {
        let epoch = envelope_epoch(envelope).ok_or_else(|| match envelope.first() {
            Some(v @ (1 | 2)) => Error::Corrupt(format!(
                "an envelope of an earlier Trellis format (version {v}, before signed entries), \
                 which this version does not read"
            )),
            _ => Error::Corrupt("not a Trellis envelope".into()),
        })?;
        let key = self
            .key(epoch)
            .ok_or_else(|| Error::Corrupt(format!("no key for epoch {epoch}")))?;
        let nonce = &envelope[5..HEADER_LEN];
        let aad = associated_data(what, workspace, doc, epoch);
        let mut plain = XChaCha20Poly1305::new(Key::from_slice(key.as_bytes()))
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: &envelope[HEADER_LEN..],
                    aad: &aad,
                },
            )
            .map_err(|_| Error::Corrupt("authentication failed".into()))?;
        let (length, rest) = plain
            .split_first_chunk::<LENGTH_LEN>()
            .ok_or_else(|| Error::Corrupt("an envelope without its length".into()))?;
        let length = u32::from_le_bytes(*length) as usize;
        if length > rest.len() {
            return Err(Error::Corrupt(
                "an envelope's length points past its end".into(),
            ));
        }
        if rest[length..].iter().any(|b| *b != 0) {
            return Err(Error::Corrupt("an envelope's padding is not zeros".into()));
        }
        plain.truncate(LENGTH_LEN + length);
        plain.drain(..LENGTH_LEN);
        Ok(plain)
    }
}

fn associated_data(what: Sealed, workspace: &Id, doc: &Id, epoch: u32) -> [u8; 55] {
    let mut aad = [0u8; 55];
    aad[..19].copy_from_slice(what.label());
    aad[19..35].copy_from_slice(workspace.as_bytes());
    aad[35..51].copy_from_slice(doc.as_bytes());
    aad[51..].copy_from_slice(&epoch.to_le_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::WorkspaceKey;

    fn ring() -> KeyRing {
        KeyRing::new(WorkspaceKey::generate())
    }

    #[test]
    fn sealed_changes_open_only_with_the_right_key_workspace_and_document() {
        let ring = ring();
        let (ws, doc) = (Id::random(), Id::random());
        let env = ring.seal(Sealed::Change, &ws, &doc, b"Ms. Rivera, counselor");
        assert!(!env
            .windows(b"Rivera".len())
            .any(|w| w == b"Rivera".as_slice()));
        assert_eq!(
            ring.open(Sealed::Change, &ws, &doc, &env).unwrap(),
            b"Ms. Rivera, counselor"
        );
        assert!(ring.open(Sealed::Change, &ws, &Id::random(), &env).is_err());
        assert!(ring
            .open(Sealed::Change, &Id::random(), &doc, &env)
            .is_err());
        assert!(super::super::tests::other_ring()
            .open(Sealed::Change, &ws, &doc, &env)
            .is_err());
        let mut tampered = env.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(ring.open(Sealed::Change, &ws, &doc, &tampered).is_err());
        assert!(ring.open(Sealed::Change, &ws, &doc, &env[..10]).is_err());
    }

    #[test]
    fn a_change_does_not_open_as_a_snapshot_nor_a_snapshot_as_a_change() {
        let ring = ring();
        let (ws, doc) = (Id::random(), Id::random());
        let change = ring.seal(Sealed::Change, &ws, &doc, b"one drop-by");
        let snapshot = ring.seal(Sealed::Snapshot, &ws, &doc, b"the whole logbook");
        assert_eq!(
            ring.open(Sealed::Change, &ws, &doc, &change).unwrap(),
            b"one drop-by"
        );
        assert_eq!(
            ring.open(Sealed::Snapshot, &ws, &doc, &snapshot).unwrap(),
            b"the whole logbook"
        );
        assert!(
            ring.open(Sealed::Snapshot, &ws, &doc, &change).is_err(),
            "a change envelope opened as a snapshot"
        );
        assert!(
            ring.open(Sealed::Change, &ws, &doc, &snapshot).is_err(),
            "a snapshot opened as a change"
        );
    }

    #[test]
    fn envelopes_fill_their_bucket_and_the_padding_comes_off() {
        let ring = ring();
        let (ws, doc) = (Id::random(), Id::random());
        for len in [0, 1, 300, 463, 464, 465, 2000, 70_000, 200_000] {
            let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8 + 1).collect();
            let env = ring.seal(Sealed::Change, &ws, &doc, &payload);
            assert_eq!(env.len(), bucket(len + ENVELOPE_OVERHEAD), "{len} bytes");
            let snapshot = ring.seal(Sealed::Snapshot, &ws, &doc, &payload);
            assert_eq!(
                snapshot.len() + TRAILER_LEN,
                bucket(len + ENVELOPE_OVERHEAD + TRAILER_LEN),
                "a snapshot of {len} bytes and its trailer"
            );
            assert_eq!(ring.open(Sealed::Change, &ws, &doc, &env).unwrap(), payload);
        }
        // The buckets, written out.
        assert_eq!(bucket(1), 256);
        assert_eq!(bucket(256), 256);
        assert_eq!(bucket(257), 512);
        assert_eq!(bucket(512), 512);
        assert_eq!(bucket(513), 1024);
        assert_eq!(bucket(40_000), 64 << 10);
        assert_eq!(bucket((64 << 10) + 1), 128 << 10);
        assert_eq!(bucket((192 << 10) + 1), 256 << 10);
        assert_eq!(
            bucket(trellis_protocol::MAX_ENTRY_BYTES),
            trellis_protocol::MAX_ENTRY_BYTES,
            "the relay's largest entry fits"
        );
        assert_eq!(
            bucket(trellis_protocol::snapshot::MAX_SNAPSHOT_BYTES),
            trellis_protocol::snapshot::MAX_SNAPSHOT_BYTES,
            "the relay's largest snapshot fits"
        );
        // Every small payload is the same size to the relay, and so is every drop-by-sized one.
        let a = ring.seal(Sealed::Change, &ws, &doc, b"x");
        let b = ring.seal(Sealed::Change, &ws, &doc, &[9; 200]);
        assert_eq!((a.len(), b.len()), (256, 256));
        let c = ring.seal(Sealed::Change, &ws, &doc, &[9; 360]);
        let d = ring.seal(Sealed::Change, &ws, &doc, &[9; 460]);
        assert_eq!((c.len(), d.len()), (512, 512));
    }

    #[test]
    fn a_length_past_the_end_or_padding_that_is_not_zeros_is_refused() {
        let ring = ring();
        let (ws, doc) = (Id::random(), Id::random());
        let sealed = |plain: &[u8]| ring.seal_padded(Sealed::Change, &ws, &doc, 0, plain);
        let padded = |length: u32, payload: &[u8], fill: u8| {
            let mut plain = length.to_le_bytes().to_vec();
            plain.extend_from_slice(payload);
            plain.resize(512 - HEADER_LEN - TAG_LEN, fill);
            plain
        };
        // Made as `seal` makes it: opens.
        let good = sealed(&padded(5, b"hello", 0));
        assert_eq!(
            ring.open(Sealed::Change, &ws, &doc, &good).unwrap(),
            b"hello"
        );
        // A length one past the plaintext, and the largest length there is.
        let room = (512 - HEADER_LEN - TAG_LEN - LENGTH_LEN) as u32;
        assert!(ring
            .open(
                Sealed::Change,
                &ws,
                &doc,
                &sealed(&padded(room, b"hello", 0))
            )
            .is_ok());
        for length in [room + 1, u32::MAX] {
            let err = ring
                .open(
                    Sealed::Change,
                    &ws,
                    &doc,
                    &sealed(&padded(length, b"hello", 0)),
                )
                .unwrap_err();
            assert!(err.to_string().contains("past its end"), "{err}");
        }
        // Padding that hides more bytes.
        let err = ring
            .open(Sealed::Change, &ws, &doc, &sealed(&padded(5, b"hello", 7)))
            .unwrap_err();
        assert!(err.to_string().contains("padding"), "{err}");
        // A plaintext too short to hold its length.
        assert!(ring
            .open(Sealed::Change, &ws, &doc, &sealed(&[1, 0]))
            .is_err());
    }

    #[test]
    fn an_envelope_of_the_first_format_gets_an_error_that_says_so() {
        let ring = ring();
        let (ws, doc) = (Id::random(), Id::random());
        let mut env = ring.seal(Sealed::Change, &ws, &doc, b"visit");
        env[0] = 1;
        let err = ring.open(Sealed::Change, &ws, &doc, &env).unwrap_err();
        assert!(err.to_string().contains("version 1"), "{err}");
        env[0] = 2;
        let err = ring.open(Sealed::Change, &ws, &doc, &env).unwrap_err();
        assert!(err.to_string().contains("version 2"), "{err}");
        assert_eq!(envelope_epoch(&env), None);
        env[0] = 9;
        let err = ring.open(Sealed::Change, &ws, &doc, &env).unwrap_err();
        assert!(err.to_string().contains("not a Trellis envelope"), "{err}");
    }
}
