//! The embedded SQLite backend: one file, `relay.sqlite3` in the data directory.
//!
//! Why it is shaped this way:
//!
//! * **One writer connection** behind a mutex, with `synchronous=FULL`: every write transaction
//!   is serialized in this process, so seq assignment and single-use invites need no retry
//!   loops, and a push is on disk (WAL fsynced) before its answer leaves. Write transactions are
//!   `BEGIN IMMEDIATE` so a second process on the same file would wait rather than fail midway.
//! * **Group commit for pushes** (`group`): pushes queue for one writer thread, which runs every
//!   push waiting in one transaction (each in its own savepoint) and answers them after its one
//!   commit, so many one-change pushes share one fsync. Seqs stay gap-free and each answer still
//!   leaves only after the commit that made it durable.
//! * **Checkpoints off the commit path** (`wal`): a thread of its own copies the WAL back into
//!   the database file, so a group's commit appends to the WAL and fsyncs it, nothing more.
//!   The writer keeps a [`WRITER_CACHE_KIB`] page cache for the log's indexes.
//! * **Cached statements**: the per-request statements (token look-up, push, pull, head) are
//!   prepared once per connection (`prepare_cached`), not parsed on every call.
//! * **Reader connections** (a small pool, read-only) in WAL mode: pulls and token look-ups never
//!   wait for a push to commit, and each read runs in one snapshot.
//! * **Blocking calls off the async runtime**: every other call runs on tokio's blocking pool.
//! * **Versioned schema**: `PRAGMA user_version` counts the applied [`MIGRATIONS`]; opening a
//!   file applies the missing ones in order, each in its own transaction, and refuses a file from
//!   a newer relay.
//!
//! The work is split by area, one file each, matching the PostgreSQL backend's files of the
//! same names: `workspaces`, `members`, `invites`, `keys`, `roster`, `log` (push, pull, head),
//! `checkpoints`, `schema`; and two of SQLite's own: `group` and `wal`. This file opens
//! the connections and dispatches each [`Storage`] call to its area on the writer or a reader.
//!
//! Ids and hashes are stored as BLOBs, times as seconds since the Unix epoch, roles as their
//! lowercase names. `workspaces.head` holds the newest seq so seqs are never reused, even
//! after old log entries are deleted: completing a checkpoint marks the entries it covers
//! compacted (`log.compacted_at`), they are deleted once their grace period is over, and
//! `workspaces.log_floor` is raised to the lowest seq still stored (0: nothing ever deleted).
//! A pull from below the floor is [`StorageError::Compacted`].
//!
//! The log is unique on `(workspace_id, doc_id, change_hash)` only among the entries still
//! stored: a change whose entry was deleted and that a device pushes again (one that was
//! offline since before the checkpoint) is stored again at a new seq. That is harmless:
//! applying a change twice is a no-op for clients, and the checkpoint already holds it. While
//! the compacted entry is kept, the push is answered with its old seq, as for any retry.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures_util::future::BoxFuture;
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};
use trellis_protocol::api::{KeyEnvelope, KeyRotation, MembersResponse};
use trellis_protocol::batch::{PullBatch, PushEntry};
use trellis_protocol::snapshot::{CheckpointInfo, DocBatch, DocSnapshot};
use trellis_protocol::Id;

mod checkpoints;
mod group;
mod invites;
mod keys;
mod log;
mod members;
mod roster;
mod schema;
mod wal;
mod workspaces;

use group::PushQueue;
use wal::{Checkpointer, WRITER_AUTOCHECKPOINT_PAGES};

use schema::migrate;
pub use schema::{FORMAT_VERSION, MIGRATIONS};
pub use workspaces::{log_size, workspace_summaries};

use super::{
    policy, Compaction, DeviceAuth, DocsQuery, GraceCell, LogQuota, NewCheckpoint, NewInvite,
    NewWorkspace, PullQuery, Purge, PushOutcome, QuotaCell, Redeemed, Redemption, RosterEntry,
    RosterPage, SecretHash, Storage, StorageError, StorageResult, SyncState, TokenLookup,
};

