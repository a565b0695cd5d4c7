//! The relay's persistent state behind one trait, so the embedded SQLite backend and a future
//! PostgreSQL backend can serve the same routes and pass the same tests.
//!
//! The trait speaks in the relay's own terms (workspaces, members, devices, invites, the log),
//! never in SQL. Every method is one transaction: either all of it happened or none of it did.
//! Methods return boxed futures so the trait stays object-safe (`Arc<dyn Storage>`) and a
//! natively async backend needs no blocking thread; the SQLite backend runs its work on
//! tokio's blocking pool.
//!
//! Secrets never reach storage: tokens and invite secrets arrive as [`SecretHash`]es.

pub mod sqlite;

use futures_util::future::BoxFuture;
use trellis_protocol::api::Role;
use trellis_protocol::batch::{PullBatch, PushEntry};
use trellis_protocol::Id;

pub use crate::auth::SecretHash;

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
    /// The database was written by a newer relay whose schema this one does not know.
    #[error("the database has schema version {found}; this relay knows up to {known}")]
    NewerSchema {
        /// The version found in the database.
        found: i64,
        /// The newest version this relay can read.
        known: i64,
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
    /// Hash of that device's bearer token.
    pub token_hash: SecretHash,
    /// Seconds since the Unix epoch.
    pub now: i64,
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
    /// Hash of the bearer token the new device will use.
    pub token_hash: SecretHash,
    /// Seconds since the Unix epoch.
    pub now: i64,
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

/// The relay's persistent state: workspaces, members, devices, invites and each workspace's log.
///
/// Each method is one transaction. Implementations must be safe to call concurrently.
pub trait Storage: Send + Sync + 'static {
    /// Creates a workspace with its owner and the owner's first device.
    /// [`StorageError::Conflict`] if the workspace id is taken.
    fn create_workspace(&self, new: NewWorkspace) -> BoxFuture<'_, StorageResult<()>>;

    /// Finds the unrevoked device holding a token, with its member's current role.
    fn device_by_token(
        &self,
        token: SecretHash,
    ) -> BoxFuture<'_, StorageResult<Option<DeviceAuth>>>;

    /// Stores an invite.
    fn create_invite(&self, invite: NewInvite) -> BoxFuture<'_, StorageResult<()>>;

    /// Redeems an invite atomically: marks it used and registers the device (and, for a member
    /// invite, the new member). [`StorageError::NotFound`] for an unknown secret or another
    /// workspace, [`StorageError::Gone`] if used or expired, [`StorageError::Conflict`] if the
    /// proposed member id already exists. On any error nothing changes.
    fn redeem_invite(&self, redemption: Redemption) -> BoxFuture<'_, StorageResult<Redeemed>>;

    /// Appends entries to a workspace's log in one transaction, each at most once per
    /// `(doc_id, change_hash)`, with consecutive seqs. [`StorageError::NotFound`] if the
    /// workspace does not exist.
    fn push(
        &self,
        workspace: Id,
        entries: Vec<PushEntry>,
    ) -> BoxFuture<'_, StorageResult<PushOutcome>>;

    /// Reads log entries after a seq, in order, from one consistent snapshot.
    fn pull(&self, workspace: Id, query: PullQuery) -> BoxFuture<'_, StorageResult<PullBatch>>;

    /// The newest seq of a workspace's log (0 when empty or unknown).
    fn head(&self, workspace: Id) -> BoxFuture<'_, StorageResult<u64>>;
}
