//! The embedded SQLite backend: one file, `relay.sqlite3` in the data directory.
//!
//! Why it is shaped this way:
//!
//! * **One writer connection** behind a mutex, with `synchronous=FULL`: every write transaction
//!   is serialized in this process, so seq assignment and single-use invites need no retry
//!   loops, and a push is on disk (WAL fsynced) before its answer leaves. Write transactions are
//!   `BEGIN IMMEDIATE` so a second process on the same file would wait rather than fail midway.
//! * **Group commit for pushes** ([`group`]): pushes queue for one writer thread, which runs every
//!   push waiting in one transaction (each in its own savepoint) and answers them after its one
//!   commit, so many one-change pushes share one fsync. Seqs stay gap-free and each answer still
//!   leaves only after the commit that made it durable.
//! * **Checkpoints off the commit path** ([`wal`]): a thread of its own copies the WAL back into
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
//! same names: [`workspaces`], [`members`], [`invites`], [`keys`], [`log`] (push, pull, head),
//! [`checkpoints`], [`schema`]; and two of SQLite's own: [`group`] and [`wal`]. This file opens
//! the connections and dispatches each [`Storage`] call to its area on the writer or a reader.
//!
//! Ids and hashes are stored as BLOBs, times as seconds since the Unix epoch, roles as their
//! lowercase names. `workspaces.head` holds the newest seq so seqs are never reused, even
//! after old log entries are compacted away: completing a checkpoint deletes the entries it
//! covers and raises `workspaces.log_floor`, the lowest seq still stored (0: nothing
//! compacted). A pull from below the floor is [`StorageError::Compacted`].
//!
//! The log is unique on `(workspace_id, doc_id, change_hash)` only among the entries still
//! stored: a change whose entry was compacted and that a device pushes again (one that was
//! offline since before the checkpoint) is stored again at a new seq. That is harmless:
//! applying a change twice is a no-op for clients, and the checkpoint already holds it.

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
mod schema;
mod wal;
mod workspaces;

use group::PushQueue;
use wal::{Checkpointer, WRITER_AUTOCHECKPOINT_PAGES};

use schema::migrate;
pub use schema::MIGRATIONS;
pub use workspaces::{log_size, workspace_summaries};

use super::{
    Compaction, DeviceAuth, DocsQuery, NewCheckpoint, NewInvite, NewWorkspace, PullQuery,
    PushOutcome, Redeemed, Redemption, SecretHash, Storage, StorageError, StorageResult,
    TokenLookup,
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
        let checkpointer = Checkpointer::start(&path)?;
        let writer = Arc::new(Mutex::new(writer));
        let pushes = PushQueue::start(Arc::clone(&writer), checkpointer)
            .map_err(|e| StorageError::Backend(Box::new(e)))?;
        Ok(SqliteStorage {
            inner: Arc::new(Inner {
                path,
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
        Box::pin(self.inner.pushes.push(workspace, entries, sealed_with))
    }

    fn pull(&self, workspace: Id, query: PullQuery) -> BoxFuture<'_, StorageResult<PullBatch>> {
        self.read(move |conn| log::pull(conn, &workspace, query))
    }

    fn head(&self, workspace: Id) -> BoxFuture<'_, StorageResult<u64>> {
        self.read(move |conn| log::head(conn, &workspace))
    }

    fn members(&self, workspace: Id) -> BoxFuture<'_, StorageResult<MembersResponse>> {
        self.read(move |conn| members::members(conn, &workspace))
    }

    fn revoke_device(
        &self,
        actor: DeviceAuth,
        device: Id,
        now: i64,
    ) -> BoxFuture<'_, StorageResult<Vec<Id>>> {
        self.write(move |conn| members::revoke_device(conn, &actor, &device, now))
    }

    fn remove_member(
        &self,
        actor: DeviceAuth,
        member: Id,
        rotation: KeyRotation,
        now: i64,
    ) -> BoxFuture<'_, StorageResult<Vec<Id>>> {
        self.write(move |conn| members::remove_member(conn, &actor, &member, &rotation, now))
    }

    fn leave(&self, actor: DeviceAuth, now: i64) -> BoxFuture<'_, StorageResult<Vec<Id>>> {
        self.write(move |conn| members::leave(conn, &actor, now))
    }

    fn rotate_key(
        &self,
        actor: DeviceAuth,
        rotation: KeyRotation,
    ) -> BoxFuture<'_, StorageResult<()>> {
        self.write(move |conn| keys::rotate_key(conn, &actor, &rotation))
    }

    fn sealed_keys(
        &self,
        workspace: Id,
        device: Id,
        after: u32,
    ) -> BoxFuture<'_, StorageResult<Vec<KeyEnvelope>>> {
        self.read(move |conn| keys::sealed_keys(conn, &workspace, &device, after))
    }

    fn transfer_ownership(&self, actor: DeviceAuth, to: Id) -> BoxFuture<'_, StorageResult<()>> {
        self.write(move |conn| members::transfer_ownership(conn, &actor, &to))
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
    ) -> BoxFuture<'_, StorageResult<Compaction>> {
        self.write(move |conn| checkpoints::complete(conn, &actor, &checkpoint, docs))
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

#[cfg(test)]
mod tests {
    use rusqlite::params;
    use trellis_protocol::api::Role;
    use trellis_protocol::HASH_LEN;

    use super::*;
    use crate::storage::DeviceKey;