/// Most idle reader connections kept open.
const MAX_IDLE_READERS: usize = 4;

/// Page cache of the writer connection, in KiB (SQLite's default is 2,000). A push looks up
/// and inserts each change in two indexes keyed by random hashes; a larger cache keeps their
/// pages in memory instead of reading them back on every group. It is a fixed bound: relay
/// memory grows by at most this much with the size of the log.
const WRITER_CACHE_KIB: i64 = 16 * 1024;

/// How long a connection waits for a lock held by another process before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The SQLite implementation of [`Storage`]. Cheap to clone; clones share the connections.
#[derive(Clone)]
pub struct SqliteStorage {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    /// The log's identity, read when the file was opened (`admin restored` changes it while
    /// no relay runs).
    log_id: String,
    /// How large each workspace's log may grow.
    quota: QuotaCell,
    /// How long compacted entries are kept.
    grace: GraceCell,
    /// Shared with the push writer thread of [`group`].
    writer: Arc<Mutex<Connection>>,
    readers: Mutex<Vec<Connection>>,
    /// Pushes wait here for the next group commit.
    pushes: PushQueue,
}

impl From<rusqlite::Error> for StorageError {
    fn from(e: rusqlite::Error) -> Self {
        StorageError::Backend(Box::new(e))
    }
}

impl SqliteStorage {
    /// Opens (or creates) the database file, switches it to WAL and brings its schema up to
    /// date. Blocking: call it before serving, or from a blocking task.
    pub fn open(path: impl AsRef<Path>) -> StorageResult<SqliteStorage> {
        let path = path.as_ref().to_path_buf();
        let mut writer = Connection::open(&path)?;
        configure(&writer)?;
        let mode: String = writer.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StorageError::Backend(
                format!("the database cannot use WAL (journal mode {mode})").into(),
            ));
        }
        writer.pragma_update(None, "synchronous", "FULL")?;
        writer.pragma_update(None, "foreign_keys", true)?;
        writer.pragma_update(None, "wal_autocheckpoint", WRITER_AUTOCHECKPOINT_PAGES)?;
        writer.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
        migrate(&mut writer)?;
        let log_id = schema::log_id(&writer)?;
        let checkpointer = Checkpointer::start(&path)?;
        let writer = Arc::new(Mutex::new(writer));
        let pushes = PushQueue::start(Arc::clone(&writer), checkpointer)
            .map_err(|e| StorageError::Backend(Box::new(e)))?;
        Ok(SqliteStorage {
            inner: Arc::new(Inner {
                path,
                log_id,
                quota: QuotaCell::default(),
                grace: GraceCell::default(),
                writer,
                readers: Mutex::new(Vec::new()),
                pushes,
            }),
        })
    }

    /// The database file's path.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Gives the log of the database at `path` a new identity, after a backup was put back
    /// (`trellis-relay admin restored`, run while no relay uses the file); returns it.
    pub fn restored(path: impl AsRef<Path>) -> StorageResult<String> {
        let mut conn = Connection::open(path)?;
        configure(&conn)?;
        migrate(&mut conn)?;
        schema::new_log_id(&conn)
    }

    /// Runs `f` on the writer connection on the blocking pool.
    fn write<T, F>(&self, f: F) -> BoxFuture<'static, StorageResult<T>>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StorageResult<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || f(&mut lock(&inner.writer)))
                .await
                .map_err(|e| StorageError::Backend(Box::new(e)))?
        })
    }

    /// Runs `f` on a reader connection on the blocking pool.
    fn read<T, F>(&self, f: F) -> BoxFuture<'static, StorageResult<T>>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StorageResult<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let pooled = lock(&inner.readers).pop();
                let mut conn = match pooled {
                    Some(conn) => conn,
                    None => open_reader(&inner.path)?,
                };
                let result = f(&mut conn);
                let mut idle = lock(&inner.readers);
                if idle.len() < MAX_IDLE_READERS {
                    idle.push(conn);
                }
                result
            })
            .await
            .map_err(|e| StorageError::Backend(Box::new(e)))?
        })
    }
}

