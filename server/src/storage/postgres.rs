//! The PostgreSQL backend: one database shared by any number of relay processes.
//!
//! Chosen with `--database postgres://...` (or `TRELLIS_RELAY_DATABASE`); SQLite stays the
//! default. Why it is shaped this way:
//!
//! * **A pool per process** (deadpool-postgres over tokio-postgres, no TLS: the database is
//!   reached on loopback or a private network; put a TLS-terminating proxy in between
//!   otherwise). Every [`Storage`] call is one transaction on one pooled connection.
//! * **Writes to a workspace are serialized by a row lock on it**: every write transaction
//!   first takes `SELECT ... FOR UPDATE` on the workspace's row, so two pushes to one workspace
//!   through two processes queue there. The push then looks its entries up by change hash
//!   (a retry keeps its seq), assigns the next seqs from `workspaces.head`, inserts them and
//!   moves the head, all before the lock is released at commit: seqs stay gap-free and in
//!   commit order across processes. Membership changes take the same lock, so the rules in
//!   [`super::policy`] are checked against the state they change, as with SQLite's single
//!   writer; different workspaces never wait for each other.
//! * **Reads** (pull, members, checkpoint pages) run in one `REPEATABLE READ READ ONLY`
//!   transaction, so each answer comes from one snapshot.
//! * **Live notifications cross processes** through LISTEN/NOTIFY: a push that stored
//!   something sends `pg_notify('trellis_heads', '<ws> <head>')` and a revocation
//!   `pg_notify('trellis_revocations', '<ws> <device>,...')` inside its transaction, so they are
//!   delivered exactly when (and only if) it commits. Each process follows them on a dedicated
//!   connection (`listen`) and feeds its [`crate::notify::Notifier`].
//! * **Rate limits are shared** (`rate_limits`): [`Storage::take_request`] keeps each
//!   caller's token bucket in the UNLOGGED table `rate_buckets`, one upsert a request, so a
//!   device cannot get N times its allowance by spreading requests over N processes.
//! * **Versioned schema** (`schema`): migrated at start in one transaction under an advisory
//!   lock; a database from a newer relay is refused.
//!
//! The work is split by area, one file each, matching the SQLite backend's files of the same
//! names: `workspaces`, `members`, `invites`, `keys`, `roster`, `log` (push, pull, head),
//! `checkpoints`, `schema`; and two of PostgreSQL's own: `listen` and `rate_limits`.
//! This file holds the pool, the transactions every call runs in, the query helpers, the
//! workspace row lock and the notifications sent on commit, and dispatches each [`Storage`]
//! call to its area.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Weak};

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use futures_util::future::BoxFuture;
use tokio_postgres::types::ToSql;
use tokio_postgres::{IsolationLevel, NoTls, Row};
use trellis_protocol::api::{KeyEnvelope, KeyRotation, MembersResponse};
use trellis_protocol::batch::{PullBatch, PushEntry};
use trellis_protocol::snapshot::{CheckpointInfo, DocBatch, DocSnapshot};
use trellis_protocol::Id;

mod checkpoints;
mod invites;
mod keys;
mod listen;
mod log;
mod members;
mod rate_limits;
mod roster;
mod schema;
mod workspaces;

pub use schema::{FORMAT_VERSION, MIGRATIONS};

use super::{
    policy, Compaction, DeviceAuth, DocsQuery, GraceCell, LogQuota, LogSize, NewCheckpoint,
    NewInvite, NewWorkspace, PullQuery, Purge, PushOutcome, QuotaCell, RateQuota, Redeemed,
    Redemption, RosterEntry, RosterPage, SecretHash, Storage, StorageError, StorageResult,
    SyncState, TokenLookup, WorkspaceSummary,
};
use crate::notify::Notifier;

/// The channel that carries `"<workspace hex> <head>"` after a push stored something.
pub const HEADS_CHANNEL: &str = "trellis_heads";

/// The channel that carries `"<workspace hex> <device hex>,<device hex>..."` after devices were
/// revoked.
pub const REVOCATIONS_CHANNEL: &str = "trellis_revocations";

