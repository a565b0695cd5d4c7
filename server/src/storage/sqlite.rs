//! The embedded SQLite backend: one file, `relay.sqlite3` in the data directory.
//!
//! Why it is shaped this way:
//!
//! * **One writer connection** behind a mutex, with `synchronous=FULL`: every write transaction
//!   is serialized in this process, so seq assignment and single-use invites need no retry
//!   loops, and a push is on disk (WAL fsynced) before its answer leaves. Write transactions are
//!   `BEGIN IMMEDIATE` so a second process on the same file would wait rather than fail midway.
//! * **Reader connections** (a small pool, read-only) in WAL mode: pulls and token look-ups never
//!   wait for a push to commit, and each read runs in one snapshot.
//! * **Blocking calls off the async runtime**: every call runs on tokio's blocking pool.
//! * **Versioned schema**: `PRAGMA user_version` counts the applied [`MIGRATIONS`]; opening a
//!   file applies the missing ones in order, each in its own transaction, and refuses a file from
//!   a newer relay.
//!
//! Ids and hashes are stored as BLOBs, times as seconds since the Unix epoch, roles as their
//! lowercase names. `workspaces.head` holds the newest seq so seqs are never reused, even if
//! old log entries are compacted away one day.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures_util::future::BoxFuture;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use trellis_protocol::api::Role;
use trellis_protocol::batch::{LogEntry, PullBatch, PushEntry};
use trellis_protocol::{Id, HASH_LEN};

mod schema;

use schema::migrate;
pub use schema::MIGRATIONS;

use super::{
    DeviceAuth, NewInvite, NewWorkspace, PullQuery, PushOutcome, Redeemed, Redemption, SecretHash,
    Storage, StorageError, StorageResult,
};

/// Most idle reader connections kept open.
const MAX_IDLE_READERS: usize = 4;

/// How long a connection waits for a lock held by another process before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The SQLite implementation of [`Storage`]. Cheap to clone; clones share the connections.
#[derive(Clone)]
pub struct SqliteStorage {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
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
        writer.busy_timeout(BUSY_TIMEOUT)?;
        let mode: String = writer.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StorageError::Backend(
                format!("the database cannot use WAL (journal mode {mode})").into(),
            ));
        }
        writer.pragma_update(None, "synchronous", "FULL")?;
        writer.pragma_update(None, "foreign_keys", true)?;
        migrate(&mut writer)?;
        Ok(SqliteStorage {
            inner: Arc::new(Inner {
                path,
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
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
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

fn to_id(bytes: Vec<u8>) -> StorageResult<Id> {
    Id::from_slice(&bytes).map_err(|_| StorageError::Corrupt("id"))
}

fn to_role(name: String) -> StorageResult<Role> {
    Role::parse(&name).ok_or(StorageError::Corrupt("role"))
}

fn to_seq(seq: i64) -> StorageResult<u64> {
    u64::try_from(seq).map_err(|_| StorageError::Corrupt("seq"))
}

fn create_workspace(conn: &mut Connection, new: &NewWorkspace) -> StorageResult<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let ws = new.workspace_id.as_bytes();
    let exists = tx
        .query_row("SELECT 1 FROM workspaces WHERE id = ?1", [ws], |_| Ok(()))
        .optional()?
        .is_some();
    if exists {
        return Err(StorageError::Conflict);
    }
    tx.execute(
        "INSERT INTO workspaces (id, created_at) VALUES (?1, ?2)",
        params![ws, new.now],
    )?;
    tx.execute(
        "INSERT INTO members (workspace_id, member_id, role, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![ws, new.member_id.as_bytes(), Role::Owner.as_str(), new.now],
    )?;
    insert_device(
        &tx,
        &new.token_hash,
        &new.workspace_id,
        &new.member_id,
        &new.device_id,
        new.now,
    )?;
    tx.commit()?;
    Ok(())
}

fn insert_device(
    tx: &rusqlite::Transaction<'_>,
    token_hash: &SecretHash,
    ws: &Id,
    member: &Id,
    device: &Id,
    now: i64,
) -> StorageResult<()> {
    tx.execute(
        "INSERT INTO devices (token_hash, workspace_id, member_id, device_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            token_hash.as_bytes(),
            ws.as_bytes(),
            member.as_bytes(),
            device.as_bytes(),
            now
        ],
    )?;
    Ok(())
}

fn device_by_token(conn: &mut Connection, token: &SecretHash) -> StorageResult<Option<DeviceAuth>> {
    let row = conn
        .query_row(
            "SELECT d.workspace_id, d.member_id, d.device_id, m.role
             FROM devices d
             JOIN members m ON m.workspace_id = d.workspace_id AND m.member_id = d.member_id
             WHERE d.token_hash = ?1 AND d.revoked_at IS NULL",
            [token.as_bytes()],
            |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                    r.get::<_, String>(3)?,
                ))
            },
        )
        .optional()?;
    row.map(|(ws, member, device, role)| {
        Ok(DeviceAuth {
            workspace_id: to_id(ws)?,
            member_id: to_id(member)?,
            device_id: to_id(device)?,
            role: to_role(role)?,
        })
    })
    .transpose()
}

