//! A workspace as this device holds it, its sync status, and what one sync moved.

use serde::{Deserialize, Serialize};
use trellis_protocol::api::Role;

/// A workspace this device belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceInfo {
    /// Workspace id.
    pub id: String,
    /// Practice name.
    pub name: String,
    /// Relay URL, if connected.
    pub relay_url: Option<String>,
    /// This device's member id in it.
    pub member_id: String,
    /// This member's role.
    pub role: Role,
    /// Whether commands act on it.
    pub current: bool,
    /// Whether this device joined it and waits for a device of the practice to hand it the
    /// keys (its name and data arrive with them).
    pub awaiting_keys: bool,
}

/// Sync state of the current workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// Workspace id.
    pub workspace_id: String,
    /// Practice name.
    pub workspace: String,
    /// Relay URL, if connected.
    pub relay_url: Option<String>,
    /// Local changes the relay has not acknowledged.
    pub pending_changes: u64,
    /// Last successful sync (RFC 3339).
    pub last_sync_at: Option<String>,
    /// The last relay seq applied here.
    pub cursor: u64,
    /// Documents holding changes whose dependencies have not arrived (0 when healthy).
    pub gaps: u64,
    /// Pulled entries this device could not apply and keeps aside (0 when healthy; listed by
    /// `Store::set_aside`).
    pub set_aside: u64,
    /// Why the relay's copy of the practice's signed roster, or a key it served, last failed
    /// this device's checks (a rewritten or forked history, a key the roster does not name);
    /// `None` when the last check passed.
    pub roster_problem: Option<String>,
    /// Roster events this device refused (signed by a device not entitled to them, or not
    /// validly signed): made by the relay or a member overstepping her role.
    pub roster_refused: u64,
}

/// Why a pulled log entry was set aside instead of applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SetAsideReason {
    /// It does not open with any key this device holds of the practice.
    Unreadable,
    /// It opens, but is not an automerge change.
    NotAChange,
    /// Its content is not the change its hash names: someone stored other bytes under it.
    HashMismatch,
    /// Automerge refused it (e.g. it reuses a sequence number its author already used).
    Refused,
    /// Its signature does not verify, or its signer is not a device of the practice's signed
    /// roster: the relay or someone outside the practice made it.
    Unsigned,
    /// Its change is written under another device's name (its automerge actor is not the
    /// signing device's): a member posing as a colleague.
    WrongAuthor,
    /// Signed by a device after it was revoked or its member removed.
    AfterRemoval,
    /// Signed under a roster this device's does not match: the relay shows devices different
    /// histories of the practice.
    Fork,
}

impl SetAsideReason {
    /// The stable name stored and shown (`unreadable`, `not_a_change`, `hash_mismatch`,
    /// `refused`).
    pub fn as_str(self) -> &'static str {
        match self {
            SetAsideReason::Unreadable => "unreadable",
            SetAsideReason::NotAChange => "not_a_change",
            SetAsideReason::HashMismatch => "hash_mismatch",
            SetAsideReason::Refused => "refused",
            SetAsideReason::Unsigned => "unsigned",
            SetAsideReason::WrongAuthor => "wrong_author",
            SetAsideReason::AfterRemoval => "after_removal",
            SetAsideReason::Fork => "fork",
        }
    }

    /// The reason a stored name stands for.
    pub fn parse(name: &str) -> Option<SetAsideReason> {
        [
            SetAsideReason::Unreadable,
            SetAsideReason::NotAChange,
            SetAsideReason::HashMismatch,
            SetAsideReason::Refused,
            SetAsideReason::Unsigned,
            SetAsideReason::WrongAuthor,
            SetAsideReason::AfterRemoval,
            SetAsideReason::Fork,
        ]
        .into_iter()
        .find(|r| r.as_str() == name)
    }
}

/// A pulled log entry this device could not apply. It is kept (with its encrypted bytes) so
/// nothing is thrown away, and it never stops the pull, the other documents or other devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetAsideEntry {
    /// Its position in the relay's log; none for a change that first waited for missing
    /// dependencies and was refused when they arrived.
    pub seq: Option<u64>,
    /// The document it was for.
    pub doc_id: String,
    /// Why it was set aside.
    pub reason: SetAsideReason,
    /// What refused it, in words (no content of the entry).
    pub detail: String,
    /// When it was set aside (RFC 3339).
    pub at: String,
}

/// What one sync moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SyncReport {
    /// Local changes the relay acknowledged.
    pub pushed: u64,
    /// Changes pulled from the relay (including this device's own, echoed back).
    pub pulled: u64,
    /// Documents that changed here because of the pull.
    pub documents_updated: u64,
    /// Pulled entries this sync set aside instead of applying (see [`SetAsideEntry`]).
    pub set_aside: u64,
    /// Whether the relay's log was found rolled back (restored from a backup): this sync then
    /// pulled the whole log again and pushed back what the relay lacked.
    pub relay_rolled_back: bool,
    /// Changes this device pushed back to a rolled-back relay.
    pub repushed: u64,
    /// The cursor after the sync.
    pub cursor: u64,
    /// Whether a new workspace key arrived (someone left or was removed).
    pub new_key: bool,
    /// Whether changes with missing dependencies made this sync pull the whole log again.
    pub repulled: bool,
    /// Documents received from a checkpoint (a new device, or one the relay's compaction left
    /// behind).
    pub bootstrapped_docs: u64,
    /// Of those, documents this device loaded to index or merge them: its own copy to merge,
    /// or a snapshot without index rows (the workspace document; checkpoints made by older
    /// versions). The others were indexed from the rows their snapshots carried and are loaded
    /// when something first changes them.
    pub bootstrap_loaded_docs: u64,
    /// The key epoch this device made because someone left or a device was revoked (owners
    /// and admins only).
    pub rotated_to: Option<u32>,
    /// Documents still holding changes whose dependencies never arrived (0 when healthy).
    pub gaps: u64,
    /// Devices admitted lately that this sync handed the practice's keys to.
    pub keys_granted: u64,
    /// On a region's store: connections its posts hold that this sync recorded as referrals
    /// in this member's practice (see [`crate::Store::record_exchange`]); push them with the
    /// practice's next sync.
    pub referrals_recorded: u64,
}
