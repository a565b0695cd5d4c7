//! Document ids the relay cannot link to a member or a month.
//!
//! A logbook (a member's activities and follow-ups for a month) and a ledger (the practice's
//! referrals for a month) must have the same id on every device, so that two devices that
//! create one offline share it. Their ids are therefore derived, not drawn. Derived with an
//! unkeyed hash of (workspace, member, month), as they were in the first format, anyone who
//! knows the workspace and member ids (the relay lists members and devices) could compute them
//! and label each log entry "member M's visits in month X".
//!
//! So they are derived with HMAC-SHA256 under the workspace's **document-id secret**:
//!
//! ```text
//! secret     = HMAC-SHA256(key = the key of epoch 0, "trellis/doc-id-secret/v2" || workspace)
//! logbook id = HMAC-SHA256(secret, "logbook" || member || month)[..16]   (each part length-prefixed)
//! ledger id  = HMAC-SHA256(secret, "ledger" || month)[..16]
//! ```
//!
//! The secret comes from the **first** key epoch because every member holds it (a key ring
//! always holds epoch 0: a joining device needs it to read the history) and it never changes:
//! a key rotation must not move a month's logbook to a new id, or two devices on either side of
//! a rotation would write one month to two documents. The label keeps the secret apart from
//! every other use of that key (sealing, the entry hash). What this does not do: a member
//! removed later keeps the first key, and so can still tell which id is whose; the ids hide
//! the practice's structure from the relay and from anyone who only sees its files.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use trellis_protocol::Id;

use super::KeyRing;

type HmacSha256 = Hmac<Sha256>;

/// A workspace's document-id secret (see the module docs): derives its logbook and ledger ids.
#[derive(Clone)]
pub struct DocIds([u8; 32]);

impl std::fmt::Debug for DocIds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DocIds(..)")
    }
}

impl DocIds {
    /// The id of `member`'s logbook for `month` (`YYYY-MM`): the same on every device.
    pub fn logbook(&self, member: &Id, month: &str) -> Id {
        self.derive(&[b"logbook", member.as_bytes(), month.as_bytes()])
    }

    /// The id of the practice's referral ledger for `month` (`YYYY-MM`).
    pub fn ledger(&self, month: &str) -> Id {
        self.derive(&[b"ledger", month.as_bytes()])
    }

    fn derive(&self, parts: &[&[u8]]) -> Id {
        let mut mac = mac(&self.0);
        for p in parts {
            mac.update(&(p.len() as u32).to_le_bytes());
            mac.update(p);
        }
        let digest = mac.finalize().into_bytes();
        let mut id = [0u8; 16];
        id.copy_from_slice(&digest[..16]);
        Id(id)
    }
}

impl KeyRing {
    /// The document-id secret of `workspace`, from the ring's first key.
    pub fn doc_ids(&self, workspace: &Id) -> DocIds {
        let mut mac = mac(self.first().as_bytes());
        mac.update(b"trellis/doc-id-secret/v2");
        mac.update(workspace.as_bytes());
        DocIds(mac.finalize().into_bytes().into())
    }
}

fn mac(key: &[u8]) -> HmacSha256 {
    <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes a key of any length")
}

#[cfg(test)]
mod tests {
    use sha2::Digest;

    use super::*;
    use crate::crypto::WorkspaceKey;

    /// The first format's unkeyed derivation, which anyone knowing the ids could compute.
    fn unkeyed(parts: &[&[u8]]) -> Id {
        let mut h = Sha256::new();
        for p in parts {
            h.update((p.len() as u32).to_le_bytes());
            h.update(p);
        }
        let mut id = [0u8; 16];
        id.copy_from_slice(&h.finalize()[..16]);
        Id(id)
    }

    #[test]
    fn two_practices_get_different_ids_for_the_same_member_and_month() {
        let ring = KeyRing::new(WorkspaceKey::generate());
        let (one, two, member) = (Id::random(), Id::random(), Id::random());
        assert_ne!(
            ring.doc_ids(&one).logbook(&member, "2026-11"),
            ring.doc_ids(&two).logbook(&member, "2026-11"),
        );
        assert_ne!(
            ring.doc_ids(&one).ledger("2026-11"),
            ring.doc_ids(&two).ledger("2026-11")
        );
        // Another practice's key, even under the same workspace id (ids are not secret).
        let other = KeyRing::new(WorkspaceKey::generate());
        assert_ne!(
            ring.doc_ids(&one).logbook(&member, "2026-11"),
            other.doc_ids(&one).logbook(&member, "2026-11"),
        );
        // Months, members and kinds stay apart.
        let ids = ring.doc_ids(&one);
        assert_ne!(
            ids.logbook(&member, "2026-11"),
            ids.logbook(&member, "2026-12")
        );
        assert_ne!(
            ids.logbook(&member, "2026-11"),
            ids.logbook(&Id::random(), "2026-11")
        );
        assert_eq!(ids.ledger("2026-11"), ring.doc_ids(&one).ledger("2026-11"));
    }

    #[test]
    fn ids_stay_the_same_across_a_key_rotation() {
        let first = WorkspaceKey::generate();
        let mut ring = KeyRing::new(first.clone());
        let (ws, member) = (Id::random(), Id::random());
        let before = ring.doc_ids(&ws).logbook(&member, "2026-11");
        let ledger = ring.doc_ids(&ws).ledger("2026-11");
        ring.insert(1, WorkspaceKey::generate());
        ring.insert(2, WorkspaceKey::generate());
        assert_eq!(ring.doc_ids(&ws).logbook(&member, "2026-11"), before);
        assert_eq!(ring.doc_ids(&ws).ledger("2026-11"), ledger);
        // A device that joined after the rotations holds every epoch, the first among them.
        let joined = KeyRing::from_keys(ring.iter().map(|(e, k)| (e, k.clone()))).unwrap();
        assert_eq!(joined.doc_ids(&ws).logbook(&member, "2026-11"), before);
    }

    #[test]
    fn ids_cannot_be_computed_from_the_workspace_member_and_month_alone() {
        let ring = KeyRing::new(WorkspaceKey::generate());
        let (ws, member) = (Id::random(), Id::random());
        let ids = ring.doc_ids(&ws);
        let logbook = ids.logbook(&member, "2026-11");
        let ledger = ids.ledger("2026-11");
        // The first format's derivation, or the same parts hashed without the secret.
        for guess in [
            unkeyed(&[
                b"trellis/logbook",
                ws.as_bytes(),
                member.as_bytes(),
                b"2026-11",
            ]),
            unkeyed(&[b"logbook", member.as_bytes(), b"2026-11"]),
            unkeyed(&[b"trellis/ledger", ws.as_bytes(), b"2026-11"]),
            unkeyed(&[b"ledger", b"2026-11"]),
        ] {
            assert_ne!(logbook, guess);
            assert_ne!(ledger, guess);
        }
        // The secret is not the first key itself (it is labelled apart from its other uses).
        let raw = DocIds(*ring.first().as_bytes());
        assert_ne!(raw.logbook(&member, "2026-11"), logbook);
        assert!(!format!("{ids:?}").contains(&hex::encode(&ids.0[..4])));
    }
}