fn create_invite(conn: &mut Connection, invite: &NewInvite) -> StorageResult<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(
        "INSERT INTO invites
            (secret_hash, workspace_id, role, device, inviter_member_id, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            invite.secret_hash.as_bytes(),
            invite.workspace_id.as_bytes(),
            invite.role.as_str(),
            invite.device,
            invite.inviter_member_id.as_bytes(),
            invite.expires_at
        ],
    )?;
    tx.commit()?;
    Ok(())
}

fn redeem_invite(conn: &mut Connection, r: &Redemption) -> StorageResult<Redeemed> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let invite = tx
        .query_row(
            "SELECT workspace_id, role, device, inviter_member_id, expires_at, used_at
             FROM invites WHERE secret_hash = ?1",
            [r.secret_hash.as_bytes()],
            |row| {
                Ok((
                    row.get::<_, Vec<u8>>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, bool>(2)?,
                    row.get::<_, Vec<u8>>(3)?,
                    row.get::<_, i64>(4)?,
                    row.get::<_, Option<i64>>(5)?,
                ))
            },
        )
        .optional()?;
    let Some((ws, role, device, inviter, expires_at, used_at)) = invite else {
        return Err(StorageError::NotFound);
    };
    if to_id(ws)? != r.workspace_id {
        return Err(StorageError::NotFound);
    }
    if used_at.is_some() || expires_at <= r.now {
        return Err(StorageError::Gone);
    }
    let ws = r.workspace_id.as_bytes();
    let redeemed = if device {
        // The device joins its inviter, with the inviter's role as it is now.
        let inviter = to_id(inviter)?;
        let role: Option<String> = tx
            .query_row(
                "SELECT role FROM members WHERE workspace_id = ?1 AND member_id = ?2",
                params![ws, inviter.as_bytes()],
                |row| row.get(0),
            )
            .optional()?;
        let Some(role) = role else {
            // The inviter was removed since: the invite died with them.
            return Err(StorageError::Gone);
        };
        Redeemed {
            member_id: inviter,
            role: to_role(role)?,
        }
    } else {
        let taken = tx
            .query_row(
                "SELECT 1 FROM members WHERE workspace_id = ?1 AND member_id = ?2",
                params![ws, r.member_id.as_bytes()],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if taken {
            return Err(StorageError::Conflict);
        }
        let role = to_role(role)?;
        tx.execute(
            "INSERT INTO members (workspace_id, member_id, role, created_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![ws, r.member_id.as_bytes(), role.as_str(), r.now],
        )?;
        Redeemed {
            member_id: r.member_id,
            role,
        }
    };
    insert_device(
        &tx,
        &r.token_hash,
        &r.workspace_id,
        &redeemed.member_id,
        &r.device_id,
        r.now,
    )?;
    let marked = tx.execute(
        "UPDATE invites SET used_at = ?1 WHERE secret_hash = ?2 AND used_at IS NULL",
        params![r.now, r.secret_hash.as_bytes()],
    )?;
    if marked != 1 {
        return Err(StorageError::Gone);
    }
    tx.commit()?;
    Ok(redeemed)
}

fn push(
    conn: &mut Connection,
    workspace: &Id,
    entries: &[PushEntry],
) -> StorageResult<PushOutcome> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let ws = workspace.as_bytes();
    let mut head: i64 = tx
        .query_row("SELECT head FROM workspaces WHERE id = ?1", [ws], |r| {
            r.get(0)
        })
        .optional()?
        .ok_or(StorageError::NotFound)?;
    let mut seqs = Vec::with_capacity(entries.len());
    let mut stored = 0u64;
    {
        let mut find = tx.prepare(
            "SELECT seq FROM log WHERE workspace_id = ?1 AND doc_id = ?2 AND change_hash = ?3",
        )?;
        let mut insert = tx.prepare(
            "INSERT INTO log (workspace_id, seq, doc_id, change_hash, bytes)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for e in entries {
            let existing: Option<i64> = find
                .query_row(
                    params![ws, e.doc_id.as_bytes(), e.change_hash.as_slice()],
                    |r| r.get(0),
                )
                .optional()?;
            let seq = match existing {
                Some(seq) => seq,
                None => {
                    head += 1;
                    insert.execute(params![
                        ws,
                        head,
                        e.doc_id.as_bytes(),
                        e.change_hash.as_slice(),
                        e.bytes
                    ])?;
                    stored += 1;
                    head
                }
            };
            seqs.push(to_seq(seq)?);
        }
    }
    if stored > 0 {
        tx.execute(
            "UPDATE workspaces SET head = ?1 WHERE id = ?2",
            params![head, ws],
        )?;
    }
    tx.commit()?;
    Ok(PushOutcome {
        seqs,
        stored,
        head: to_seq(head)?,
    })
}

