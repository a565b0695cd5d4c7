//! The core's one error type.
//!
//! Every variant says what went wrong in words a user can act on. Messages name things by their
//! kind and short id, never by personal data (a contact's name appears only in candidate lists
//! of [`Error::Ambiguous`] / [`Error::NotFound`], which answer the user's own query on their own
//! device and are never logged).

/// A result with the core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store has no device identity yet.
    #[error("this device is not set up yet: run `trellis init --name NAME` first")]
    NotInitialized,
    /// There is no workspace to act on.
    #[error("no workspace yet: create one with `trellis workspace create NAME` or join one with `trellis workspace join CODE`")]
    NoWorkspace,
    /// There is no region to act on.
    #[error("no region yet: create one with `trellis region create NAME` or join one with `trellis region join CODE`")]
    NoRegion,
    /// The workspace has no relay.
    #[error("workspace {0} is local only: connect it to a relay first")]
    NotConnected(String),
    /// A name or id matched nothing.
    #[error("no {what} matches \"{query}\"{}", candidates_hint(candidates))]
    NotFound {
        /// Kind of thing looked up (organization, contact, workspace).
        what: &'static str,
        /// What the user typed.
        query: String,
        /// Close matches the user may have meant.
        candidates: Vec<String>,
    },
    /// A name or id matched several things.
    #[error("\"{query}\" matches several {what}s: {}; use more of the name or an id prefix", candidates.join(", "))]
    Ambiguous {
        /// Kind of thing looked up.
        what: &'static str,
        /// What the user typed.
        query: String,
        /// Every match, as "name (id prefix)".
        candidates: Vec<String>,
    },
    /// The input is not acceptable; nothing was changed.
    #[error("{0}")]
    InvalidInput(String),
    /// The thing already exists.
    #[error("{0}")]
    Conflict(String),
    /// The relay could not be reached.
    #[error("could not reach the relay: {0}")]
    Network(String),
    /// This device was revoked or its member removed from the workspace (the relay said so
    /// twice); the workspace's data has been deleted from this device, except what it had not
    /// synced yet, which was kept in a file the user can read.
    #[error("this device is no longer part of {workspace}; its data for that workspace was deleted from this device{}", kept_hint(kept.as_deref()))]
    Removed {
        /// The practice's name.
        workspace: String,
        /// The file holding this device's changes the practice never received, if it had any.
        kept: Option<String>,
    },
    /// This device joined the practice (its admission is in the roster) and no device of the
    /// practice has handed it the keys yet: nothing of the practice can be read or written
    /// here until one does.
    #[error("this device joined the practice and is waiting for its keys: a device of the practice hands them over when it next syncs (the one that made the invite, or an owner's or an admin's); sync again after that")]
    AwaitingKeys,
    /// The relay refused the request.
    #[error("the relay refused ({status} {code}): {message}")]
    Relay {
        /// HTTP status.
        status: u16,
        /// The relay's error code (see `trellis_protocol::api::codes`).
        code: String,
        /// The relay's message.
        message: String,
    },
    /// A change from the relay could not be decrypted or read.
    #[error("a change from the relay could not be read ({0}); the workspace key may be wrong")]
    Corrupt(String),
    /// What the relay served fails a check this device makes of the practice's signed roster
    /// (an event missing, moved or rewritten, a roster that is not the one the invite came
    /// from): nothing of it was applied.
    #[error("the relay's copy of the practice's roster failed this device's checks ({0}); nothing of it was applied: tell the practice's owner")]
    Tampered(String),
    /// The local database failed. A full disk and a read-only file are said in those words;
    /// the action's transaction rolled back, so nothing of it was saved.
    #[error("local storage failed: {}", storage_reason(.0))]
    Storage(#[from] rusqlite::Error),
    /// An automerge document failed to load or change.
    #[error("a document could not be read or changed: {0}")]
    Document(#[from] automerge::AutomergeError),
}

fn storage_reason(e: &rusqlite::Error) -> String {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DiskFull) => {
            "the disk is full, or the store reached its size limit; nothing of this action was saved (free some space and try again)".into()
        }
        Some(rusqlite::ErrorCode::ReadOnly) => {
            "the store's file is read-only; nothing of this action was saved (make the data directory writable and try again)".into()
        }
        Some(rusqlite::ErrorCode::SystemIoFailure) => {
            format!("{e} (the store's file could not be read or written: is the disk full or the file read-only?)")
        }
        _ => e.to_string(),
    }
}

fn kept_hint(kept: Option<&str>) -> String {
    match kept {
        Some(path) => format!("; what it had not synced yet was kept, readable, in {path}"),
        None => String::new(),
    }
}

fn candidates_hint(candidates: &[String]) -> String {
    if candidates.is_empty() {
        String::new()
    } else {
        format!("; did you mean: {}?", candidates.join(", "))
    }
}

impl Error {
    /// Shorthand for [`Error::InvalidInput`].
    pub fn invalid(msg: impl Into<String>) -> Error {
        Error::InvalidInput(msg.into())
    }
}