/// Locks a mutex even if a panicking thread poisoned it: a connection's open transaction was
/// rolled back when that thread's `Transaction` dropped, so the connection is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn open_reader(path: &Path) -> StorageResult<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&conn)?;
    Ok(conn)
}

/// What every connection of the relay sets: the busy timeout, and the query planner's
/// stability guarantee. Without it, a cached statement whose plan looked at a bound value
/// (the pull's `LIMIT ?`, the device lookup's join) is re-parsed on every use, because rusqlite
/// clears its bindings when it goes back to the cache: that was every authenticated request.
fn configure(conn: &Connection) -> StorageResult<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(())
}

impl Storage for SqliteStorage {
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
        self.write(move |conn| workspaces::create_workspace(conn, &new))
    }

    fn device_by_token(
        &self,
        token: SecretHash,
    ) -> BoxFuture<'_, StorageResult<Option<TokenLookup>>> {
        self.read(move |conn| members::device_by_token(conn, &token))
    }

    fn create_invite(&self, invite: NewInvite) -> BoxFuture<'_, StorageResult<()>> {
        self.write(move |conn| invites::create_invite(conn, &invite))
    }

    fn redeem_invite(&self, redemption: Redemption) -> BoxFuture<'_, StorageResult<Redeemed>> {
        self.write(move |conn| invites::redeem_invite(conn, &redemption))
    }

    fn push(
        &self,
        workspace: Id,
        entries: Vec<PushEntry>,
        sealed_with: Option<u32>,
    ) -> BoxFuture<'_, StorageResult<PushOutcome>> {
        Box::pin(
            self.inner
                .pushes
                .push(workspace, entries, sealed_with, self.inner.quota.get()),
        )
    }

    fn pull(&self, workspace: Id, query: PullQuery) -> BoxFuture<'_, StorageResult<PullBatch>> {
        self.read(move |conn| log::pull(conn, &workspace, query))
    }

    fn head(&self, workspace: Id) -> BoxFuture<'_, StorageResult<u64>> {
        self.read(move |conn| log::head(conn, &workspace))
    }

    fn sync_state(&self, workspace: Id) -> BoxFuture<'_, StorageResult<SyncState>> {
        self.read(move |conn| log::sync_state(conn, &workspace))
    }

    fn roster(
        &self,
        workspace: Id,
        after: u64,
        limit: usize,
    ) -> BoxFuture<'_, StorageResult<RosterPage>> {
        self.read(move |conn| roster::page(conn, &workspace, after, limit))
    }

    fn append_roster(
        &self,
        actor: DeviceAuth,
        events: Vec<RosterEntry>,
    ) -> BoxFuture<'_, StorageResult<u64>> {
        self.write(move |conn| roster::append_roster(conn, &actor, &events))
    }

    fn members(&self, workspace: Id) -> BoxFuture<'_, StorageResult<MembersResponse>> {
        self.read(move |conn| members::members(conn, &workspace))
    }

    fn revoke_device(
        &self,
        actor: DeviceAuth,
        device: Id,
        events: Vec<RosterEntry>,
        now: i64,
    ) -> BoxFuture<'_, StorageResult<Vec<Id>>> {
        self.write(move |conn| members::revoke_device(conn, &actor, &device, &events, now))
    }

    fn remove_member(
        &self,
        actor: DeviceAuth,
        member: Id,
        rotation: KeyRotation,
        events: Vec<RosterEntry>,
        now: i64,
    ) -> BoxFuture<'_, StorageResult<Vec<Id>>> {
        self.write(move |conn| {
            members::remove_member(conn, &actor, &member, &rotation, &events, now)
        })
    }

    fn leave(
        &self,
        actor: DeviceAuth,
        events: Vec<RosterEntry>,
        now: i64,
    ) -> BoxFuture<'_, StorageResult<Vec<Id>>> {
        self.write(move |conn| members::leave(conn, &actor, &events, now))
    }

    fn rotate_key(
        &self,
        actor: DeviceAuth,
        rotation: KeyRotation,
        events: Vec<RosterEntry>,
    ) -> BoxFuture<'_, StorageResult<()>> {
        self.write(move |conn| keys::rotate_key(conn, &actor, &rotation, &events))
    }

    fn grant_keys(
        &self,
        actor: DeviceAuth,
        device: Id,
        keys: Vec<KeyEnvelope>,
    ) -> BoxFuture<'_, StorageResult<u64>> {
        self.write(move |conn| keys::grant_keys(conn, &actor, &device, &keys))
    }

    fn cancel_invite(
        &self,
        actor: DeviceAuth,
        invite: Id,
        events: Vec<RosterEntry>,
        now: i64,
    ) -> BoxFuture<'_, StorageResult<()>> {
        self.write(move |conn| invites::cancel_invite(conn, &actor, &invite, &events, now))
    }

    fn sealed_keys(
        &self,
        workspace: Id,
        device: Id,
        after: Option<u32>,
    ) -> BoxFuture<'_, StorageResult<Vec<KeyEnvelope>>> {
        self.read(move |conn| keys::sealed_keys(conn, &workspace, &device, after))
    }

    fn transfer_ownership(
        &self,
        actor: DeviceAuth,
        to: Id,
        events: Vec<RosterEntry>,
    ) -> BoxFuture<'_, StorageResult<()>> {
        self.write(move |conn| members::transfer_ownership(conn, &actor, &to, &events))
    }

    fn begin_checkpoint(
        &self,
        actor: DeviceAuth,
        new: NewCheckpoint,
    ) -> BoxFuture<'_, StorageResult<CheckpointInfo>> {
        self.write(move |conn| checkpoints::begin(conn, &actor, &new))
    }

    fn put_checkpoint_docs(
        &self,
        workspace: Id,
        checkpoint: Id,
        docs: Vec<DocSnapshot>,
    ) -> BoxFuture<'_, StorageResult<()>> {
        self.write(move |conn| checkpoints::put_docs(conn, &workspace, &checkpoint, &docs))
    }

    fn complete_checkpoint(
        &self,
        actor: DeviceAuth,
        checkpoint: Id,
        docs: u64,
        now: i64,
    ) -> BoxFuture<'_, StorageResult<Compaction>> {
        let grace = self.inner.grace.get();
        self.write(move |conn| checkpoints::complete(conn, &actor, &checkpoint, docs, (now, grace)))
    }

    fn purge_compacted(&self, now: i64) -> BoxFuture<'_, StorageResult<Purge>> {
        let cutoff = policy::purge_cutoff(now, self.inner.grace.get());
        Box::pin(async move {
            let due = self
                .read(move |conn| checkpoints::due_workspaces(conn, cutoff))
                .await?;
            let mut purge = Purge::default();
            // One transaction per workspace, so pushes wait for one workspace's purge at most.
            for workspace in due {
                let deleted = self
                    .write(move |conn| checkpoints::purge(conn, &workspace, cutoff))
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
        self.read(move |conn| checkpoints::latest(conn, &workspace))
    }

    fn checkpoint_docs(
        &self,
        workspace: Id,
        checkpoint: Id,
        query: DocsQuery,
    ) -> BoxFuture<'_, StorageResult<DocBatch>> {
        self.read(move |conn| checkpoints::docs(conn, &workspace, &checkpoint, query))
    }
}

/// A workspace with one owner device holding `token`, for the areas' tests.
#[cfg(test)]
fn test_workspace(token: &str) -> NewWorkspace {
    NewWorkspace {
        workspace_id: Id::random(),
        member_id: Id::random(),
        device_id: Id::random(),
        device_key: super::DeviceKey([7; 32]),
        token_hash: SecretHash::of(token),
        now: 1,
        roster: vec![RosterEntry {
            seq: 1,
            event: b"event 1".to_vec(),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writer_is_durable_and_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(dir.path().join("r.sqlite3")).unwrap();
        let conn = lock(&storage.inner.writer);
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        let sync: i64 = conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(sync, 2, "synchronous=FULL");
    }
}
