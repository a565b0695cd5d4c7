//! Change events and sync states for listeners, the roster, checkpoints and import reports.

use trellis_core::events::{
    ChangeKind as CoreChangeKind, DataChanged as CoreDataChanged, SyncState as CoreSyncState,
};

use crate::types::Role;

mirror_enum! {
    /// A kind of data a screen shows; a `DataChanged` lists the kinds a commit touched.
    ChangeKind => CoreChangeKind {
        /// Practice name, members, goals, pitches, memberships, referral reasons.
        Workspace,
        /// Organizations.
        Organizations,
        /// Contacts and their notes.
        Contacts,
        /// Logged activities.
        Activities,
        /// Follow-ups.
        FollowUps,
        /// Referrals.
        Referrals,
        /// Leave-behind stock.
        Stock,
        /// Local changes waiting for the relay (the count in `status()` moved).
        Pending,
    }
}

mirror_record! {
    /// Data changed in a workspace: reload the screens that show these kinds.
    DataChanged from CoreDataChanged {
        /// The workspace written, when known (32 hex digits).
        workspace_id: Option<String>,
        /// What changed, each kind once.
        kinds: Vec<ChangeKind> [list],
    }
}

/// How sync is going, for a status line.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum SyncState {
    /// Up to date as of the last sync.
    Idle {
        /// Last successful sync (RFC 3339), if any.
        last_sync_at: Option<String>,
    },
    /// A sync is running.
    Syncing,
    /// The relay cannot be reached; changes wait on this device and go out when it can.
    Offline {
        /// Changes waiting for the relay.
        pending: u64,
    },
    /// The last sync failed for another reason (the core's `Error` state; named `Failed` here
    /// so it does not shadow the platforms' own `Error` types).
    Failed {
        /// What went wrong, for the user.
        reason: String,
    },
}

impl From<CoreSyncState> for SyncState {
    fn from(s: CoreSyncState) -> Self {
        match s {
            CoreSyncState::Idle { last_sync_at } => SyncState::Idle { last_sync_at },
            CoreSyncState::Syncing => SyncState::Syncing,
            CoreSyncState::Offline { pending } => SyncState::Offline { pending },
            CoreSyncState::Error { reason } => SyncState::Failed { reason },
        }
    }
}

mirror_record! {
    /// A device of a member, as the practice's signed roster holds it.
    DeviceView from trellis_core::members::DeviceView {
        /// Device id (32 hex digits; `revoke_device` takes a prefix of at least 4).
        device_id: String,
        /// When it joined (RFC 3339).
        registered_at: String,
        /// Whether it was revoked.
        revoked: bool,
        /// Whether it is this device.
        this_device: bool,
        /// Its fingerprint ("12345 67890 12345 67890"): compare it face to face with what
        /// that device shows.
        fingerprint: String,
        /// Whether this device recorded a face-to-face check of that fingerprint.
        verified: bool,
    }
}

mirror_record! {
    /// A member of the practice with their devices: one row of `roster()`.
    MemberView from trellis_core::members::MemberView {
        /// Member id (32 hex digits).
        member_id: String,
        /// Name, from the workspace document.
        name: String,
        /// Their role.
        role: Role [into],
        /// Whether the member was removed or left.
        removed: bool,
        /// Their devices.
        devices: Vec<DeviceView> [list],
        /// Flagged: one of her devices was verified here, and she has another nobody here
        /// verified.
        unverified_device: bool,
    }
}

mirror_record! {
    /// What a checkpoint uploaded.
    CheckpointReport from trellis_core::checkpoint::CheckpointReport {
        /// The relay log seq the checkpoint covers.
        seq: u64,
        /// Documents uploaded.
        docs: u64,
        /// Sealed bytes uploaded.
        bytes: u64,
    }
}

/// A record an import left out.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SkippedRecord {
    /// Where it is: the card's number in a vCard file (the first card is 1), or the line of
    /// the row in a CSV file (the header is line 1).
    pub line_or_card: u64,
    /// Why it was left out.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ImportReport {
    /// Contacts added.
    pub added: u64,
    /// Records that matched an existing contact (by email, phone or name) and were not added.
    pub duplicates: u64,
    /// Organizations created for the added contacts.
    pub organizations_added: u64,
    /// Records that could not be imported, and why.
    pub skipped: Vec<SkippedRecord>,
}

/// A count from the core (`usize`) as it crosses the FFI.
fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

impl From<trellis_core::interop::ImportReport> for ImportReport {
    fn from(r: trellis_core::interop::ImportReport) -> Self {
        let trellis_core::interop::ImportReport {
            added,
            duplicates,
            organizations_added,
            skipped,
        } = r;
        ImportReport {
            added: count(added),
            duplicates: count(duplicates),
            organizations_added: count(organizations_added),
            skipped: skipped
                .into_iter()
                .map(|s| SkippedRecord {
                    line_or_card: count(s.line_or_card),
                    reason: s.reason,
                })
                .collect(),
        }
    }
}

/// Converts the core's import progress for a listener.
pub(crate) fn progress_counts(p: trellis_core::interop::Progress) -> (u64, u64) {
    (count(p.done), count(p.total))
}
