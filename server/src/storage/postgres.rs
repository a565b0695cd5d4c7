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
//!   connection ([`listen`]) and feeds its [`crate::notify::Notifier`].
//! * **Rate limits are shared**: [`Storage::take_request`] keeps each caller's token bucket in
//!   the UNLOGGED table `rate_buckets`, one upsert a request, so a device cannot get N times
//!   its allowance by spreading requests over N processes.
//! * **Versioned schema** ([`schema`]): migrated at start in one transaction under an advisory
//!   lock; a database from a newer relay is refused.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use futures_util::future::BoxFuture;
use tokio_postgres::types::ToSql;
use tokio_postgres::{IsolationLevel, NoTls, Row};
use trellis_protocol::api::{
    DeviceInfo, KeyEnvelope, KeyRotation, MemberInfo, MembersResponse, Role,
};
use trellis_protocol::batch::{LogEntry, PullBatch, PushEntry};
use trellis_protocol::snapshot::{CheckpointInfo, DocBatch, DocSnapshot};
use trellis_protocol::{Id, HASH_LEN};

mod checkpoints;
mod listen;
mod schema;

pub use schema::MIGRATIONS;

use super::{
    policy, Compaction, DeviceAuth, DeviceKey, DocsQuery, NewCheckpoint, NewInvite, NewWorkspace,
    PullQuery, PushOutcome, RateQuota, Redeemed, Redemption, Refusal, SecretHash, Storage,
    StorageError, StorageResult, TokenLookup,
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
const SWEEP_RATE_BUCKETS_EVERY: u64 = 1000;

/// The pooled transaction every call runs in.
type Tx<'a> = deadpool_postgres::Transaction<'a>;

/// The PostgreSQL implementation of [`Storage`]. Cheap to clone; clones share the pool.
#[derive(Clone)]
pub struct PgStorage {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    config: tokio_postgres::Config,
    counted: AtomicU64,
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
        let migrated = schema::migrate(&mut client).await;
        drop(client);
        let _ = driver.await;
        migrated?;
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
            }),
        })
    }

    /// The schema version of the database (the number of applied [`MIGRATIONS`]).
    pub async fn schema_version(&self) -> StorageResult<i64> {
        let client = self.inner.pool.get().await?;
        schema::version(&client).await
    }

    /// Every workspace with its log size, members and devices, oldest first, from one
    /// snapshot (`trellis-relay admin workspaces`).
    pub async fn workspaces(&self) -> StorageResult<Vec<crate::admin::WorkspaceSummary>> {
        self.read(|tx| {
            Box::pin(async move {
                let mut listing = Vec::new();
                for row in all(
                    tx,
                    "SELECT w.id, w.created_at, w.head,
                        (SELECT count(*) FROM log l WHERE l.workspace_id = w.id),
                        (SELECT coalesce(sum(length(l.bytes)), 0)::bigint FROM log l
                            WHERE l.workspace_id = w.id),
                        (SELECT count(*) FROM members m
                            WHERE m.workspace_id = w.id AND m.removed_at IS NULL),
                        (SELECT count(*) FROM devices d
                            WHERE d.workspace_id = w.id AND d.revoked_at IS NULL)
                     FROM workspaces w ORDER BY w.created_at, w.id",
                    &[],
                )
                .await?
                {
                    listing.push(crate::admin::WorkspaceSummary {
                        workspace_id: to_id(row.try_get(0)?)?.to_hex(),
                        created_at: row.try_get(1)?,
                        head: to_seq(row.try_get(2)?)?,
                        log_entries: to_seq(row.try_get(3)?)?,
                        log_bytes: to_seq(row.try_get(4)?)?,
                        members: to_seq(row.try_get(5)?)?,
                        devices: to_seq(row.try_get(6)?)?,
                    });
                }
                Ok(listing)
            })
        })
        .await
    }

    /// Workspaces, log entries and log bytes across the whole database (the `/metrics` log
    /// gauges).
    pub async fn log_size(&self) -> StorageResult<crate::metrics::LogSize> {
        self.read(|tx| {
            Box::pin(async move {
                let row = one(
                    tx,
                    "SELECT (SELECT count(*) FROM workspaces), count(*),
                            coalesce(sum(length(bytes)), 0)::bigint FROM log",
                    &[],
                )
                .await?;
                Ok(crate::metrics::LogSize {
                    workspaces: to_seq(row.try_get(0)?)?,
                    entries: to_seq(row.try_get(1)?)?,
                    bytes: to_seq(row.try_get(2)?)?,
                })
            })
        })
        .await
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

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// At most one row.
async fn opt(tx: &Tx<'_>, sql: &str, params: Params<'_>) -> StorageResult<Option<Row>> {
    let stmt = tx.prepare_cached(sql).await?;
    Ok(tx.query_opt(&stmt, params).await?)
}

/// Exactly one row.
async fn one(tx: &Tx<'_>, sql: &str, params: Params<'_>) -> StorageResult<Row> {
    let stmt = tx.prepare_cached(sql).await?;
    Ok(tx.query_one(&stmt, params).await?)
}

/// Every row.
async fn all(tx: &Tx<'_>, sql: &str, params: Params<'_>) -> StorageResult<Vec<Row>> {
    let stmt = tx.prepare_cached(sql).await?;
    Ok(tx.query(&stmt, params).await?)
}

/// Rows changed.
async fn exec(tx: &Tx<'_>, sql: &str, params: Params<'_>) -> StorageResult<u64> {
    let stmt = tx.prepare_cached(sql).await?;
    Ok(tx.execute(&stmt, params).await?)
}

fn b(id: &Id) -> &[u8] {
    id.as_bytes().as_slice()
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

/// Locks a workspace's row for the rest of the transaction and returns its head;
/// [`StorageError::NotFound`] if there is no such workspace.
async fn lock_workspace(tx: &Tx<'_>, workspace: &Id) -> StorageResult<i64> {
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
async fn notify(tx: &Tx<'_>, channel: &str, payload: &str) -> StorageResult<()> {
    one(tx, "SELECT pg_notify($1, $2)", &[&channel, &payload]).await?;
    Ok(())
}

/// Tells every relay process that these devices were revoked (on commit).
async fn notify_revoked(tx: &Tx<'_>, workspace: &Id, devices: &[Id]) -> StorageResult<()> {
    for chunk in devices.chunks(DEVICES_PER_NOTIFICATION) {
        let list: Vec<String> = chunk.iter().map(Id::to_hex).collect();
        let payload = format!("{} {}", workspace.to_hex(), list.join(","));
        notify(tx, REVOCATIONS_CHANNEL, &payload).await?;
    }
    Ok(())
}

async fn create_workspace(tx: &Tx<'_>, new: &NewWorkspace) -> StorageResult<()> {
    let ws = b(&new.workspace_id);
    let inserted = exec(
        tx,
        "INSERT INTO workspaces (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        &[&ws, &new.now],
    )
    .await?;
    if inserted == 0 {
        return Err(StorageError::Conflict);
    }
    exec(
        tx,
        "INSERT INTO members (workspace_id, member_id, role, created_at) VALUES ($1, $2, $3, $4)",
        &[&ws, &b(&new.member_id), &Role::Owner.as_str(), &new.now],
    )
    .await?;
    insert_device(
        tx,
        &NewDevice {
            token_hash: &new.token_hash,
            workspace: &new.workspace_id,
            member: &new.member_id,
            device: &new.device_id,
            key: &new.device_key,
            now: new.now,
        },
    )
    .await
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

async fn insert_device(tx: &Tx<'_>, d: &NewDevice<'_>) -> StorageResult<()> {
    exec(
        tx,
        "INSERT INTO devices
            (token_hash, workspace_id, member_id, device_id, device_key, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &d.token_hash.as_bytes().as_slice(),
            &b(d.workspace),
            &b(d.member),
            &b(d.device),
            &d.key.0.as_slice(),
            &d.now,
        ],
    )
    .await?;
    Ok(())
}

/// Finds a device by its token: one statement outside a transaction (it runs on every
/// request, and a single statement reads one snapshot anyway).
async fn device_by_token(
    client: &deadpool_postgres::Object,
    token: &SecretHash,
) -> StorageResult<Option<TokenLookup>> {
    let stmt = client
        .prepare_cached(
            "SELECT d.workspace_id, d.member_id, d.device_id, m.role,
                d.revoked_at IS NOT NULL OR m.removed_at IS NOT NULL
         FROM devices d
         JOIN members m ON m.workspace_id = d.workspace_id AND m.member_id = d.member_id
         WHERE d.token_hash = $1",
        )
        .await?;
    let row = client
        .query_opt(&stmt, &[&token.as_bytes().as_slice()])
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    if row.try_get::<_, bool>(4)? {
        return Ok(Some(TokenLookup::Revoked));
    }
    Ok(Some(TokenLookup::Active(DeviceAuth {
        workspace_id: to_id(row.try_get(0)?)?,
        member_id: to_id(row.try_get(1)?)?,
        device_id: to_id(row.try_get(2)?)?,
        role: to_role(row.try_get(3)?)?,
    })))
}

async fn create_invite(tx: &Tx<'_>, invite: &NewInvite) -> StorageResult<()> {
    lock_workspace(tx, &invite.workspace_id).await?;
    // The invite code will carry the key of the current epoch; redeeming it after a rotation
    // would let a device in with an outdated key.
    exec(
        tx,
        "INSERT INTO invites
            (secret_hash, workspace_id, role, device, inviter_member_id, expires_at, key_epoch)
         VALUES ($1, $2, $3, $4, $5, $6, (SELECT key_epoch FROM workspaces WHERE id = $2))",
        &[
            &invite.secret_hash.as_bytes().as_slice(),
            &b(&invite.workspace_id),
            &invite.role.as_str(),
            &invite.device,
            &b(&invite.inviter_member_id),
            &invite.expires_at,
        ],
    )
    .await?;
    Ok(())
}

async fn redeem_invite(tx: &Tx<'_>, r: &Redemption) -> StorageResult<Redeemed> {
    // The workspace the invitee names; an invite of another one is answered NotFound below.
    match lock_workspace(tx, &r.workspace_id).await {
        Err(StorageError::NotFound) => return Err(StorageError::NotFound),
        other => other?,
    };
    let invite = opt(
        tx,
        "SELECT i.workspace_id, i.role, i.device, i.inviter_member_id, i.expires_at,
                i.used_at, i.key_epoch = w.key_epoch
         FROM invites i JOIN workspaces w ON w.id = i.workspace_id
         WHERE i.secret_hash = $1",
        &[&r.secret_hash.as_bytes().as_slice()],
    )
    .await?
    .ok_or(StorageError::NotFound)?;
    if to_id(invite.try_get(0)?)? != r.workspace_id {
        return Err(StorageError::NotFound);
    }
    let role: String = invite.try_get(1)?;
    let device: bool = invite.try_get(2)?;
    let inviter = to_id(invite.try_get(3)?)?;
    let expires_at: i64 = invite.try_get(4)?;
    let used_at: Option<i64> = invite.try_get(5)?;
    let current_key: bool = invite.try_get(6)?;
    if used_at.is_some() || expires_at <= r.now {
        return Err(StorageError::Gone);
    }
    let ws = b(&r.workspace_id);
    // The inviter, with her role as it is now; an invite dies with its issuer's membership.
    let inviter_role = opt(
        tx,
        "SELECT role FROM members
         WHERE workspace_id = $1 AND member_id = $2 AND removed_at IS NULL",
        &[&ws, &b(&inviter)],
    )
    .await?;
    let Some(inviter_role) = inviter_role else {
        return Err(StorageError::Gone);
    };
    if !current_key {
        return Err(Refusal::InviteOutdated.into());
    }
    let device_taken = opt(
        tx,
        "SELECT 1 FROM devices WHERE workspace_id = $1 AND device_id = $2 LIMIT 1",
        &[&ws, &b(&r.device_id)],
    )
    .await?
    .is_some();
    if device_taken {
        return Err(Refusal::DeviceIdTaken.into());
    }
    let redeemed = if device {
        // The device joins its inviter, with the inviter's role as it is now.
        Redeemed {
            member_id: inviter,
            role: to_role(inviter_role.try_get(0)?)?,
        }
    } else {
        let taken = opt(
            tx,
            "SELECT 1 FROM members WHERE workspace_id = $1 AND member_id = $2",
            &[&ws, &b(&r.member_id)],
        )
        .await?
        .is_some();
        if taken {
            return Err(StorageError::Conflict);
        }
        let role = to_role(role)?;
        exec(
            tx,
            "INSERT INTO members (workspace_id, member_id, role, created_at)
             VALUES ($1, $2, $3, $4)",
            &[&ws, &b(&r.member_id), &role.as_str(), &r.now],
        )
        .await?;
        Redeemed {
            member_id: r.member_id,
            role,
        }
    };
    insert_device(
        tx,
        &NewDevice {
            token_hash: &r.token_hash,
            workspace: &r.workspace_id,
            member: &redeemed.member_id,
            device: &r.device_id,
            key: &r.device_key,
            now: r.now,
        },
    )
    .await?;
    let marked = exec(
        tx,
        "UPDATE invites SET used_at = $1 WHERE secret_hash = $2 AND used_at IS NULL",
        &[&r.now, &r.secret_hash.as_bytes().as_slice()],
    )
    .await?;
    if marked != 1 {
        return Err(StorageError::Gone);
    }
    Ok(redeemed)
}

async fn push(
    tx: &Tx<'_>,
    workspace: &Id,
    entries: &[PushEntry],
    sealed_with: Option<u32>,
) -> StorageResult<PushOutcome> {
    // The row lock queues concurrent pushes to this workspace, whichever process serves them.
    let state = opt(
        tx,
        "SELECT head, key_epoch, rotation_needed FROM workspaces WHERE id = $1 FOR UPDATE",
        &[&b(workspace)],
    )
    .await?
    .ok_or(StorageError::NotFound)?;
    let mut head: i64 = state.try_get(0)?;
    let key_epoch = to_epoch(state.try_get(1)?)?;
    let rotation_needed: bool = state.try_get(2)?;
    if let Some(sealed) = sealed_with.filter(|&sealed| sealed < key_epoch) {
        return Err(StorageError::StaleKey {
            sealed,
            current: key_epoch,
        });
    }
    let ws = b(workspace);
    // The entries already stored, in one query: a retry keeps their seqs.
    let docs: Vec<&[u8]> = entries.iter().map(|e| b(&e.doc_id)).collect();
    let hashes: Vec<&[u8]> = entries.iter().map(|e| e.change_hash.as_slice()).collect();
    let mut known = std::collections::HashMap::new();
    for row in all(
        tx,
        "SELECT l.doc_id, l.change_hash, l.seq FROM log l
         JOIN unnest($2::bytea[], $3::bytea[]) AS e(doc_id, change_hash)
           ON l.doc_id = e.doc_id AND l.change_hash = e.change_hash
         WHERE l.workspace_id = $1",
        &[&ws, &docs, &hashes],
    )
    .await?
    {
        let key: (Vec<u8>, Vec<u8>) = (row.try_get(0)?, row.try_get(1)?);
        known.insert(key, row.try_get::<_, i64>(2)?);
    }
    let mut seqs = Vec::with_capacity(entries.len());
    let (mut new_seqs, mut new_docs, mut new_hashes, mut new_bytes) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for e in entries {
        let key = (e.doc_id.as_bytes().to_vec(), e.change_hash.to_vec());
        let seq = match known.get(&key) {
            Some(&seq) => seq,
            None => {
                head += 1;
                known.insert(key, head);
                new_seqs.push(head);
                new_docs.push(b(&e.doc_id));
                new_hashes.push(e.change_hash.as_slice());
                new_bytes.push(e.bytes.as_slice());
                head
            }
        };
        seqs.push(to_seq(seq)?);
    }
    let stored = new_seqs.len() as u64;
    if stored > 0 {
        exec(
            tx,
            "INSERT INTO log (workspace_id, seq, doc_id, change_hash, bytes)
             SELECT $1, * FROM unnest($2::bigint[], $3::bytea[], $4::bytea[], $5::bytea[])",
            &[&ws, &new_seqs, &new_docs, &new_hashes, &new_bytes],
        )
        .await?;
        exec(
            tx,
            "UPDATE workspaces SET head = $1 WHERE id = $2",
            &[&head, &ws],
        )
        .await?;
        notify(tx, HEADS_CHANNEL, &format!("{} {head}", workspace.to_hex())).await?;
    }
    Ok(PushOutcome {
        seqs,
        stored,
        head: to_seq(head)?,
        key_epoch,
        rotation_needed,
    })
}

async fn pull(tx: &Tx<'_>, workspace: &Id, q: PullQuery) -> StorageResult<PullBatch> {
    let ws = b(workspace);
    let (head, floor) = match opt(
        tx,
        "SELECT head, log_floor FROM workspaces WHERE id = $1",
        &[&ws],
    )
    .await?
    {
        Some(row) => (to_seq(row.try_get(0)?)?, to_seq(row.try_get(1)?)?),
        None => (0, 0),
    };
    if q.after.saturating_add(1) < floor {
        // The entries right after `after` were compacted into a checkpoint.
        return Err(StorageError::Compacted { floor });
    }
    let after = i64::try_from(q.after).unwrap_or(i64::MAX);
    let limit = i64::try_from(q.limit).unwrap_or(i64::MAX);
    let mut entries = Vec::new();
    let mut total = 0usize;
    for row in all(
        tx,
        "SELECT seq, doc_id, change_hash, bytes FROM log
         WHERE workspace_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        &[&ws, &after, &limit],
    )
    .await?
    {
        let bytes: Vec<u8> = row.try_get(3)?;
        if !entries.is_empty() && total.saturating_add(bytes.len()) > q.max_bytes {
            break;
        }
        total = total.saturating_add(bytes.len());
        let hash: Vec<u8> = row.try_get(2)?;
        let change_hash: [u8; HASH_LEN] = hash
            .try_into()
            .map_err(|_| StorageError::Corrupt("change hash"))?;
        entries.push(LogEntry {
            seq: to_seq(row.try_get(0)?)?,
            doc_id: to_id(row.try_get(1)?)?,
            change_hash,
            bytes,
        });
    }
    // Seqs are gap-free, so entries remain exactly when the last one returned is before head.
    let last = entries.last().map_or(q.after, |e| e.seq);
    Ok(PullBatch {
        head,
        more: last < head,
        entries,
    })
}

async fn head(tx: &Tx<'_>, workspace: &Id) -> StorageResult<u64> {
    let row = opt(
        tx,
        "SELECT head FROM workspaces WHERE id = $1",
        &[&b(workspace)],
    )
    .await?;
    match row {
        Some(row) => to_seq(row.try_get(0)?),
        None => Ok(0),
    }
}

async fn members(tx: &Tx<'_>, workspace: &Id) -> StorageResult<MembersResponse> {
    let ws = b(workspace);
    let state = opt(
        tx,
        "SELECT key_epoch, rotation_needed FROM workspaces WHERE id = $1",
        &[&ws],
    )
    .await?
    .ok_or(StorageError::NotFound)?;
    let mut members = Vec::new();
    for row in all(
        tx,
        "SELECT member_id, role, removed_at IS NOT NULL FROM members
         WHERE workspace_id = $1 ORDER BY created_at, member_id",
        &[&ws],
    )
    .await?
    {
        members.push(MemberInfo {
            member_id: to_id(row.try_get(0)?)?,
            role: to_role(row.try_get(1)?)?,
            removed: row.try_get(2)?,
        });
    }
    let mut devices = Vec::new();
    for row in all(
        tx,
        "SELECT d.device_id, d.member_id, d.device_key, d.created_at,
                d.revoked_at IS NOT NULL OR m.removed_at IS NOT NULL
         FROM devices d
         JOIN members m ON m.workspace_id = d.workspace_id AND m.member_id = d.member_id
         WHERE d.workspace_id = $1 ORDER BY d.created_at, d.device_id",
        &[&ws],
    )
    .await?
    {
        // Devices registered before keys existed have none: listed as "".
        let key: Option<Vec<u8>> = row.try_get(2)?;
        devices.push(DeviceInfo {
            device_id: to_id(row.try_get(0)?)?,
            member_id: to_id(row.try_get(1)?)?,
            device_key: key.map(hex::encode).unwrap_or_default(),
            created_at: row.try_get(3)?,
            revoked: row.try_get(4)?,
        });
    }
    Ok(MembersResponse {
        members,
        devices,
        key_epoch: to_epoch(state.try_get(0)?)?,
        rotation_needed: state.try_get(1)?,
    })
}

/// The calling device's member's current role, read inside the transaction;
/// [`Refusal::CallerRevoked`] if the device was revoked or its member removed meanwhile.
async fn actor_role(tx: &Tx<'_>, actor: &DeviceAuth) -> StorageResult<Role> {
    let row = opt(
        tx,
        "SELECT m.role FROM devices d
         JOIN members m ON m.workspace_id = d.workspace_id AND m.member_id = d.member_id
         WHERE d.workspace_id = $1 AND d.device_id = $2 AND d.member_id = $3
           AND d.revoked_at IS NULL AND m.removed_at IS NULL
         LIMIT 1",
        &[
            &b(&actor.workspace_id),
            &b(&actor.device_id),
            &b(&actor.member_id),
        ],
    )
    .await?
    .ok_or(Refusal::CallerRevoked)?;
    to_role(row.try_get(0)?)
}

/// Locks the actor's workspace, then reads the actor's role (see [`actor_role`]).
async fn lock_for(tx: &Tx<'_>, actor: &DeviceAuth) -> StorageResult<Role> {
    match lock_workspace(tx, &actor.workspace_id).await {
        // The caller authenticated against this workspace; if it is gone, so is the caller.
        Err(StorageError::NotFound) => return Err(Refusal::CallerRevoked.into()),
        other => other?,
    };
    actor_role(tx, actor).await
}

/// A member's role and whether it was removed; [`StorageError::NotFound`] if there is none.
async fn member_row(tx: &Tx<'_>, workspace: &Id, member: &Id) -> StorageResult<(Role, bool)> {
    let row = opt(
        tx,
        "SELECT role, removed_at IS NOT NULL FROM members
         WHERE workspace_id = $1 AND member_id = $2",
        &[&b(workspace), &b(member)],
    )
    .await?
    .ok_or(StorageError::NotFound)?;
    Ok((to_role(row.try_get(0)?)?, row.try_get(1)?))
}

async fn mark_rotation_needed(tx: &Tx<'_>, workspace: &Id) -> StorageResult<()> {
    exec(
        tx,
        "UPDATE workspaces SET rotation_needed = true WHERE id = $1",
        &[&b(workspace)],
    )
    .await?;
    Ok(())
}

/// Marks a member removed and revokes its unrevoked devices; returns those devices.
async fn remove_member_rows(
    tx: &Tx<'_>,
    workspace: &Id,
    member: &Id,
    now: i64,
) -> StorageResult<Vec<Id>> {
    let (ws, member) = (b(workspace), b(member));
    exec(
        tx,
        "UPDATE members SET removed_at = $1
         WHERE workspace_id = $2 AND member_id = $3 AND removed_at IS NULL",
        &[&now, &ws, &member],
    )
    .await?;
    let mut revoked = Vec::new();
    for row in all(
        tx,
        "UPDATE devices SET revoked_at = $1
         WHERE workspace_id = $2 AND member_id = $3 AND revoked_at IS NULL
         RETURNING device_id",
        &[&now, &ws, &member],
    )
    .await?
    {
        revoked.push(to_id(row.try_get(0)?)?);
    }
    revoked.sort();
    revoked.dedup();
    Ok(revoked)
}

/// Checks a rotation against the workspace as it is inside the transaction, stores its sealed
/// keys, bumps the epoch and clears the rotation mark.
async fn apply_rotation(tx: &Tx<'_>, workspace: &Id, rotation: &KeyRotation) -> StorageResult<()> {
    let ws = b(workspace);
    let epoch: i64 = opt(tx, "SELECT key_epoch FROM workspaces WHERE id = $1", &[&ws])
        .await?
        .ok_or(StorageError::NotFound)?
        .try_get(0)?;
    let mut remaining = Vec::new();
    for row in all(
        tx,
        "SELECT DISTINCT d.device_id FROM devices d
         JOIN members m ON m.workspace_id = d.workspace_id AND m.member_id = d.member_id
         WHERE d.workspace_id = $1 AND d.revoked_at IS NULL AND m.removed_at IS NULL",
        &[&ws],
    )
    .await?
    {
        remaining.push(to_id(row.try_get(0)?)?);
    }
    policy::check_rotation(to_epoch(epoch)?, &remaining, rotation)?;
    let new_epoch = i64::from(rotation.epoch);
    for wrapped in &rotation.wrapped {
        exec(
            tx,
            "INSERT INTO sealed_keys (workspace_id, epoch, device_id, sealed)
             VALUES ($1, $2, $3, $4)",
            &[&ws, &new_epoch, &b(&wrapped.device_id), &wrapped.sealed],
        )
        .await?;
    }
    exec(
        tx,
        "UPDATE workspaces SET key_epoch = $1, rotation_needed = false WHERE id = $2",
        &[&new_epoch, &ws],
    )
    .await?;
    Ok(())
}

async fn revoke_device(
    tx: &Tx<'_>,
    actor: &DeviceAuth,
    device: &Id,
    now: i64,
) -> StorageResult<Vec<Id>> {
    let role = lock_for(tx, actor).await?;
    let ws = b(&actor.workspace_id);
    let row = opt(
        tx,
        "SELECT member_id, bool_and(revoked_at IS NOT NULL) FROM devices
         WHERE workspace_id = $1 AND device_id = $2 GROUP BY member_id LIMIT 1",
        &[&ws, &b(device)],
    )
    .await?
    .ok_or(StorageError::NotFound)?;
    let already_revoked: bool = row.try_get(1)?;
    policy::may_revoke(role, actor.member_id, to_id(row.try_get(0)?)?)?;
    if already_revoked {
        return Ok(Vec::new());
    }
    exec(
        tx,
        "UPDATE devices SET revoked_at = $1
         WHERE workspace_id = $2 AND device_id = $3 AND revoked_at IS NULL",
        &[&now, &ws, &b(device)],
    )
    .await?;
    mark_rotation_needed(tx, &actor.workspace_id).await?;
    notify_revoked(tx, &actor.workspace_id, &[*device]).await?;
    Ok(vec![*device])
}

async fn remove_member(
    tx: &Tx<'_>,
    actor: &DeviceAuth,
    member: &Id,
    rotation: &KeyRotation,
    now: i64,
) -> StorageResult<Vec<Id>> {
    let role = lock_for(tx, actor).await?;
    let (target_role, removed) = member_row(tx, &actor.workspace_id, member).await?;
    policy::may_remove(role, actor.member_id, target_role, *member)?;
    if removed {
        return Err(Refusal::MemberRemoved.into());
    }
    let revoked = remove_member_rows(tx, &actor.workspace_id, member, now).await?;
    // Checked against the devices that remain once the member is gone; an error rolls the
    // transaction back, removal included.
    apply_rotation(tx, &actor.workspace_id, rotation).await?;
    notify_revoked(tx, &actor.workspace_id, &revoked).await?;
    Ok(revoked)
}

async fn leave(tx: &Tx<'_>, actor: &DeviceAuth, now: i64) -> StorageResult<Vec<Id>> {
    let role = lock_for(tx, actor).await?;
    policy::may_leave(role)?;
    let revoked = remove_member_rows(tx, &actor.workspace_id, &actor.member_id, now).await?;
    mark_rotation_needed(tx, &actor.workspace_id).await?;
    notify_revoked(tx, &actor.workspace_id, &revoked).await?;
    Ok(revoked)
}

async fn rotate_key(tx: &Tx<'_>, actor: &DeviceAuth, rotation: &KeyRotation) -> StorageResult<()> {
    let role = lock_for(tx, actor).await?;
    policy::may_rotate(role)?;
    apply_rotation(tx, &actor.workspace_id, rotation).await
}

async fn sealed_keys(
    tx: &Tx<'_>,
    workspace: &Id,
    device: &Id,
    after: u32,
) -> StorageResult<Vec<KeyEnvelope>> {
    let mut keys = Vec::new();
    for row in all(
        tx,
        "SELECT epoch, sealed FROM sealed_keys
         WHERE workspace_id = $1 AND device_id = $2 AND epoch > $3 ORDER BY epoch",
        &[&b(workspace), &b(device), &i64::from(after)],
    )
    .await?
    {
        keys.push(KeyEnvelope {
            epoch: to_epoch(row.try_get(0)?)?,
            sealed: row.try_get(1)?,
        });
    }
    Ok(keys)
}

async fn transfer_ownership(tx: &Tx<'_>, actor: &DeviceAuth, to: &Id) -> StorageResult<()> {
    let role = lock_for(tx, actor).await?;
    let (_, removed) = member_row(tx, &actor.workspace_id, to).await?;
    policy::may_transfer(role, actor.member_id, *to, removed)?;
    let ws = b(&actor.workspace_id);
    exec(
        tx,
        "UPDATE members SET role = $1 WHERE workspace_id = $2 AND member_id = $3",
        &[&Role::Admin.as_str(), &ws, &b(&actor.member_id)],
    )
    .await?;
    exec(
        tx,
        "UPDATE members SET role = $1 WHERE workspace_id = $2 AND member_id = $3",
        &[&Role::Owner.as_str(), &ws, &b(to)],
    )
    .await?;
    Ok(())
}

/// Takes one request from a caller's shared token bucket (GCRA: the bucket is the caller's
/// "theoretical arrival time", `tat`; a request is allowed if moving it one interval on stays
/// within the burst of now). One upsert; now and then deletes buckets that are full again.
async fn take_request(
    inner: &Inner,
    caller: [u8; 32],
    now: i64,
    quota: RateQuota,
) -> StorageResult<Option<u64>> {
    let client = inner.pool.get().await?;
    if inner.counted.fetch_add(1, Ordering::Relaxed) % SWEEP_RATE_BUCKETS_EVERY
        == SWEEP_RATE_BUCKETS_EVERY - 1
    {
        let stmt = client
            .prepare_cached("DELETE FROM rate_buckets WHERE tat < $1")
            .await?;
        client.execute(&stmt, &[&now]).await?;
    }
    let stmt = client
        .prepare_cached(
            "INSERT INTO rate_buckets AS b (caller, tat, allowed)
             VALUES ($1, $2::bigint + $3::bigint, true)
             ON CONFLICT (caller) DO UPDATE SET
                tat = CASE WHEN greatest(b.tat, $2::bigint) + $3::bigint - $2::bigint
                                <= $4::bigint
                      THEN greatest(b.tat, $2::bigint) + $3::bigint ELSE b.tat END,
                allowed = greatest(b.tat, $2::bigint) + $3::bigint - $2::bigint <= $4::bigint
             RETURNING tat, allowed",
        )
        .await?;
    let row = client
        .query_one(
            &stmt,
            &[
                &caller.as_slice(),
                &now,
                &quota.interval_micros,
                &quota.burst_micros,
            ],
        )
        .await?;
    let (tat, allowed): (i64, bool) = (row.try_get(0)?, row.try_get(1)?);
    if allowed {
        return Ok(None);
    }
    let wait = tat
        .saturating_add(quota.interval_micros)
        .saturating_sub(quota.burst_micros)
        .saturating_sub(now);
    Ok(Some(u64::try_from(wait).unwrap_or(0)))
}

impl Storage for PgStorage {
    fn create_workspace(&self, new: NewWorkspace) -> BoxFuture<'_, StorageResult<()>> {
        self.write(move |tx| Box::pin(async move { create_workspace(tx, &new).await }))
    }

    fn device_by_token(
        &self,
        token: SecretHash,
    ) -> BoxFuture<'_, StorageResult<Option<TokenLookup>>> {
        Box::pin(async move {
            let client = self.inner.pool.get().await?;
            device_by_token(&client, &token).await
        })
    }

    fn create_invite(&self, invite: NewInvite) -> BoxFuture<'_, StorageResult<()>> {
        self.write(move |tx| Box::pin(async move { create_invite(tx, &invite).await }))
    }

    fn redeem_invite(&self, redemption: Redemption) -> BoxFuture<'_, StorageResult<Redeemed>> {
        self.write(move |tx| Box::pin(async move { redeem_invite(tx, &redemption).await }))
    }

    fn push(
        &self,
        workspace: Id,
        entries: Vec<PushEntry>,
        sealed_with: Option<u32>,
    ) -> BoxFuture<'_, StorageResult<PushOutcome>> {
        self.write(move |tx| {
            Box::pin(async move { push(tx, &workspace, &entries, sealed_with).await })
        })
    }

    fn pull(&self, workspace: Id, query: PullQuery) -> BoxFuture<'_, StorageResult<PullBatch>> {
        self.read(move |tx| Box::pin(async move { pull(tx, &workspace, query).await }))
    }

    fn head(&self, workspace: Id) -> BoxFuture<'_, StorageResult<u64>> {
        self.read(move |tx| Box::pin(async move { head(tx, &workspace).await }))
    }

    fn members(&self, workspace: Id) -> BoxFuture<'_, StorageResult<MembersResponse>> {
        self.read(move |tx| Box::pin(async move { members(tx, &workspace).await }))
    }

    fn revoke_device(
        &self,
        actor: DeviceAuth,
        device: Id,
        now: i64,
    ) -> BoxFuture<'_, StorageResult<Vec<Id>>> {
        self.write(move |tx| Box::pin(async move { revoke_device(tx, &actor, &device, now).await }))
    }

    fn remove_member(
        &self,
        actor: DeviceAuth,
        member: Id,
        rotation: KeyRotation,
        now: i64,
    ) -> BoxFuture<'_, StorageResult<Vec<Id>>> {
        self.write(move |tx| {
            Box::pin(async move { remove_member(tx, &actor, &member, &rotation, now).await })
        })
    }

    fn leave(&self, actor: DeviceAuth, now: i64) -> BoxFuture<'_, StorageResult<Vec<Id>>> {
        self.write(move |tx| Box::pin(async move { leave(tx, &actor, now).await }))
    }

    fn rotate_key(
        &self,
        actor: DeviceAuth,
        rotation: KeyRotation,
    ) -> BoxFuture<'_, StorageResult<()>> {
        self.write(move |tx| Box::pin(async move { rotate_key(tx, &actor, &rotation).await }))
    }

    fn sealed_keys(
        &self,
        workspace: Id,
        device: Id,
        after: u32,
    ) -> BoxFuture<'_, StorageResult<Vec<KeyEnvelope>>> {
        self.read(move |tx| {
            Box::pin(async move { sealed_keys(tx, &workspace, &device, after).await })
        })
    }

    fn transfer_ownership(&self, actor: DeviceAuth, to: Id) -> BoxFuture<'_, StorageResult<()>> {
        self.write(move |tx| Box::pin(async move { transfer_ownership(tx, &actor, &to).await }))
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
    ) -> BoxFuture<'_, StorageResult<Compaction>> {
        self.write(move |tx| {
            Box::pin(async move { checkpoints::complete(tx, &actor, &checkpoint, docs).await })
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
        Some(Box::pin(take_request(
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
