//! The relay's persistent state behind one trait, so the embedded SQLite backend ([`sqlite`],
//! the default: one process, one file) and the PostgreSQL backend ([`postgres`]: any number of
//! relay processes on one database) serve the same routes and pass the same tests.
//!
//! The trait speaks in the relay's own terms (workspaces, members, devices, invites, the log),
//! never in SQL. Every method is one transaction: either all of it happened or none of it did.
//! Methods return boxed futures so the trait stays object-safe (`Arc<dyn Storage>`) and a
//! natively async backend needs no blocking thread; the SQLite backend runs its work on
//! tokio's blocking pool.
//!
//! Secrets never reach storage: tokens and invite secrets arrive as [`SecretHash`]es, and
//! workspace keys only sealed to device public keys, which the relay cannot open.
//!
//! Who may do what to a workspace's membership is decided by the pure rules in [`policy`],
//! which every backend applies to the rows it reads inside the transaction, so a rule is
//! checked against the same state it changes.
//!
//! Each workspace also has a signed roster: opaque events ([`RosterEntry`]) that devices make,
//! sign and verify, which the relay stores in order and never parses. Every call that changes
//! membership takes the events that describe it and appends them in its own transaction,
//! both or neither ([`policy::check_roster_append`]): events that do not start at the roster's
//! next position refuse the whole call with [`Refusal::RosterMoved`].
//!
//! Two provided methods exist for backends shared by several relay processes:
//! [`Storage::follow`] feeds heads and revocations committed by any process into this process's
//! [`Notifier`] (live sockets), and [`Storage::take_request`] keeps the rate limit's token
//! buckets in the database so the limit holds across processes. A single-process backend (SQLite)
//! keeps the defaults: its own writes are all there is to announce, and its rate limit is the
//! in-process token bucket the HTTP layer keeps.
//!
//! The records both backends read and write (the secret hash, the operator's workspace
//! summary and log sizes, the conversions from stored columns) are in [`records`], once.
//! Of the rest of the relay, storage imports only [`crate::notify`] (the notifier the PostgreSQL
//! backend feeds): the HTTP layer, the operator's commands and the metrics are built on it,
//! never the other way round.

pub mod policy;
pub mod postgres;
pub mod records;
pub mod sqlite;

use std::sync::Weak;

use futures_util::future::BoxFuture;
use trellis_protocol::api::{KeyEnvelope, KeyRotation, MembersResponse, Role};
use trellis_protocol::batch::{PullBatch, PushEntry};
use trellis_protocol::snapshot::{CheckpointInfo, DocBatch, DocSnapshot};
use trellis_protocol::Id;

use crate::notify::Notifier;
pub use records::{LogSize, SecretHash, WorkspaceSummary};

