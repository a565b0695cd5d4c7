//! The one error a foreign caller sees, mapped from the core's error in one place.
//!
//! The core's [`trellis_core::Error`] has a variant per cause; a UI needs fewer: enough to pick
//! what to show (set up the device, pick a workspace, fix the input, sign in again, retry
//! later). Each variant carries `reason`, the core's message, written for the user. The field
//! is not called `message`: that name clashes with `Throwable.message` in the generated Kotlin
//! (uniffi-rs #1434).

/// What went wrong, in a form a UI can branch on. `reason` is always a sentence for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum TrellisError {
    /// This device is not set up yet: call `init(name)` first.
    #[error("{reason}")]
    NotInitialized {
        /// What to do, in words for the user.
        reason: String,
    },
    /// There is no current workspace: create or join one first.
    #[error("{reason}")]
    NoWorkspace {
        /// What to do, in words for the user.
        reason: String,
    },
    /// The current workspace is local only: it has no relay to sync with or invite through.
    #[error("{reason}")]
    NotConnected {
        /// What to do, in words for the user.
        reason: String,
    },
    /// A name or id matched nothing.
    #[error("{reason}")]
    NotFound {
        /// What was looked up, and the close matches, in words for the user.
        reason: String,
        /// Close matches the user may have meant (may be empty).
        candidates: Vec<String>,
    },
    /// A name or id matched several things.
    #[error("{reason}")]
    Ambiguous {
        /// What was looked up and what it matched, in words for the user.
        reason: String,
        /// Every match, as "name (id prefix)".
        candidates: Vec<String>,
    },
    /// The input is not acceptable; nothing was changed.
    #[error("{reason}")]
    InvalidInput {
        /// What is wrong with the input.
        reason: String,
    },
    /// The thing already exists (locally, or on the relay).
    #[error("{reason}")]
    Conflict {
        /// What already exists.
        reason: String,
    },
    /// The relay refused this device or secret (HTTP 401 or 403): a wrong signup secret, a
    /// revoked device, or a role that may not do this.
    #[error("{reason}")]
    NotAuthorized {
        /// What the relay said.
        reason: String,
    },
    /// The relay could not be reached; retry when online. Nothing local was lost.
    #[error("{reason}")]
    Network {
        /// What failed.
        reason: String,
    },
    /// The relay refused the request for another reason (e.g. an invite used or expired).
    #[error("{reason}")]
    Relay {
        /// What the relay said.
        reason: String,
        /// HTTP status.
        status: u16,
        /// The relay's stable error code (`bad_request`, `not_found`, `gone`, ...).
        code: String,
    },
    /// Data from the relay could not be read or decrypted.
    #[error("{reason}")]
    Corrupt {
        /// What could not be read.
        reason: String,
    },
    /// The local database or a stored document failed.
    #[error("{reason}")]
    Storage {
        /// What failed.
        reason: String,
    },
    /// This device joined a practice and no device of the practice has handed it the keys
    /// yet: show "waiting for a colleague's device to let this one in" and sync again later.
    #[error("{reason}")]
    AwaitingKeys {
        /// What to do, in words for the user.
        reason: String,
    },
    /// This device was revoked or its member removed from the workspace (the relay said so
    /// twice); the workspace's data was deleted from this device. What it had not synced was
    /// kept in a file `reason` names. Show it and return to the workspace list.
    #[error("{reason}")]
    Removed {
        /// What happened, in words for the user.
        reason: String,
    },
    /// `close()` was called on this store; open it again to go on.
    #[error("{reason}")]
    Closed {
        /// What to do, in words for the user.
        reason: String,
    },
}

impl TrellisError {
    pub(crate) fn closed() -> TrellisError {
        TrellisError::Closed {
            reason: "this store was closed; open it again to go on".into(),
        }
    }
}

impl From<trellis_core::Error> for TrellisError {
    fn from(e: trellis_core::Error) -> Self {
        use trellis_core::Error as E;
        let reason = e.to_string();
        match e {
            E::NotInitialized => TrellisError::NotInitialized { reason },
            E::NoWorkspace | E::NoRegion => TrellisError::NoWorkspace { reason },
            E::NotConnected(_) => TrellisError::NotConnected { reason },
            E::NotFound { candidates, .. } => TrellisError::NotFound { reason, candidates },
            E::Ambiguous { candidates, .. } => TrellisError::Ambiguous { reason, candidates },
            E::InvalidInput(_) => TrellisError::InvalidInput { reason },
            E::Conflict(_) => TrellisError::Conflict { reason },
            E::Network(_) => TrellisError::Network { reason },
            E::Relay {
                status: 401 | 403, ..
            } => TrellisError::NotAuthorized { reason },
            E::Relay { status: 409, .. } => TrellisError::Conflict { reason },
            E::Relay { status, code, .. } => TrellisError::Relay {
                reason,
                status,
                code,
            },
            E::Corrupt(_) | E::Tampered(_) => TrellisError::Corrupt { reason },
            E::Removed { .. } => TrellisError::Removed { reason },
            E::AwaitingKeys => TrellisError::AwaitingKeys { reason },
            E::Storage(_) | E::Document(_) => TrellisError::Storage { reason },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trellis_core::Error as E;

    #[test]
    fn relay_refusals_map_by_status_and_keep_the_core_message() {
        let unauthorized = E::Relay {
            status: 401,
            code: "unauthorized".into(),
            message: "wrong signup secret".into(),
        };
        match TrellisError::from(unauthorized) {
            TrellisError::NotAuthorized { reason } => {
                assert!(reason.contains("wrong signup secret"), "{reason}")
            }
            other => panic!("expected NotAuthorized, got {other:?}"),
        }
        let gone = E::Relay {
            status: 410,
            code: "gone".into(),
            message: "the invite was used".into(),
        };
        assert!(matches!(
            TrellisError::from(gone),
            TrellisError::Relay { status: 410, ref code, .. } if code == "gone"
        ));
    }

    #[test]
    fn not_found_keeps_candidates_in_the_field_and_the_reason() {
        let e = TrellisError::from(E::NotFound {
            what: "organization",
            query: "Lincon".into(),
            candidates: vec!["Lincoln Middle School".into()],
        });
        match e {
            TrellisError::NotFound { reason, candidates } => {
                assert_eq!(candidates, vec!["Lincoln Middle School".to_string()]);
                assert!(reason.contains("Lincoln Middle School"), "{reason}");
            }
            other => panic!("expected NotFound, got {other:?}"),
        }
    }
}