/// Connections a relay process keeps in its pool by default.
pub const DEFAULT_POOL_SIZE: usize = 16;

/// Devices named in one revocation notification (a payload stays far below PostgreSQL's 8000
/// bytes).
const DEVICES_PER_NOTIFICATION: usize = 100;

/// After this many rate-limited requests, buckets that are full again are deleted.
pub(super) const SWEEP_RATE_BUCKETS_EVERY: u64 = 1000;

/// The pooled transaction every call runs in.
pub(super) type Tx<'a> = deadpool_postgres::Transaction<'a>;

/// The PostgreSQL implementation of [`Storage`]. Cheap to clone; clones share the pool.
#[derive(Clone)]
pub struct PgStorage {
    inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) pool: Pool,
    config: tokio_postgres::Config,
    pub(super) counted: AtomicU64,
    /// The log's identity, read when the relay connected (`admin restored` changes it while
    /// no relay runs).
    log_id: String,
    /// How large each workspace's log may grow.
    quota: QuotaCell,
    /// How long compacted entries are kept.
    grace: GraceCell,
}

impl From<tokio_postgres::Error> for StorageError {
    fn from(e: tokio_postgres::Error) -> Self {
        StorageError::Backend(Box::new(e))
    }
}

impl From<deadpool_postgres::PoolError> for StorageError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        StorageError::Backend(Box::new(e))
    }
}

/// Whether `url` names a PostgreSQL database (`postgres://` or `postgresql://`).
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

impl PgStorage {
    /// Connects to the database at `url` (`postgres://user:password@host:port/dbname`) with a
    /// pool of at most `pool_size` connections, and brings its schema up to date (waiting for
    /// another process that is migrating it). The URL is never logged.
    pub async fn connect(url: &str, pool_size: usize) -> StorageResult<PgStorage> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e: tokio_postgres::Error| StorageError::Backend(Box::new(e)))?;
        if config.get_application_name().is_none() {
            config.application_name("trellis-relay");
        }
        let (mut client, connection) = config.connect(NoTls).await?;
        let driver = tokio::spawn(connection);
        let migrated = match schema::migrate(&mut client).await {
            Ok(()) => schema::log_id(&client).await,
            Err(e) => Err(e),
        };
        drop(client);
        let _ = driver.await;
        let log_id = migrated?;
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(1))
            .build()
            .map_err(|e| StorageError::Backend(Box::new(e)))?;
        Ok(PgStorage {
            inner: Arc::new(Inner {
                pool,
                config,
                counted: AtomicU64::new(0),
                log_id,
                quota: QuotaCell::default(),
                grace: GraceCell::default(),
            }),
        })
    }

    /// Gives the log of the database a new identity, after a backup was restored into it
    /// (`trellis-relay admin restored`, run while no relay uses it); returns it.
    pub async fn restored(&self) -> StorageResult<String> {
        let client = self.inner.pool.get().await?;
        schema::new_log_id(&client).await
    }

    /// The schema version of the database (the number of applied [`MIGRATIONS`]).
    pub async fn schema_version(&self) -> StorageResult<i64> {
        let client = self.inner.pool.get().await?;
        schema::version(&client).await
    }

    /// Every workspace with its log size, members and devices, oldest first, from one
    /// snapshot (`trellis-relay admin workspaces`).
    pub async fn workspaces(&self) -> StorageResult<Vec<WorkspaceSummary>> {
        self.read(|tx| Box::pin(workspaces::workspace_summaries(tx)))
            .await
    }

    /// Workspaces, log entries and log bytes across the whole database (the `/metrics` log
    /// gauges).
    pub async fn log_size(&self) -> StorageResult<LogSize> {
        self.read(|tx| Box::pin(workspaces::log_size(tx))).await
    }

    /// Runs `f` in a read-write transaction, committing when it succeeds.
    fn write<'s, T, F>(&'s self, f: F) -> BoxFuture<'s, StorageResult<T>>
    where
        T: Send + 's,
        F: for<'t> FnOnce(&'t Tx<'t>) -> BoxFuture<'t, StorageResult<T>> + Send + 's,
    {
        Box::pin(async move {
            let mut client = self.inner.pool.get().await?;
            let tx = client.transaction().await?;
            let out = f(&tx).await?;
            tx.commit().await?;
            Ok(out)
        })
    }

    /// Runs `f` in a read-only transaction over one snapshot.
    fn read<'s, T, F>(&'s self, f: F) -> BoxFuture<'s, StorageResult<T>>
    where
        T: Send + 's,
        F: for<'t> FnOnce(&'t Tx<'t>) -> BoxFuture<'t, StorageResult<T>> + Send + 's,
    {
        Box::pin(async move {
            let mut client = self.inner.pool.get().await?;
            let tx = client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await?;
            let out = f(&tx).await?;
            tx.commit().await?;
            Ok(out)
        })
    }
}