/// Why a storage call failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The thing to create already exists (a workspace id, or a member id in a workspace).
    #[error("it already exists")]
    Conflict,
    /// The thing asked for does not exist.
    #[error("it does not exist")]
    NotFound,
    /// The invite was already used or has expired.
    #[error("the invite was used or has expired")]
    Gone,
    /// A rule refused the change; nothing changed.
    #[error("refused: {0:?}")]
    Refused(Refusal),
    /// A checkpoint call was refused; nothing changed.
    #[error("checkpoint refused: {0:?}")]
    Checkpoint(CheckpointRefusal),
    /// A push's entries are sealed with an older key than the workspace's current one; nothing
    /// was stored.
    #[error("the entries are sealed with key epoch {sealed}; the workspace is at {current}")]
    StaleKey {
        /// The epoch the push said its entries are sealed with.
        sealed: u32,
        /// The workspace's current key epoch.
        current: u32,
    },
    /// The push would take the workspace's log past its [`LogQuota`]; nothing was stored.
    #[error("the workspace's log is full ({entries} entries, {bytes} bytes)")]
    LogFull {
        /// Entries in the log now.
        entries: u64,
        /// Bytes in the log now.
        bytes: u64,
    },
    /// A pull asked for log entries that were compacted into a checkpoint and deleted after
    /// their grace period: the device must bootstrap from the newest checkpoint.
    #[error("the log entries before seq {floor} were compacted and deleted")]
    Compacted {
        /// The log floor: the lowest seq still stored.
        floor: u64,
    },
    /// The database was written by a newer relay whose schema this one does not know.
    #[error("the database has schema version {found}; this relay knows up to {known}")]
    NewerSchema {
        /// The version found in the database.
        found: i64,
        /// The newest version this relay can read.
        known: i64,
    },
    /// The database holds workspaces written in an older data format (the first: unpadded
    /// envelopes, unkeyed document ids; the second: no signed roster), which this relay does
    /// not serve: no such data was deployed, and none is migrated.
    #[error("the database holds workspaces of an older Trellis data format (schema version {found}), which this relay does not serve; start it on a new database")]
    OldFormat {
        /// The version found in the database.
        found: i64,
    },
    /// A stored row does not have the shape the relay writes.
    #[error("the database holds a malformed {0}")]
    Corrupt(&'static str),
    /// The database itself failed (I/O, locking, a bug).
    #[error("the database failed: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A result of a storage call.
pub type StorageResult<T> = Result<T, StorageError>;

/// Why a membership or key change was refused. Nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The calling device was revoked, or its member removed, before the change ran.
    CallerRevoked,
    /// Only an owner or an admin may do this.
    OwnerOrAdminOnly,
    /// Only the owner may do this.
    OwnerOnly,
    /// A member may revoke only her own devices.
    NotOwnDevice,
    /// An admin may revoke her own devices and members' devices, not an admin's or the owner's.
    AdminRevokesMembersOnly,
    /// The device is the owner's last one not revoked: revoking it would lock the practice's
    /// owner out.
    OwnersLastDevice,
    /// An admin may remove members, not admins or the owner.
    AdminRemovesMembersOnly,
    /// The owner cannot leave or be removed before transferring ownership.
    OwnerMustTransfer,
    /// The target member was removed (or left) already.
    MemberRemoved,
    /// The target member is already the owner.
    AlreadyOwner,
    /// A key rotation's epoch is not the current one plus one, or its sealed keys do not name
    /// each remaining device exactly once.
    StaleRotation,
    /// The redeeming device's id is already registered in the workspace.
    DeviceIdTaken,
    /// The member already has the most devices a member may have ([`MAX_DEVICES_PER_MEMBER`]).
    TooManyDevices {
        /// The quota.
        limit: u64,
    },
    /// The roster events sent do not start at the roster's next position (another device
    /// appended first), or, in a repeated request, differ from the events stored at their
    /// positions.
    RosterMoved {
        /// The roster's newest seq.
        head: u64,
    },
    /// The roster would hold more than [`MAX_ROSTER_EVENTS`] events.
    RosterFull {
        /// The quota.
        limit: u64,
    },
    /// A member may cancel only the invites she issued; owners and admins any.
    NotOwnInvite,
    /// The invite was redeemed already: cancelling it is too late (revoke the device instead).
    InviteUsed,
    /// Keys were granted for an epoch the workspace has not reached.
    EpochAhead {
        /// The workspace's current key epoch.
        current: u32,
    },
    /// The device keys were granted to was revoked, or its member removed.
    DeviceRevoked,
}

/// How large one workspace's log may grow (entries still in the log, not yet compacted into a
/// checkpoint). A push past either limit is refused whole ([`StorageError::LogFull`], answered
/// 507): the practice cuts a checkpoint, or the operator raises the quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogQuota {
    /// Bytes of sealed changes.
    pub max_bytes: u64,
    /// Entries.
    pub max_entries: u64,
}

impl Default for LogQuota {
    /// 1 GiB and 2,000,000 entries: years of a large practice's changes between checkpoints.
    fn default() -> LogQuota {
        LogQuota {
            max_bytes: 1 << 30,
            max_entries: 2_000_000,
        }
    }
}

/// How long log entries compacted into a checkpoint are kept by default before they are
/// deleted: 7 days (`trellis-relay --compacted-grace-days`).
pub const DEFAULT_COMPACTED_GRACE_SECONDS: u64 = 7 * 24 * 3600;

