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
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use trellis_protocol::api::{
    DeviceInfo, KeyEnvelope, KeyRotation, MemberInfo, MembersResponse, Role,
};
use trellis_protocol::batch::{LogEntry, PullBatch, PushEntry};
use trellis_protocol::snapshot::{CheckpointInfo, DocBatch, DocSnapshot};
use trellis_protocol::{Id, HASH_LEN};

mod checkpoints;
mod group;
mod schema;
mod wal;

use group::PushQueue;
use wal::{Checkpointer, WRITER_AUTOCHECKPOINT_PAGES};

use schema::migrate;
pub use schema::MIGRATIONS;

use super::{
    policy, Compaction, DeviceAuth, DeviceKey, DocsQuery, NewCheckpoint, NewInvite, NewWorkspace,
    PullQuery, PushOutcome, Redeemed, Redemption, Refusal, SecretHash, Storage, StorageError,
    StorageResult, TokenLookup,
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

fn to_id(bytes: Vec<u8>) -> StorageResult<Id> {
    Id::from_slice(&bytes).map_err(|_| StorageError::Corrupt("id"))
}

fn to_role(name: String) -> StorageResult<Role> {
    Role::parse(&name).ok_or(StorageError::Corrupt("role"))
}

fn to_seq(seq: i64) -> StorageResult<u64> {
    u64::try_from(seq).map_err(|_| StorageError::Corrupt("seq"))
}

fn to_epoch(epoch: i64) -> StorageResult<u32> {
    u32::try_from(epoch).map_err(|_| StorageError::Corrupt("key epoch"))
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
        &NewDevice {
            token_hash: &new.token_hash,
            workspace: &new.workspace_id,
            member: &new.member_id,
            device: &new.device_id,
            key: &new.device_key,
            now: new.now,
        },
    )?;
    tx.commit()?;
    Ok(())
}

/// A device row to insert.
struct NewDevice<'a> {
    token_hash: &'a SecretHash,
    workspace: &'a Id,
    member: &'a Id,
    device: &'a Id,
    key: &'a DeviceKey,
    now: i64,
}

fn insert_device(tx: &rusqlite::Transaction<'_>, d: &NewDevice<'_>) -> StorageResult<()> {
    tx.execute(
        "INSERT INTO devices
            (token_hash, workspace_id, member_id, device_id, device_key, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            d.token_hash.as_bytes(),
            d.workspace.as_bytes(),
            d.member.as_bytes(),
            d.device.as_bytes(),
            d.key.0.as_slice(),
            d.now
        ],
    )?;
    Ok(())
}

fn device_by_token(
    conn: &mut Connection,
    token: &SecretHash,
) -> StorageResult<Option<TokenLookup>> {
    // Every request authenticates: the statement is parsed once per connection, not per call.
    let row = conn
        .prepare_cached(
            "SELECT d.workspace_id, d.member_id, d.device_id, m.role,
                    d.revoked_at IS NOT NULL OR m.removed_at IS NOT NULL
             FROM devices d
             JOIN members m ON m.workspace_id = d.workspace_id AND m.member_id = d.member_id
             WHERE d.token_hash = ?1",
        )?
        .query_row([token.as_bytes()], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, bool>(4)?,
            ))
        })
        .optional()?;
    row.map(|(ws, member, device, role, revoked)| {
        if revoked {
            return Ok(TokenLookup::Revoked);
        }
        Ok(TokenLookup::Active(DeviceAuth {
            workspace_id: to_id(ws)?,
            member_id: to_id(member)?,
            device_id: to_id(device)?,
            role: to_role(role)?,
        }))
    })
    .transpose()
}

