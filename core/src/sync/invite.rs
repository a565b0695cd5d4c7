//! Invite codes: what a new device needs to join a workspace, in one pasteable line.
//!
//! A code carries the relay's URL, the workspace id, the single-use invite secret the relay
//! checks, the invite's signing key (the new device signs its admission to the practice's
//! roster with it: `crate::roster`), and the inviting device's id and fingerprint digest, so
//! the new device accepts only a roster in which that device made this invite. It carries no
//! workspace key and not the practice's name: once the admission is in the roster, a device of
//! the practice (the inviting one, or an owner's or admin's) seals every key to the new
//! device's key as the roster names it, and the name arrives with the practice's data. A code
//! someone else reads decrypts nothing, even with the relay's files; redeemed first by them,
//! it lets in a device that the members list shows, with its fingerprint, and the invitee's
//! own join then fails. So a code should still travel the way a house key would (in person, a
//! QR code, an encrypted message), and one that went astray be cancelled before it is used.
//! The invite key never goes to the relay: only the secret is sent when the code is redeemed.
//!
//! Format: `trellis3.` followed by URL-safe base64 (no padding) of a small JSON object. A code
//! of an earlier format (`trellis1.`) is refused with an error that says to ask for a new one.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use trellis_protocol::Id;

use crate::base::error::{Error, Result};
use crate::crypto::DeviceSigner;

const PREFIX: &str = "trellis3.";
const OLD_PREFIX: &str = "trellis1.";

/// The decoded content of an invite code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteCode {
    /// Base URL of the relay.
    pub relay_url: String,
    /// The workspace to join.
    pub workspace_id: Id,
    /// The single-use secret the relay checks.
    pub secret: String,
    /// The invite's signing key (its public half is the invite's identity in the roster).
    pub admit: [u8; 32],
    /// The inviting device.
    pub inviter: Id,
    /// The inviting device's fingerprint digest.
    pub inviter_fingerprint: [u8; 32],
}

impl InviteCode {
    /// The invite's signing key.
    pub fn admit_key(&self) -> DeviceSigner {
        DeviceSigner::from_hex(&hex::encode(self.admit)).expect("32 bytes are always a signing key")
    }
}

#[derive(Serialize, Deserialize)]
struct Wire {
    r: String,
    w: Id,
    s: String,
    a: String,
    i: Id,
    f: String,
}

impl InviteCode {
    /// The one-line code.
    pub fn encode(&self) -> String {
        let wire = Wire {
            r: self.relay_url.clone(),
            w: self.workspace_id,
            s: self.secret.clone(),
            a: URL_SAFE_NO_PAD.encode(self.admit),
            i: self.inviter,
            f: URL_SAFE_NO_PAD.encode(self.inviter_fingerprint),
        };
        let json = serde_json::to_vec(&wire).expect("an invite always serializes");
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(json))
    }

    /// Reads a code; surrounding whitespace is ignored.
    pub fn decode(code: &str) -> Result<InviteCode> {
        let bad = || {
            Error::invalid("this is not a Trellis invite code (it should start with \"trellis3.\"); copy the whole line again")
        };
        if code.trim().starts_with(OLD_PREFIX) {
            return Err(Error::invalid(
                "this invite code was made by an earlier version of Trellis; ask for a new one",
            ));
        }
        let body = code.trim().strip_prefix(PREFIX).ok_or_else(bad)?;
        let json = URL_SAFE_NO_PAD.decode(body).map_err(|_| bad())?;
        let wire: Wire = serde_json::from_slice(&json).map_err(|_| bad())?;
        if !(wire.r.starts_with("http://") || wire.r.starts_with("https://")) {
            return Err(bad());
        }
        let b32 = |s: &str| -> Result<[u8; 32]> {
            URL_SAFE_NO_PAD
                .decode(s)
                .ok()
                .and_then(|v| <[u8; 32]>::try_from(v).ok())
                .ok_or_else(bad)
        };
        Ok(InviteCode {
            admit: b32(&wire.a)?,
            inviter: wire.i,
            inviter_fingerprint: b32(&wire.f)?,
            relay_url: wire.r,
            workspace_id: wire.w,
            secret: wire.s,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_round_trips_and_garbage_is_refused() {
        let code = InviteCode {
            relay_url: "http://127.0.0.1:8787".into(),
            workspace_id: Id::random(),
            secret: trellis_protocol::random_secret(),
            admit: [4; 32],
            inviter: Id::random(),
            inviter_fingerprint: [5; 32],
        };
        let line = code.encode();
        assert!(line.starts_with("trellis3.") && !line.contains(char::is_whitespace));
        // Short enough for a QR code a phone reads at arm's length.
        assert!(line.len() < 400, "{}", line.len());
        let old = InviteCode::decode(&line.replace("trellis3.", "trellis1.")).unwrap_err();
        assert!(old.to_string().contains("earlier version"), "{old}");
        assert_eq!(InviteCode::decode(&format!("  {line}\n")).unwrap(), code);
        for bad in [
            "",
            "trellis3.",
            "trellis3.!!!",
            "hello",
            &line[..line.len() - 5],
        ] {
            assert!(InviteCode::decode(bad).is_err(), "{bad}");
        }
    }
}