/// The compacted entries' grace period (seconds) a backend can be given after it was opened,
/// read by every checkpoint completion and purge. Starts at
/// [`DEFAULT_COMPACTED_GRACE_SECONDS`].
#[derive(Debug)]
pub struct GraceCell(std::sync::atomic::AtomicU64);

impl Default for GraceCell {
    fn default() -> GraceCell {
        GraceCell(DEFAULT_COMPACTED_GRACE_SECONDS.into())
    }
}

impl GraceCell {
    /// The grace period now, in seconds.
    pub fn get(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Sets the grace period for the completions and purges that follow.
    pub fn set(&self, seconds: u64) {
        self.0.store(seconds, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A [`LogQuota`] a backend can be given after it was opened, read by every push.
#[derive(Debug)]
pub struct QuotaCell {
    max_bytes: std::sync::atomic::AtomicU64,
    max_entries: std::sync::atomic::AtomicU64,
}

impl Default for QuotaCell {
    fn default() -> QuotaCell {
        let q = LogQuota::default();
        QuotaCell {
            max_bytes: q.max_bytes.into(),
            max_entries: q.max_entries.into(),
        }
    }
}

impl QuotaCell {
    /// The quota now.
    pub fn get(&self) -> LogQuota {
        use std::sync::atomic::Ordering::Relaxed;
        LogQuota {
            max_bytes: self.max_bytes.load(Relaxed),
            max_entries: self.max_entries.load(Relaxed),
        }
    }

    /// Sets the quota for the pushes that follow.
    pub fn set(&self, q: LogQuota) {
        use std::sync::atomic::Ordering::Relaxed;
        self.max_bytes.store(q.max_bytes, Relaxed);
        self.max_entries.store(q.max_entries, Relaxed);
    }
}

/// Devices (not revoked) one member may have.
pub const MAX_DEVICES_PER_MEMBER: u64 = 10;

/// Events one workspace's signed roster may hold: far more than a practice's lifetime of
/// joins, revocations and rotations (at most [`MAX_ROSTER_EVENT_BYTES`] each, 400 MiB at
/// worst).
///
/// [`MAX_ROSTER_EVENT_BYTES`]: trellis_protocol::api::MAX_ROSTER_EVENT_BYTES
pub const MAX_ROSTER_EVENTS: u64 = 100_000;

/// Roster events one request may append.
pub const MAX_ROSTER_EVENTS_PER_REQUEST: usize = 16;

/// One event of a workspace's signed roster as storage keeps it: its position and the opaque
/// signed bytes (decoded from the wire's base64), which the relay never parses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    /// Position in the roster, from 1.
    pub seq: u64,
    /// The signed event, byte for byte as a device made it.
    pub event: Vec<u8>,
}

/// Events of a roster after a seq, oldest first, and its newest seq.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RosterPage {
    /// Oldest first.
    pub events: Vec<RosterEntry>,
    /// The roster's newest seq (0: empty).
    pub head: u64,
}

/// What a pull tells a device besides the entries: the key state and the roster's head, read
/// from one snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncState {
    /// The workspace's current key epoch.
    pub key_epoch: u32,
    /// Whether a member left or a device was revoked since the last key rotation.
    pub rotation_needed: bool,
    /// The newest seq of the workspace's signed roster (0: empty).
    pub roster_head: u64,
}

/// Checkpoints of one workspace that may be under way (begun, not complete) at once; those
/// begun more than [`STALE_CHECKPOINT_SECONDS`] ago are dropped when a new one begins.
pub const MAX_OPEN_CHECKPOINTS: u64 = 4;

/// After this long an unfinished checkpoint is taken for abandoned.
pub const STALE_CHECKPOINT_SECONDS: i64 = 24 * 3600;

/// Why a checkpoint call was refused. Nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckpointRefusal {
    /// The checkpoint would cover seqs the log has not reached.
    AheadOfLog {
        /// The newest seq of the log.
        head: u64,
    },
    /// A complete checkpoint covering a later seq exists: this one would be of no use.
    Superseded {
        /// The seq the newest complete checkpoint covers.
        newest: u64,
    },
    /// The checkpoint is complete already: its documents cannot change.
    AlreadyComplete,
    /// The uploader said it sent a different number of documents than the relay holds.
    DocCount {
        /// Documents stored for the checkpoint.
        stored: u64,
        /// Documents the uploader said it sent.
        expected: u64,
    },
    /// Documents that have entries in the log up to the checkpoint's seq, or that the previous
    /// checkpoint holds, are not in it: completing it would lose their history.
    MissingDocuments {
        /// How many documents are missing.
        missing: u64,
    },
    /// [`MAX_OPEN_CHECKPOINTS`] checkpoints of the workspace are under way already.
    TooManyOpen {
        /// The quota.
        limit: u64,
    },
}