pub(super) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// At most one row.
pub(super) async fn opt(tx: &Tx<'_>, sql: &str, params: Params<'_>) -> StorageResult<Option<Row>> {
    let stmt = tx.prepare_cached(sql).await?;
    Ok(tx.query_opt(&stmt, params).await?)
}

/// Exactly one row.
pub(super) async fn one(tx: &Tx<'_>, sql: &str, params: Params<'_>) -> StorageResult<Row> {
    let stmt = tx.prepare_cached(sql).await?;
    Ok(tx.query_one(&stmt, params).await?)
}

/// Every row.
pub(super) async fn all(tx: &Tx<'_>, sql: &str, params: Params<'_>) -> StorageResult<Vec<Row>> {
    let stmt = tx.prepare_cached(sql).await?;
    Ok(tx.query(&stmt, params).await?)
}

/// Rows changed.
pub(super) async fn exec(tx: &Tx<'_>, sql: &str, params: Params<'_>) -> StorageResult<u64> {
    let stmt = tx.prepare_cached(sql).await?;
    Ok(tx.execute(&stmt, params).await?)
}

pub(super) fn b(id: &Id) -> &[u8] {
    id.as_bytes().as_slice()
}

/// Locks a workspace's row for the rest of the transaction and returns its head;
/// [`StorageError::NotFound`] if there is no such workspace.
pub(super) async fn lock_workspace(tx: &Tx<'_>, workspace: &Id) -> StorageResult<i64> {
    let row = opt(
        tx,
        "SELECT head FROM workspaces WHERE id = $1 FOR UPDATE",
        &[&b(workspace)],
    )
    .await?
    .ok_or(StorageError::NotFound)?;
    Ok(row.try_get(0)?)
}

/// Sends a notification that is delivered when the transaction commits.
pub(super) async fn notify(tx: &Tx<'_>, channel: &str, payload: &str) -> StorageResult<()> {
    one(tx, "SELECT pg_notify($1, $2)", &[&channel, &payload]).await?;
    Ok(())
}

/// Tells every relay process that these devices were revoked (on commit).
pub(super) async fn notify_revoked(
    tx: &Tx<'_>,
    workspace: &Id,
    devices: &[Id],
) -> StorageResult<()> {
    for chunk in devices.chunks(DEVICES_PER_NOTIFICATION) {
        let list: Vec<String> = chunk.iter().map(Id::to_hex).collect();
        let payload = format!("{} {}", workspace.to_hex(), list.join(","));
        notify(tx, REVOCATIONS_CHANNEL, &payload).await?;
    }
    Ok(())
}

impl Storage for PgStorage {
    fn log_id(&self) -> &str {
        &self.inner.log_id
    }

    fn set_log_quota(&self, quota: LogQuota) {
        self.inner.quota.set(quota);
    }

    fn set_compacted_grace(&self, seconds: u64) {
        self.inner.grace.set(seconds);
    }