fn create_invite(conn: &mut Connection, invite: &NewInvite) -> StorageResult<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // The invite code will carry the key of the current epoch; redeeming it after a rotation
    // would let a device in with an outdated key.
    tx.execute(
        "INSERT INTO invites
            (secret_hash, workspace_id, role, device, inviter_member_id, expires_at, key_epoch)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6,
                 (SELECT key_epoch FROM workspaces WHERE id = ?2))",
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
            "SELECT i.workspace_id, i.role, i.device, i.inviter_member_id, i.expires_at,
                    i.used_at, i.key_epoch = w.key_epoch
             FROM invites i JOIN workspaces w ON w.id = i.workspace_id
             WHERE i.secret_hash = ?1",
            [r.secret_hash.as_bytes()],
            |row| {
                Ok((
                    row.get::<_, Vec<u8>>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, bool>(2)?,
                    row.get::<_, Vec<u8>>(3)?,
                    row.get::<_, i64>(4)?,
                    row.get::<_, Option<i64>>(5)?,
                    row.get::<_, bool>(6)?,
                ))
            },
        )
        .optional()?;
    let Some((ws, role, device, inviter, expires_at, used_at, current_key)) = invite else {
        return Err(StorageError::NotFound);
    };
    if to_id(ws)? != r.workspace_id {
        return Err(StorageError::NotFound);
    }
    if used_at.is_some() || expires_at <= r.now {
        return Err(StorageError::Gone);
    }
    let ws = r.workspace_id.as_bytes();
    // The inviter, with her role as it is now; an invite dies with its issuer's membership.
    let inviter = to_id(inviter)?;
    let inviter_role: Option<String> = tx
        .query_row(
            "SELECT role FROM members
             WHERE workspace_id = ?1 AND member_id = ?2 AND removed_at IS NULL",
            params![ws, inviter.as_bytes()],
            |row| row.get(0),
        )
        .optional()?;
    let Some(inviter_role) = inviter_role else {
        return Err(StorageError::Gone);
    };
    if !current_key {
        return Err(Refusal::InviteOutdated.into());
    }
    let device_taken = tx
        .query_row(
            "SELECT 1 FROM devices WHERE workspace_id = ?1 AND device_id = ?2",
            params![ws, r.device_id.as_bytes()],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if device_taken {
        return Err(Refusal::DeviceIdTaken.into());
    }
    let redeemed = if device {
        // The device joins its inviter, with the inviter's role as it is now.
        Redeemed {
            member_id: inviter,
            role: to_role(inviter_role)?,
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
        &NewDevice {
            token_hash: &r.token_hash,
            workspace: &r.workspace_id,
            member: &redeemed.member_id,
            device: &r.device_id,
            key: &r.device_key,
            now: r.now,
        },
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

/// Runs one push on an open transaction or savepoint of the writer connection; neither begins
/// nor commits (the group writer of [`group`] does, for every push waiting). The key-epoch
/// check reads the same transaction, before anything is stored.
fn push_in(
    tx: &Connection,
    workspace: &Id,
    entries: &[PushEntry],
    sealed_with: Option<u32>,
) -> StorageResult<PushOutcome> {
    let ws = workspace.as_bytes();
    let (mut head, key_epoch, rotation_needed): (i64, i64, bool) = tx
        .prepare_cached("SELECT head, key_epoch, rotation_needed FROM workspaces WHERE id = ?1")?
        .query_row([ws], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?
        .ok_or(StorageError::NotFound)?;
    let key_epoch = to_epoch(key_epoch)?;
    if let Some(sealed) = sealed_with.filter(|&sealed| sealed < key_epoch) {
        return Err(StorageError::StaleKey {
            sealed,
            current: key_epoch,
        });
    }
    let mut seqs = Vec::with_capacity(entries.len());
    let mut stored = 0u64;
    {
        let mut find = tx.prepare_cached(
            "SELECT seq FROM log WHERE workspace_id = ?1 AND doc_id = ?2 AND change_hash = ?3",
        )?;
        let mut insert = tx.prepare_cached(
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
        tx.prepare_cached("UPDATE workspaces SET head = ?1 WHERE id = ?2")?
            .execute(params![head, ws])?;
    }
    Ok(PushOutcome {
        seqs,
        stored,
        head: to_seq(head)?,
        key_epoch,
        rotation_needed,
    })
}

fn pull(conn: &mut Connection, workspace: &Id, q: PullQuery) -> StorageResult<PullBatch> {
    // A deferred transaction: the head and the entries come from one snapshot.
    let tx = conn.transaction()?;
    let ws = workspace.as_bytes();
    let (head, floor): (i64, i64) = tx
        .prepare_cached("SELECT head, log_floor FROM workspaces WHERE id = ?1")?
        .query_row([ws], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or((0, 0));
    let (head, floor) = (to_seq(head)?, to_seq(floor)?);
    if q.after.saturating_add(1) < floor {
        // The entries right after `after` were compacted into a checkpoint.
        return Err(StorageError::Compacted { floor });
    }
    let after = i64::try_from(q.after).unwrap_or(i64::MAX);
    let limit = i64::try_from(q.limit).unwrap_or(i64::MAX);
    let mut entries = Vec::new();
    let mut total = 0usize;
    {
        let mut stmt = tx.prepare_cached(
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
        .prepare_cached("SELECT head FROM workspaces WHERE id = ?1")?
        .query_row([workspace.as_bytes()], |r| r.get(0))
        .optional()?;
    to_seq(head.unwrap_or(0))
}

fn members(conn: &mut Connection, workspace: &Id) -> StorageResult<MembersResponse> {
    // A deferred transaction: members, devices and the key state come from one snapshot.
    let tx = conn.transaction()?;
    let ws = workspace.as_bytes();
    let (key_epoch, rotation_needed): (i64, bool) = tx
        .query_row(
            "SELECT key_epoch, rotation_needed FROM workspaces WHERE id = ?1",
            [ws],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or(StorageError::NotFound)?;
    let mut members = Vec::new();
    {
        let mut stmt = tx.prepare(
            "SELECT member_id, role, removed_at IS NOT NULL FROM members
             WHERE workspace_id = ?1 ORDER BY created_at, member_id",
        )?;
        let mut rows = stmt.query([ws])?;
        while let Some(row) = rows.next()? {
            members.push(MemberInfo {
                member_id: to_id(row.get(0)?)?,
                role: to_role(row.get(1)?)?,
                removed: row.get(2)?,
            });
        }
    }
    let mut devices = Vec::new();
    {
        let mut stmt = tx.prepare(
            "SELECT d.device_id, d.member_id, d.device_key, d.created_at,
                    d.revoked_at IS NOT NULL OR m.removed_at IS NOT NULL
             FROM devices d
             JOIN members m ON m.workspace_id = d.workspace_id AND m.member_id = d.member_id
             WHERE d.workspace_id = ?1 ORDER BY d.created_at, d.device_id",
        )?;
        let mut rows = stmt.query([ws])?;
        while let Some(row) = rows.next()? {
            // Devices registered before keys existed have none: listed as "".
            let key: Option<Vec<u8>> = row.get(2)?;
            let device_key = match key {
                None => String::new(),
                Some(key) => hex::encode(key),
            };
            devices.push(DeviceInfo {
                device_id: to_id(row.get(0)?)?,
                member_id: to_id(row.get(1)?)?,
                device_key,
                created_at: row.get(3)?,
                revoked: row.get(4)?,
            });
        }
    }
    tx.finish()?;
    Ok(MembersResponse {
        members,
        devices,
        key_epoch: to_epoch(key_epoch)?,
        rotation_needed,
    })
}

/// The calling device's member's current role, read inside the transaction;
/// [`Refusal::CallerRevoked`] if the device was revoked or its member removed meanwhile.
fn actor_role(tx: &rusqlite::Transaction<'_>, actor: &DeviceAuth) -> StorageResult<Role> {
    let role: Option<String> = tx
        .query_row(
            "SELECT m.role FROM devices d
             JOIN members m ON m.workspace_id = d.workspace_id AND m.member_id = d.member_id
             WHERE d.workspace_id = ?1 AND d.device_id = ?2 AND d.member_id = ?3
               AND d.revoked_at IS NULL AND m.removed_at IS NULL
             LIMIT 1",
            params![
                actor.workspace_id.as_bytes(),
                actor.device_id.as_bytes(),
                actor.member_id.as_bytes()
            ],
            |r| r.get(0),
        )
        .optional()?;
    to_role(role.ok_or(Refusal::CallerRevoked)?)
}

/// A member's role and whether it was removed; [`StorageError::NotFound`] if there is none.
fn member_row(
    tx: &rusqlite::Transaction<'_>,
    workspace: &Id,
    member: &Id,
) -> StorageResult<(Role, bool)> {
    let row: Option<(String, bool)> = tx
        .query_row(
            "SELECT role, removed_at IS NOT NULL FROM members
             WHERE workspace_id = ?1 AND member_id = ?2",
            params![workspace.as_bytes(), member.as_bytes()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (role, removed) = row.ok_or(StorageError::NotFound)?;
    Ok((to_role(role)?, removed))
}

fn mark_rotation_needed(tx: &rusqlite::Transaction<'_>, workspace: &Id) -> StorageResult<()> {
    tx.execute(
        "UPDATE workspaces SET rotation_needed = 1 WHERE id = ?1",
        [workspace.as_bytes()],
    )?;
    Ok(())
}

/// Marks a member removed and revokes its unrevoked devices; returns those devices.
fn remove_member_rows(
    tx: &rusqlite::Transaction<'_>,
    workspace: &Id,
    member: &Id,
    now: i64,
) -> StorageResult<Vec<Id>> {
    let (ws, member) = (workspace.as_bytes(), member.as_bytes());
    tx.execute(
        "UPDATE members SET removed_at = ?1
         WHERE workspace_id = ?2 AND member_id = ?3 AND removed_at IS NULL",
        params![now, ws, member],
    )?;
    let mut revoked = Vec::new();
    {
        let mut stmt = tx.prepare(
            "SELECT device_id FROM devices
             WHERE workspace_id = ?1 AND member_id = ?2 AND revoked_at IS NULL",
        )?;
        let mut rows = stmt.query(params![ws, member])?;
        while let Some(row) = rows.next()? {
            revoked.push(to_id(row.get(0)?)?);
        }
    }
    tx.execute(
        "UPDATE devices SET revoked_at = ?1
         WHERE workspace_id = ?2 AND member_id = ?3 AND revoked_at IS NULL",
        params![now, ws, member],
    )?;
    Ok(revoked)
}

/// Checks a rotation against the workspace as it is inside the transaction, stores its sealed
/// keys, bumps the epoch and clears the rotation mark.
fn apply_rotation(
    tx: &rusqlite::Transaction<'_>,
    workspace: &Id,
    rotation: &KeyRotation,
) -> StorageResult<()> {
    let ws = workspace.as_bytes();
    let epoch: i64 = tx
        .query_row(
            "SELECT key_epoch FROM workspaces WHERE id = ?1",
            [ws],
            |r| r.get(0),
        )
        .optional()?
        .ok_or(StorageError::NotFound)?;
    let mut remaining = Vec::new();
    {
        let mut stmt = tx.prepare(
            "SELECT DISTINCT d.device_id FROM devices d
             JOIN members m ON m.workspace_id = d.workspace_id AND m.member_id = d.member_id
             WHERE d.workspace_id = ?1 AND d.revoked_at IS NULL AND m.removed_at IS NULL",
        )?;
        let mut rows = stmt.query([ws])?;
        while let Some(row) = rows.next()? {
            remaining.push(to_id(row.get(0)?)?);
        }
    }
    policy::check_rotation(to_epoch(epoch)?, &remaining, rotation)?;
    {
        let mut insert = tx.prepare(
            "INSERT INTO sealed_keys (workspace_id, epoch, device_id, sealed)
             VALUES (?1, ?2, ?3, ?4)",
        )?;
        for wrapped in &rotation.wrapped {
            insert.execute(params![
                ws,
                rotation.epoch,
                wrapped.device_id.as_bytes(),
                wrapped.sealed
            ])?;
        }
    }
    tx.execute(
        "UPDATE workspaces SET key_epoch = ?1, rotation_needed = 0 WHERE id = ?2",
        params![rotation.epoch, ws],
    )?;
    Ok(())
}

fn revoke_device(
    conn: &mut Connection,
    actor: &DeviceAuth,
    device: &Id,
    now: i64,
) -> StorageResult<Vec<Id>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let role = actor_role(&tx, actor)?;
    let ws = actor.workspace_id.as_bytes();
    let row: Option<(Vec<u8>, bool)> = tx
        .query_row(
            "SELECT member_id, MIN(revoked_at IS NOT NULL) FROM devices
             WHERE workspace_id = ?1 AND device_id = ?2 GROUP BY member_id LIMIT 1",
            params![ws, device.as_bytes()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (member, already_revoked) = row.ok_or(StorageError::NotFound)?;
    policy::may_revoke(role, actor.member_id, to_id(member)?)?;
    if already_revoked {
        return Ok(Vec::new());
    }
    tx.execute(
        "UPDATE devices SET revoked_at = ?1
         WHERE workspace_id = ?2 AND device_id = ?3 AND revoked_at IS NULL",
        params![now, ws, device.as_bytes()],
    )?;
    mark_rotation_needed(&tx, &actor.workspace_id)?;
    tx.commit()?;
    Ok(vec![*device])
}

fn remove_member(
    conn: &mut Connection,
    actor: &DeviceAuth,
    member: &Id,
    rotation: &KeyRotation,
    now: i64,
) -> StorageResult<Vec<Id>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let role = actor_role(&tx, actor)?;
    let (target_role, removed) = member_row(&tx, &actor.workspace_id, member)?;
    policy::may_remove(role, actor.member_id, target_role, *member)?;
    if removed {
        return Err(Refusal::MemberRemoved.into());
    }
    let revoked = remove_member_rows(&tx, &actor.workspace_id, member, now)?;
    // Checked against the devices that remain once the member is gone; an error drops the
    // transaction, so the removal above is undone with it.
    apply_rotation(&tx, &actor.workspace_id, rotation)?;
    tx.commit()?;
    Ok(revoked)
}

fn leave(conn: &mut Connection, actor: &DeviceAuth, now: i64) -> StorageResult<Vec<Id>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let role = actor_role(&tx, actor)?;
    policy::may_leave(role)?;
    let revoked = remove_member_rows(&tx, &actor.workspace_id, &actor.member_id, now)?;
    mark_rotation_needed(&tx, &actor.workspace_id)?;
    tx.commit()?;
    Ok(revoked)
}

fn rotate_key(
    conn: &mut Connection,
    actor: &DeviceAuth,
    rotation: &KeyRotation,
) -> StorageResult<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let role = actor_role(&tx, actor)?;
    policy::may_rotate(role)?;
    apply_rotation(&tx, &actor.workspace_id, rotation)?;
    tx.commit()?;
    Ok(())
}

fn sealed_keys(
    conn: &mut Connection,
    workspace: &Id,
    device: &Id,
    after: u32,
) -> StorageResult<Vec<KeyEnvelope>> {
    let mut stmt = conn.prepare(
        "SELECT epoch, sealed FROM sealed_keys
         WHERE workspace_id = ?1 AND device_id = ?2 AND epoch > ?3 ORDER BY epoch",
    )?;
    let mut rows = stmt.query(params![workspace.as_bytes(), device.as_bytes(), after])?;
    let mut keys = Vec::new();
    while let Some(row) = rows.next()? {
        keys.push(KeyEnvelope {
            epoch: to_epoch(row.get(0)?)?,
            sealed: row.get(1)?,
        });
    }
    Ok(keys)
}

fn transfer_ownership(conn: &mut Connection, actor: &DeviceAuth, to: &Id) -> StorageResult<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let role = actor_role(&tx, actor)?;
    let (_, removed) = member_row(&tx, &actor.workspace_id, to)?;
    policy::may_transfer(role, actor.member_id, *to, removed)?;
    let ws = actor.workspace_id.as_bytes();
    tx.execute(
        "UPDATE members SET role = ?1 WHERE workspace_id = ?2 AND member_id = ?3",
        params![Role::Admin.as_str(), ws, actor.member_id.as_bytes()],
    )?;
    tx.execute(
        "UPDATE members SET role = ?1 WHERE workspace_id = ?2 AND member_id = ?3",
        params![Role::Owner.as_str(), ws, to.as_bytes()],
    )?;
    tx.commit()?;
    Ok(())
}

impl Storage for SqliteStorage {
    fn create_workspace(&self, new: NewWorkspace) -> BoxFuture<'_, StorageResult<()>> {
        self.write(move |conn| create_workspace(conn, &new))
    }

    fn device_by_token(
        &self,
        token: SecretHash,
    ) -> BoxFuture<'_, StorageResult<Option<TokenLookup>>> {
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
        sealed_with: Option<u32>,
    ) -> BoxFuture<'_, StorageResult<PushOutcome>> {
        Box::pin(self.inner.pushes.push(workspace, entries, sealed_with))
    }

    fn pull(&self, workspace: Id, query: PullQuery) -> BoxFuture<'_, StorageResult<PullBatch>> {
        self.read(move |conn| pull(conn, &workspace, query))
    }

    fn head(&self, workspace: Id) -> BoxFuture<'_, StorageResult<u64>> {
        self.read(move |conn| head(conn, &workspace))
    }

    fn members(&self, workspace: Id) -> BoxFuture<'_, StorageResult<MembersResponse>> {
        self.read(move |conn| members(conn, &workspace))
    }

    fn revoke_device(
        &self,
        actor: DeviceAuth,
        device: Id,
        now: i64,
    ) -> BoxFuture<'_, StorageResult<Vec<Id>>> {
        self.write(move |conn| revoke_device(conn, &actor, &device, now))
    }

    fn remove_member(
        &self,
        actor: DeviceAuth,
        member: Id,
        rotation: KeyRotation,
        now: i64,
    ) -> BoxFuture<'_, StorageResult<Vec<Id>>> {
        self.write(move |conn| remove_member(conn, &actor, &member, &rotation, now))
    }

    fn leave(&self, actor: DeviceAuth, now: i64) -> BoxFuture<'_, StorageResult<Vec<Id>>> {
        self.write(move |conn| leave(conn, &actor, now))
    }

    fn rotate_key(
        &self,
        actor: DeviceAuth,
        rotation: KeyRotation,
    ) -> BoxFuture<'_, StorageResult<()>> {
        self.write(move |conn| rotate_key(conn, &actor, &rotation))
    }

    fn sealed_keys(
        &self,
        workspace: Id,
        device: Id,
        after: u32,
    ) -> BoxFuture<'_, StorageResult<Vec<KeyEnvelope>>> {
        self.read(move |conn| sealed_keys(conn, &workspace, &device, after))
    }

    fn transfer_ownership(&self, actor: DeviceAuth, to: Id) -> BoxFuture<'_, StorageResult<()>> {
        self.write(move |conn| transfer_ownership(conn, &actor, &to))
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
    use super::*;

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