impl From<CheckpointRefusal> for StorageError {
    fn from(refusal: CheckpointRefusal) -> Self {
        StorageError::Checkpoint(refusal)
    }
}

impl From<Refusal> for StorageError {
    fn from(refusal: Refusal) -> Self {
        StorageError::Refused(refusal)
    }
}

/// A device's X25519 public key, to which rotated workspace keys are sealed.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeviceKey(pub [u8; 32]);

impl DeviceKey {
    /// Parses 64 hexadecimal digits (either case); `None` for anything else.
    pub fn from_hex(text: &str) -> Option<DeviceKey> {
        if text.len() != 64 {
            return None;
        }
        let mut key = [0u8; 32];
        hex::decode_to_slice(text, &mut key).ok()?;
        Some(DeviceKey(key))
    }

    /// The key as 64 lowercase hexadecimal digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeviceKey({})", self.to_hex())
    }
}

/// What a bearer token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenLookup {
    /// A registered device of a current member.
    Active(DeviceAuth),
    /// A device that was revoked, or whose member was removed or left: refused everywhere but
    /// the roster's read, where it verifies its own removal.
    Revoked {
        /// The workspace the device belonged to.
        workspace_id: Id,
    },
}

/// A registered, unrevoked device, found by its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceAuth {
    /// The workspace the device belongs to.
    pub workspace_id: Id,
    /// The member the device belongs to.
    pub member_id: Id,
    /// The device's id.
    pub device_id: Id,
    /// The member's current role.
    pub role: Role,
}

/// A workspace to create, with its owner and the owner's first device.
#[derive(Debug, Clone)]
pub struct NewWorkspace {
    /// The new workspace's id.
    pub workspace_id: Id,
    /// The owner's member id.
    pub member_id: Id,
    /// The owner's first device.
    pub device_id: Id,
    /// That device's public key.
    pub device_key: DeviceKey,
    /// Hash of that device's bearer token.
    pub token_hash: SecretHash,
    /// Seconds since the Unix epoch.
    pub now: i64,
    /// The roster's first events, from seq 1 (the workspace's creation), appended with it.
    pub roster: Vec<RosterEntry>,
}

/// An invite to store.
#[derive(Debug, Clone)]
pub struct NewInvite {
    /// Hash of the invite secret.
    pub secret_hash: SecretHash,
    /// The workspace the invite is for.
    pub workspace_id: Id,
    /// The role the invitee gets (for a device invite: the inviter's role when issued).
    pub role: Role,
    /// Whether the invite adds a device of the inviter rather than a new member.
    pub device: bool,
    /// The member who issued it.
    pub inviter_member_id: Id,
    /// Expiry, seconds since the Unix epoch.
    pub expires_at: i64,
    /// The invite's id (chosen by the inviting device, or made by the relay), by which it is
    /// cancelled; one the workspace has used already is [`StorageError::Conflict`].
    pub invite_id: Id,
    /// Roster events appended with it.
    pub roster: Vec<RosterEntry>,
}

/// A redemption attempt.
#[derive(Debug, Clone)]
pub struct Redemption {
    /// Hash of the presented invite secret.
    pub secret_hash: SecretHash,
    /// The workspace the invitee believes the invite is for.
    pub workspace_id: Id,
    /// The redeeming device.
    pub device_id: Id,
    /// The member id proposed for a new member (ignored for device invites).
    pub member_id: Id,
    /// The redeeming device's public key.
    pub device_key: DeviceKey,
    /// Hash of the bearer token the new device will use.
    pub token_hash: SecretHash,
    /// Seconds since the Unix epoch.
    pub now: i64,
    /// Roster events appended with it (in a repeat, those the first redemption appended).
    pub roster: Vec<RosterEntry>,
}