    fn create_workspace(&self, new: NewWorkspace) -> BoxFuture<'_, StorageResult<()>> {
        self.write(move |tx| Box::pin(async move { workspaces::create_workspace(tx, &new).await }))
    }

    fn device_by_token(
        &self,
        token: SecretHash,
    ) -> BoxFuture<'_, StorageResult<Option<TokenLookup>>> {
        Box::pin(async move {
            let client = self.inner.pool.get().await?;
            members::device_by_token(&client, &token).await
        })
    }

    fn create_invite(&self, invite: NewInvite) -> BoxFuture<'_, StorageResult<()>> {
        self.write(move |tx| Box::pin(async move { invites::create_invite(tx, &invite).await }))
    }

    fn redeem_invite(&self, redemption: Redemption) -> BoxFuture<'_, StorageResult<Redeemed>> {
        self.write(move |tx| Box::pin(async move { invites::redeem_invite(tx, &redemption).await }))
    }

    fn push(
        &self,
        workspace: Id,
        entries: Vec<PushEntry>,
        sealed_with: Option<u32>,
    ) -> BoxFuture<'_, StorageResult<PushOutcome>> {
        let quota = self.inner.quota.get();
        self.write(move |tx| {
            Box::pin(async move { log::push(tx, &workspace, &entries, sealed_with, quota).await })
        })
    }

    fn pull(&self, workspace: Id, query: PullQuery) -> BoxFuture<'_, StorageResult<PullBatch>> {
        self.read(move |tx| Box::pin(async move { log::pull(tx, &workspace, query).await }))
    }

    fn head(&self, workspace: Id) -> BoxFuture<'_, StorageResult<u64>> {
        self.read(move |tx| Box::pin(async move { log::head(tx, &workspace).await }))
    }

    fn sync_state(&self, workspace: Id) -> BoxFuture<'_, StorageResult<SyncState>> {
        self.read(move |tx| Box::pin(async move { log::sync_state(tx, &workspace).await }))
    }

    fn roster(
        &self,
        workspace: Id,
        after: u64,
        limit: usize,
    ) -> BoxFuture<'_, StorageResult<RosterPage>> {
        self.read(move |tx| {
            Box::pin(async move { roster::page(tx, &workspace, after, limit).await })
        })
    }

    fn append_roster(
        &self,
        actor: DeviceAuth,
        events: Vec<RosterEntry>,
    ) -> BoxFuture<'_, StorageResult<u64>> {
        self.write(move |tx| {
            Box::pin(async move { roster::append_roster(tx, &actor, &events).await })
        })
    }

    fn members(&self, workspace: Id) -> BoxFuture<'_, StorageResult<MembersResponse>> {
        self.read(move |tx| Box::pin(async move { members::members(tx, &workspace).await }))
    }

    fn revoke_device(
        &self,
        actor: DeviceAuth,
        device: Id,
        events: Vec<RosterEntry>,
        now: i64,
    ) -> BoxFuture<'_, StorageResult<Vec<Id>>> {
        self.write(move |tx| {
            Box::pin(async move { members::revoke_device(tx, &actor, &device, &events, now).await })
        })
    }

    fn remove_member(
        &self,
        actor: DeviceAuth,
        member: Id,
        rotation: KeyRotation,
        events: Vec<RosterEntry>,
        now: i64,
    ) -> BoxFuture<'_, StorageResult<Vec<Id>>> {
        self.write(move |tx| {
            Box::pin(async move {
                members::remove_member(tx, &actor, &member, &rotation, &events, now).await
            })
        })
    }

    fn leave(
        &self,
        actor: DeviceAuth,
        events: Vec<RosterEntry>,
        now: i64,
    ) -> BoxFuture<'_, StorageResult<Vec<Id>>> {
        self.write(move |tx| {
            Box::pin(async move { members::leave(tx, &actor, &events, now).await })
        })
    }

    fn rotate_key(
        &self,
        actor: DeviceAuth,
        rotation: KeyRotation,
        events: Vec<RosterEntry>,
    ) -> BoxFuture<'_, StorageResult<()>> {
        self.write(move |tx| {
            Box::pin(async move { keys::rotate_key(tx, &actor, &rotation, &events).await })
        })
    }

    fn grant_keys(
        &self,
        actor: DeviceAuth,
        device: Id,
        keys: Vec<KeyEnvelope>,
    ) -> BoxFuture<'_, StorageResult<u64>> {
        self.write(move |tx| {
            Box::pin(async move { keys::grant_keys(tx, &actor, &device, &keys).await })
        })
    }

    fn cancel_invite(
        &self,
        actor: DeviceAuth,
        invite: Id,
        events: Vec<RosterEntry>,
        now: i64,
    ) -> BoxFuture<'_, StorageResult<()>> {
        self.write(move |tx| {
            Box::pin(async move { invites::cancel_invite(tx, &actor, &invite, &events, now).await })
        })
    }

    fn sealed_keys(
        &self,
        workspace: Id,
        device: Id,
        after: Option<u32>,
    ) -> BoxFuture<'_, StorageResult<Vec<KeyEnvelope>>> {
        self.read(move |tx| {
            Box::pin(async move { keys::sealed_keys(tx, &workspace, &device, after).await })
        })
    }

    fn transfer_ownership(
        &self,
        actor: DeviceAuth,
        to: Id,
        events: Vec<RosterEntry>,
    ) -> BoxFuture<'_, StorageResult<()>> {
        self.write(move |tx| {
            Box::pin(async move { members::transfer_ownership(tx, &actor, &to, &events).await })
        })
    }

    fn begin_checkpoint(
        &self,
        actor: DeviceAuth,
        new: NewCheckpoint,
    ) -> BoxFuture<'_, StorageResult<CheckpointInfo>> {
        self.write(move |tx| Box::pin(async move { checkpoints::begin(tx, &actor, &new).await }))
    }

    fn put_checkpoint_docs(
        &self,
        workspace: Id,
        checkpoint: Id,
        docs: Vec<DocSnapshot>,
    ) -> BoxFuture<'_, StorageResult<()>> {
        self.write(move |tx| {
            Box::pin(async move { checkpoints::put_docs(tx, &workspace, &checkpoint, &docs).await })
        })
    }

    fn complete_checkpoint(
        &self,
        actor: DeviceAuth,
        checkpoint: Id,
        docs: u64,
        now: i64,
    ) -> BoxFuture<'_, StorageResult<Compaction>> {
        let grace = self.inner.grace.get();
        self.write(move |tx| {
            Box::pin(async move {
                checkpoints::complete(tx, &actor, &checkpoint, docs, (now, grace)).await
            })
        })
    }

    fn purge_compacted(&self, now: i64) -> BoxFuture<'_, StorageResult<Purge>> {
        let cutoff = policy::purge_cutoff(now, self.inner.grace.get());
        Box::pin(async move {
            let due = self
                .read(move |tx| Box::pin(checkpoints::due_workspaces(tx, cutoff)))
                .await?;
            let mut purge = Purge::default();
            // One transaction per workspace, under its row lock like every write to it.
            for workspace in due {
                let deleted = self
                    .write(move |tx| {
                        Box::pin(async move { checkpoints::purge(tx, &workspace, cutoff).await })
                    })
                    .await?;
                if deleted > 0 {
                    purge.workspaces += 1;
                    purge.entries_deleted += deleted;
                }
            }
            Ok(purge)
        })
    }

    fn latest_checkpoint(
        &self,
        workspace: Id,
    ) -> BoxFuture<'_, StorageResult<Option<CheckpointInfo>>> {
        self.read(move |tx| Box::pin(async move { checkpoints::latest(tx, &workspace).await }))
    }

    fn checkpoint_docs(
        &self,
        workspace: Id,
        checkpoint: Id,
        query: DocsQuery,
    ) -> BoxFuture<'_, StorageResult<DocBatch>> {
        self.read(move |tx| {
            Box::pin(async move { checkpoints::docs(tx, &workspace, &checkpoint, query).await })
        })
    }

    fn take_request(
        &self,
        caller: [u8; 32],
        now_micros: i64,
        quota: RateQuota,
    ) -> Option<BoxFuture<'_, StorageResult<Option<u64>>>> {
        Some(Box::pin(rate_limits::take_request(
            &self.inner,
            caller,
            now_micros,
            quota,
        )))
    }

    fn follow(&self, notifier: Weak<Notifier>) -> Option<BoxFuture<'static, ()>> {
        let pool = self.inner.pool.clone();
        let mut config = self.inner.config.clone();
        config.application_name("trellis-relay-listener");
        Some(Box::pin(listen::follow(pool, config, notifier)))
    }
}