    fn new_workspace(token: &str) -> NewWorkspace {
        NewWorkspace {
            workspace_id: Id::random(),
            member_id: Id::random(),
            device_id: Id::random(),
            device_key: DeviceKey([7; 32]),
            token_hash: SecretHash::of(token),
            now: 1,
        }
    }

    #[test]
    fn a_cached_pull_statement_is_not_parsed_again_on_each_pull() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.sqlite3");
        drop(SqliteStorage::open(&path).unwrap());
        let conn = open_reader(&path).unwrap();
        // A pull's shape: its `LIMIT ?` made SQLite plan it again whenever it was reused.
        let sql = "SELECT seq, doc_id, change_hash, bytes FROM log
                   WHERE workspace_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3";
        for after in 0..3i64 {
            let mut st = conn.prepare_cached(sql).unwrap();
            let mut rows = st
                .query(params![vec![1u8; 16], after, 100 + after])
                .unwrap();
            assert!(rows.next().unwrap().is_none());
        }
        let st = conn.prepare_cached(sql).unwrap();
        assert_eq!(st.get_status(rusqlite::StatementStatus::RePrepare), 0);
    }

    #[tokio::test]
    async fn a_revoked_device_or_removed_member_is_told_apart_by_its_token() {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(dir.path().join("r.sqlite3")).unwrap();
        let ws = new_workspace("tok");
        storage.create_workspace(ws.clone()).await.unwrap();
        let found = storage
            .device_by_token(SecretHash::of("tok"))
            .await
            .unwrap();
        assert_eq!(
            found,
            Some(TokenLookup::Active(DeviceAuth {
                workspace_id: ws.workspace_id,
                member_id: ws.member_id,
                device_id: ws.device_id,
                role: Role::Owner,
            }))
        );
        assert_eq!(
            storage
                .device_by_token(SecretHash::of("tok2"))
                .await
                .unwrap(),
            None
        );

        lock(&storage.inner.writer)
            .execute("UPDATE devices SET revoked_at = 2", [])
            .unwrap();
        assert_eq!(
            storage
                .device_by_token(SecretHash::of("tok"))
                .await
                .unwrap(),
            Some(TokenLookup::Revoked)
        );

        lock(&storage.inner.writer)
            .execute_batch(
                "UPDATE devices SET revoked_at = NULL; UPDATE members SET removed_at = 3",
            )
            .unwrap();
        assert_eq!(
            storage
                .device_by_token(SecretHash::of("tok"))
                .await
                .unwrap(),
            Some(TokenLookup::Revoked),
            "a device of a removed member is revoked whatever its own row says"
        );
    }

    #[tokio::test]
    async fn a_push_that_fails_midway_stores_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(dir.path().join("r.sqlite3")).unwrap();
        let ws = new_workspace("tok");
        storage.create_workspace(ws.clone()).await.unwrap();
        // Make the third insert fail, as a full disk would.
        lock(&storage.inner.writer)
            .execute_batch(
                "CREATE TRIGGER fail_third BEFORE INSERT ON log WHEN NEW.seq = 3
                 BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
            )
            .unwrap();
        let entries: Vec<PushEntry> = (1..=4u8)
            .map(|n| PushEntry {
                doc_id: Id([n; 16]),
                change_hash: [n; HASH_LEN],
                bytes: vec![n; 8],
            })
            .collect();
        let failed = storage.push(ws.workspace_id, entries.clone(), None).await;
        assert!(matches!(failed, Err(StorageError::Backend(_))));
        assert_eq!(storage.head(ws.workspace_id).await.unwrap(), 0);
        let query = PullQuery {
            after: 0,
            limit: 10,
            max_bytes: 1 << 20,
        };
        assert!(storage
            .pull(ws.workspace_id, query)
            .await
            .unwrap()
            .entries
            .is_empty());

        lock(&storage.inner.writer)
            .execute_batch("DROP TRIGGER fail_third")
            .unwrap();
        let pushed = storage.push(ws.workspace_id, entries, None).await.unwrap();
        assert_eq!(pushed.seqs, [1, 2, 3, 4], "the failed push used up no seqs");
    }

    #[tokio::test]
    async fn a_version_1_database_keeps_its_devices_working_after_the_upgrade() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.sqlite3");
        let (ws, member, device) = (Id([1; 16]), Id([2; 16]), Id([3; 16]));
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute(
                "INSERT INTO workspaces (id, created_at) VALUES (?1, 5)",
                [ws.as_bytes()],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO members (workspace_id, member_id, role, created_at)
                 VALUES (?1, ?2, 'owner', 5)",
                params![ws.as_bytes(), member.as_bytes()],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO devices (token_hash, workspace_id, member_id, device_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, 5)",
                params![
                    SecretHash::of("old").as_bytes(),
                    ws.as_bytes(),
                    member.as_bytes(),
                    device.as_bytes()
                ],
            )
            .unwrap();
        }
        let storage = SqliteStorage::open(&path).unwrap();
        let found = storage
            .device_by_token(SecretHash::of("old"))
            .await
            .unwrap();
        assert!(matches!(found, Some(TokenLookup::Active(d)) if d.device_id == device));
        let list = storage.members(ws).await.unwrap();
        assert_eq!(list.key_epoch, 0);
        assert!(!list.rotation_needed);
        assert_eq!(list.members.len(), 1);
        assert!(!list.members[0].removed);
        assert_eq!(list.devices.len(), 1);
        assert_eq!(list.devices[0].device_key, "", "no key was registered");
        assert!(!list.devices[0].revoked);
    }

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