/// Who the redeeming device now belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redeemed {
    /// The member the device joined.
    pub member_id: Id,
    /// That member's role.
    pub role: Role,
}

/// The result of storing a pushed batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushOutcome {
    /// The seq of each entry, in request order (the existing seq for a duplicate).
    pub seqs: Vec<u64>,
    /// How many entries were new.
    pub stored: u64,
    /// The newest seq of the workspace's log after the push.
    pub head: u64,
    /// The workspace's current key epoch, read in the push's transaction.
    pub key_epoch: u32,
    /// Whether a member left or a device was revoked since the last key rotation.
    pub rotation_needed: bool,
    /// The newest seq of the workspace's signed roster, read in the push's transaction.
    pub roster_head: u64,
}

/// What a pull asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PullQuery {
    /// Return entries with a seq greater than this.
    pub after: u64,
    /// At most this many entries.
    pub limit: usize,
    /// Stop before the entries' bytes would exceed this (at least one entry is returned).
    pub max_bytes: usize,
}

/// A checkpoint to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewCheckpoint {
    /// The new checkpoint's id (made by the relay).
    pub checkpoint_id: Id,
    /// Every log entry up to this seq is covered by the snapshots to come.
    pub seq: u64,
    /// Seconds since the Unix epoch.
    pub now: i64,
}

/// What completing a checkpoint did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compaction {
    /// The checkpoint, now the newest complete one.
    pub checkpoint: CheckpointInfo,
    /// Log entries the checkpoint covers that were marked compacted now (and left the log's
    /// quota counters); they are kept, and still pulled, for the grace period.
    pub entries_compacted: u64,
    /// Log entries deleted by this completion: those compacted at least the grace period ago
    /// (with a grace period of 0, every entry the checkpoint covers).
    pub entries_deleted: u64,
    /// Older checkpoints deleted.
    pub checkpoints_removed: u64,
    /// The log floor from now on: the lowest seq still stored (at most the checkpoint's seq
    /// plus one).
    pub floor: u64,
}

/// What a purge of compacted entries past their grace period did
/// ([`Storage::purge_compacted`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purge {
    /// Workspaces whose log floor was raised.
    pub workspaces: u64,
    /// Log entries deleted, across workspaces.
    pub entries_deleted: u64,
}

/// What a checkpoint download asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocsQuery {
    /// Return documents whose id sorts after this one (all when `None`).
    pub after: Option<Id>,
    /// At most this many documents.
    pub limit: usize,
    /// Stop before the snapshots' bytes would exceed this (at least one is returned).
    pub max_bytes: usize,
}

/// A token bucket's shape, for [`Storage::take_request`] (the generic cell rate algorithm, as
/// the in-process limiter uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateQuota {
    /// Microseconds in which one request's token comes back.
    pub interval_micros: i64,
    /// Microseconds of requests a full bucket holds (the burst: requests times interval).
    pub burst_micros: i64,
}