fn pull(conn: &mut Connection, workspace: &Id, q: PullQuery) -> StorageResult<PullBatch> {
    // A deferred transaction: the head and the entries come from one snapshot.
    let tx = conn.transaction()?;
    let ws = workspace.as_bytes();
    let head: i64 = tx
        .query_row("SELECT head FROM workspaces WHERE id = ?1", [ws], |r| {
            r.get(0)
        })
        .optional()?
        .unwrap_or(0);
    let head = to_seq(head)?;
    let after = i64::try_from(q.after).unwrap_or(i64::MAX);
    let limit = i64::try_from(q.limit).unwrap_or(i64::MAX);
    let mut entries = Vec::new();
    let mut total = 0usize;
    {
        let mut stmt = tx.prepare(
            "SELECT seq, doc_id, change_hash, bytes FROM log
             WHERE workspace_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )?;
        let mut rows = stmt.query(params![ws, after, limit])?;
        while let Some(row) = rows.next()? {
            let bytes: Vec<u8> = row.get(3)?;
            if !entries.is_empty() && total.saturating_add(bytes.len()) > q.max_bytes {
                break;
            }
            total = total.saturating_add(bytes.len());
            let hash: Vec<u8> = row.get(2)?;
            let change_hash: [u8; HASH_LEN] = hash
                .try_into()
                .map_err(|_| StorageError::Corrupt("change hash"))?;
            entries.push(LogEntry {
                seq: to_seq(row.get(0)?)?,
                doc_id: to_id(row.get(1)?)?,
                change_hash,
                bytes,
            });
        }
    }
    tx.finish()?;
    // Seqs are gap-free, so entries remain exactly when the last one returned is before head.
    let last = entries.last().map_or(q.after, |e| e.seq);
    Ok(PullBatch {
        head,
        more: last < head,
        entries,
    })
}

fn head(conn: &mut Connection, workspace: &Id) -> StorageResult<u64> {
    let head: Option<i64> = conn
        .query_row(
            "SELECT head FROM workspaces WHERE id = ?1",
            [workspace.as_bytes()],
            |r| r.get(0),
        )
        .optional()?;
    to_seq(head.unwrap_or(0))
}

impl Storage for SqliteStorage {
    fn create_workspace(&self, new: NewWorkspace) -> BoxFuture<'_, StorageResult<()>> {
        self.write(move |conn| create_workspace(conn, &new))
    }

    fn device_by_token(
        &self,
        token: SecretHash,
    ) -> BoxFuture<'_, StorageResult<Option<DeviceAuth>>> {
        self.read(move |conn| device_by_token(conn, &token))
    }

    fn create_invite(&self, invite: NewInvite) -> BoxFuture<'_, StorageResult<()>> {
        self.write(move |conn| create_invite(conn, &invite))
    }

    fn redeem_invite(&self, redemption: Redemption) -> BoxFuture<'_, StorageResult<Redeemed>> {
        self.write(move |conn| redeem_invite(conn, &redemption))
    }

    fn push(
        &self,
        workspace: Id,
        entries: Vec<PushEntry>,
    ) -> BoxFuture<'_, StorageResult<PushOutcome>> {
        self.write(move |conn| push(conn, &workspace, &entries))
    }

    fn pull(&self, workspace: Id, query: PullQuery) -> BoxFuture<'_, StorageResult<PullBatch>> {
        self.read(move |conn| pull(conn, &workspace, query))
    }

    fn head(&self, workspace: Id) -> BoxFuture<'_, StorageResult<u64>> {
        self.read(move |conn| head(conn, &workspace))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_workspace(token: &str) -> NewWorkspace {
        NewWorkspace {
            workspace_id: Id::random(),
            member_id: Id::random(),
            device_id: Id::random(),
            token_hash: SecretHash::of(token),
            now: 1,
        }
    }

    #[tokio::test]
    async fn a_revoked_device_or_removed_member_is_not_found_by_its_token() {
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
            Some(DeviceAuth {
                workspace_id: ws.workspace_id,
                member_id: ws.member_id,
                device_id: ws.device_id,
                role: Role::Owner,
            })
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
            None
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
        let failed = storage.push(ws.workspace_id, entries.clone()).await;
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
        let pushed = storage.push(ws.workspace_id, entries).await.unwrap();
        assert_eq!(pushed.seqs, [1, 2, 3, 4], "the failed push used up no seqs");
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