/// The relay's persistent state: workspaces, members, devices, invites and each workspace's log.
///
/// Each method is one transaction. Implementations must be safe to call concurrently.
pub trait Storage: Send + Sync + 'static {
    /// Sets how large each workspace's log may grow from the next push on.
    fn set_log_quota(&self, quota: LogQuota);

    /// Sets how long compacted log entries are kept (seconds, from the completion that
    /// compacted them) before [`Storage::complete_checkpoint`] or
    /// [`Storage::purge_compacted`] deletes them; 0 deletes them at completion. The default is
    /// [`DEFAULT_COMPACTED_GRACE_SECONDS`].
    fn set_compacted_grace(&self, seconds: u64);

    /// The identity of the relay's log ([`trellis_protocol::api::LOG_ID_HEADER`]): random,
    /// made with the database, changed by `trellis-relay admin restored` after a backup was
    /// put back, so devices notice the rollback.
    fn log_id(&self) -> &str;

    /// Creates a workspace with its owner and the owner's first device, and appends its first
    /// roster events (from seq 1). [`StorageError::Conflict`] if the workspace id is taken. The
    /// same signup repeated (same owner, device and token: its answer was lost) succeeds and
    /// changes nothing, if its events are those stored at their seqs
    /// ([`Refusal::RosterMoved`] otherwise).
    fn create_workspace(&self, new: NewWorkspace) -> BoxFuture<'_, StorageResult<()>>;

    /// Finds the device holding a token: [`TokenLookup::Active`] with its member's current
    /// role, or [`TokenLookup::Revoked`] (with its workspace) if the device was revoked or its
    /// member removed; `None` for a token no device ever held.
    fn device_by_token(
        &self,
        token: SecretHash,
    ) -> BoxFuture<'_, StorageResult<Option<TokenLookup>>>;

    /// Stores an invite and appends its roster events. [`StorageError::StaleKey`] if the code
    /// would carry an older key than the workspace's.
    fn create_invite(&self, invite: NewInvite) -> BoxFuture<'_, StorageResult<()>>;

    /// Redeems an invite atomically: marks it used and registers the device (and, for a member
    /// invite, the new member). [`StorageError::NotFound`] for an unknown secret or another
    /// workspace; [`StorageError::Gone`] if used, expired, or its issuer was removed;
    /// [`StorageError::Conflict`] if the proposed member id already exists (removed members
    /// included); [`Refusal::DeviceIdTaken`] if the device id is registered in the workspace.
    /// A cancelled invite is [`StorageError::Gone`]. The roster events are appended with it.
    /// The same redemption repeated (same device and token: its answer was lost) succeeds and
    /// changes nothing, if its events are those stored at their seqs. On any error nothing
    /// changes.
    fn redeem_invite(&self, redemption: Redemption) -> BoxFuture<'_, StorageResult<Redeemed>>;

    /// Appends entries to a workspace's log in one transaction, each at most once per
    /// `(doc_id, change_hash)`, with consecutive seqs. [`StorageError::NotFound`] if the
    /// workspace does not exist; [`StorageError::StaleKey`] (nothing stored) if `sealed_with`
    /// names an older key epoch than the workspace's current one.
    fn push(
        &self,
        workspace: Id,
        entries: Vec<PushEntry>,
        sealed_with: Option<u32>,
    ) -> BoxFuture<'_, StorageResult<PushOutcome>>;

    /// Reads log entries after a seq, in order, from one consistent snapshot; compacted entries
    /// still kept for their grace period are served like any other.
    /// [`StorageError::Compacted`] if entries right after `after` were deleted (`after + 1` is
    /// below the workspace's log floor, the lowest seq still stored).
    fn pull(&self, workspace: Id, query: PullQuery) -> BoxFuture<'_, StorageResult<PullBatch>>;

    /// The newest seq of a workspace's log (0 when empty or unknown).
    fn head(&self, workspace: Id) -> BoxFuture<'_, StorageResult<u64>>;

    /// The key state and the roster's head, from one snapshot (what a pull's headers say).
    /// [`StorageError::NotFound`] if the workspace does not exist.
    fn sync_state(&self, workspace: Id) -> BoxFuture<'_, StorageResult<SyncState>>;

    /// The roster's events with a seq greater than `after`, oldest first, at most `limit`, and
    /// its newest seq, from one snapshot (empty for an unknown workspace).
    fn roster(
        &self,
        workspace: Id,
        after: u64,
        limit: usize,
    ) -> BoxFuture<'_, StorageResult<RosterPage>>;

    /// Appends roster events not tied to another call, as any active device of the workspace
    /// may; returns the roster's new head. [`Refusal::RosterMoved`] unless they start at the
    /// roster's next position.
    fn append_roster(
        &self,
        actor: DeviceAuth,
        roster: Vec<RosterEntry>,
    ) -> BoxFuture<'_, StorageResult<u64>>;

    /// Every member (removed ones flagged) and device (revoked ones flagged) of a workspace,
    /// oldest first, with its key epoch and whether a rotation is needed.
    /// [`StorageError::NotFound`] if the workspace does not exist.
    fn members(&self, workspace: Id) -> BoxFuture<'_, StorageResult<MembersResponse>>;

    /// Revokes a device of `actor`'s workspace by its id, as [`policy::may_revoke`] allows,
    /// marks the key for rotation (the device held it) and appends the roster events.
    /// [`StorageError::NotFound`] if the workspace has no such device. Returns the devices
    /// revoked by this call: none if it was revoked already (then only the events are
    /// appended).
    fn revoke_device(
        &self,
        actor: DeviceAuth,
        device: Id,
        roster: Vec<RosterEntry>,
        now: i64,
    ) -> BoxFuture<'_, StorageResult<Vec<Id>>>;

    /// Removes a member and revokes all its devices, and rotates the workspace key with
    /// `rotation`, all in one transaction, as [`policy::may_remove`] and
    /// [`policy::check_rotation`] allow (the rotation is checked against the devices that
    /// remain after the removal), and appends the roster events. [`StorageError::NotFound`] for
    /// an unknown member. Returns the devices revoked. (`rotation.roster` is not read: the
    /// events come decoded in `roster`.)
    fn remove_member(
        &self,
        actor: DeviceAuth,
        member: Id,
        rotation: KeyRotation,
        roster: Vec<RosterEntry>,
        now: i64,
    ) -> BoxFuture<'_, StorageResult<Vec<Id>>>;

    /// `actor`'s member leaves: it is marked removed, its devices revoked, the key marked for
    /// rotation, and the roster events appended. [`Refusal::OwnerMustTransfer`] for the owner.
    /// Returns the devices revoked.
    fn leave(
        &self,
        actor: DeviceAuth,
        roster: Vec<RosterEntry>,
        now: i64,
    ) -> BoxFuture<'_, StorageResult<Vec<Id>>>;

    /// Stores the next key epoch sealed to every remaining device, bumps the key epoch, clears
    /// the rotation mark and appends the roster events, as [`policy::may_rotate`] and
    /// [`policy::check_rotation`] allow. (`rotation.roster` is not read.)
    fn rotate_key(
        &self,
        actor: DeviceAuth,
        rotation: KeyRotation,
        roster: Vec<RosterEntry>,
    ) -> BoxFuture<'_, StorageResult<()>>;

    /// Stores keys sealed to `device` of `actor`'s workspace, as any active device may
    /// ([`policy::check_grant`]): each epoch at most the workspace's current one
    /// ([`Refusal::EpochAhead`]), and an epoch already held for that device is kept, not
    /// replaced. [`StorageError::NotFound`] if the workspace has no such device;
    /// [`Refusal::DeviceRevoked`] if it was revoked or its member removed. Returns how many
    /// keys were stored.
    fn grant_keys(
        &self,
        actor: DeviceAuth,
        device: Id,
        keys: Vec<KeyEnvelope>,
    ) -> BoxFuture<'_, StorageResult<u64>>;

    /// Cancels an invite of `actor`'s workspace by its id, as [`policy::may_cancel_invite`]
    /// allows (the owner, an admin, or the member who issued it), and appends the roster
    /// events; a cancelled invite is [`StorageError::Gone`] to a redemption.
    /// [`StorageError::NotFound`] for an unknown invite; [`Refusal::InviteUsed`] if it was
    /// redeemed. Cancelling it again changes nothing but the roster.
    fn cancel_invite(
        &self,
        actor: DeviceAuth,
        invite: Id,
        roster: Vec<RosterEntry>,
        now: i64,
    ) -> BoxFuture<'_, StorageResult<()>>;

    /// The keys sealed to a device with an epoch greater than `after` (`None`: every key, a
    /// granted epoch 0 included), oldest first.
    fn sealed_keys(
        &self,
        workspace: Id,
        device: Id,
        after: Option<u32>,
    ) -> BoxFuture<'_, StorageResult<Vec<KeyEnvelope>>>;

    /// Makes `to` the owner and `actor`'s member an admin, as [`policy::may_transfer`]
    /// allows, and appends the roster events. [`StorageError::NotFound`] for an unknown member.
    fn transfer_ownership(
        &self,
        actor: DeviceAuth,
        to: Id,
        roster: Vec<RosterEntry>,
    ) -> BoxFuture<'_, StorageResult<()>>;

    /// Starts a checkpoint of `actor`'s workspace at `new.seq`, with no documents yet.
    /// [`CheckpointRefusal::AheadOfLog`] if the seq is past the head;
    /// [`CheckpointRefusal::Superseded`] if a complete checkpoint covers a later seq;
    /// [`Refusal::CallerRevoked`] if the caller was revoked meanwhile.
    fn begin_checkpoint(
        &self,
        actor: DeviceAuth,
        new: NewCheckpoint,
    ) -> BoxFuture<'_, StorageResult<CheckpointInfo>>;

    /// Stores (or replaces) documents' snapshots in an incomplete checkpoint.
    /// [`StorageError::NotFound`] for an unknown checkpoint;
    /// [`CheckpointRefusal::AlreadyComplete`] if it is complete.
    fn put_checkpoint_docs(
        &self,
        workspace: Id,
        checkpoint: Id,
        docs: Vec<DocSnapshot>,
    ) -> BoxFuture<'_, StorageResult<()>>;

    /// Completes a checkpoint holding exactly `docs` documents and compacts: the checkpoint
    /// becomes the newest complete one, every other checkpoint that is complete, was started
    /// before it, or covers no later seq is deleted; the log entries up to its seq not
    /// compacted yet are marked compacted at `now` and leave the quota counters, but stay in
    /// the log (and are pulled) for the grace period; then the workspace's entries whose
    /// grace period is over are deleted and the log floor raised past them, as
    /// [`Storage::purge_compacted`] does. The head never moves back.
    /// [`StorageError::NotFound`] for an unknown checkpoint; [`CheckpointRefusal::DocCount`],
    /// [`CheckpointRefusal::AlreadyComplete`] or [`CheckpointRefusal::Superseded`] otherwise,
    /// and then nothing changes.
    fn complete_checkpoint(
        &self,
        actor: DeviceAuth,
        checkpoint: Id,
        docs: u64,
        now: i64,
    ) -> BoxFuture<'_, StorageResult<Compaction>>;

    /// Deletes, in every workspace, the compacted log entries whose grace period is over at
    /// `now` ([`policy::purge_cutoff`], [`policy::purge_through`]: a run of the oldest seqs,
    /// so the log stays whole from its floor to its head) and raises each log floor past them.
    /// One transaction per workspace; the quota counters do not change (compacted entries left
    /// them at completion).
    fn purge_compacted(&self, now: i64) -> BoxFuture<'_, StorageResult<Purge>>;

    /// The newest complete checkpoint of a workspace with its document count and bytes, if
    /// there is one.
    fn latest_checkpoint(
        &self,
        workspace: Id,
    ) -> BoxFuture<'_, StorageResult<Option<CheckpointInfo>>>;

    /// Reads a complete checkpoint's snapshots in doc id order, from one consistent snapshot;
    /// `more` says whether documents remain after the last one returned.
    /// [`StorageError::NotFound`] for an unknown or incomplete checkpoint.
    fn checkpoint_docs(
        &self,
        workspace: Id,
        checkpoint: Id,
        query: DocsQuery,
    ) -> BoxFuture<'_, StorageResult<DocBatch>>;

    /// For a backend shared by several relay processes: takes one request from `caller`'s
    /// token bucket (`caller` is a hash naming a device or an address, and the quota), kept in
    /// the database so every process draws from the same bucket. `Ok(None)` if the request
    /// may go ahead, `Ok(Some(micros))` if the bucket is empty and refills enough in that
    /// many microseconds. `None` (the default) when the rate limit is kept in each process.
    fn take_request(
        &self,
        caller: [u8; 32],
        now_micros: i64,
        quota: RateQuota,
    ) -> Option<BoxFuture<'_, StorageResult<Option<u64>>>> {
        let _ = (caller, now_micros, quota);
        None
    }

    /// For a backend shared by several relay processes: a task to spawn once per process that
    /// feeds the heads and device revocations committed by any process into `notifier`, until
    /// the notifier is dropped. `None` (the default) when this process makes every change
    /// itself, and the routes' own announcements suffice.
    fn follow(&self, notifier: Weak<Notifier>) -> Option<BoxFuture<'static, ()>> {
        let _ = notifier;
        None
    }
}
