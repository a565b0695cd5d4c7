//! The store: one SQLite file per device, and the one path every local change takes.
//!
//! [`Store::change_doc`] is that path: in a single SQLite transaction it loads the document (or
//! makes its genesis), applies the automerge change, seals every new change into the outbox,
//! saves the document and rewrites its index rows. If the transaction commits, the action
//! survives a crash and will reach the relay; if it does not, nothing half-done is visible.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use automerge::{ActorId, Automerge, ReadDoc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use trellis_protocol::api::Role;
use trellis_protocol::Id;

use crate::catch_up::CatchUp;
use crate::crypto::{DeviceKeys, KeyRing, WorkspaceKey};
use crate::db::Durability;
use crate::docs::{self, DocKind};
use crate::docstore::{self, DocCache, Tx};
use crate::error::{Error, Result};
use crate::events::{Events, Listener, Subscription};
use crate::index::{self, Touched};
use crate::model::WorkspaceInfo;

/// A device's local store.
///
/// All methods take `&self`; the store is `Send + Sync` and may be shared (e.g. in an `Arc`).
/// Local writes are synchronous and take well under a millisecond; network calls are `async`.
pub struct Store {
    /// Shared with the search catch-up thread, which takes it for one short transaction at a
    /// time.
    conn: Arc<Mutex<Connection>>,
    /// The search catch-up thread (see [`crate::catch_up`]).
    catch_up: CatchUp,
    pub(crate) events: Events,
    /// Recently written documents, so a write need not load its document from the file.
    pub(crate) docs: DocCache,
}

/// Locks the store's connection. A panic while holding the lock leaves SQLite consistent (the
/// transaction rolls back on drop), so a poisoned lock is safe to keep using.
pub(crate) fn lock(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    conn.lock().unwrap_or_else(|p| p.into_inner())
}

/// This device's identity.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Device {
    /// Device id (also its automerge actor id).
    pub id: String,
    /// The user's name, shown to the rest of the practice.
    pub name: String,
}

/// A workspace as loaded for an operation.
#[derive(Debug, Clone)]
pub(crate) struct Ws {
    pub id: Id,
    pub name: String,
    pub keys: KeyRing,
    pub member_id: Id,
    pub role: String,
    pub relay_url: Option<String>,
    pub token: Option<String>,
    pub cursor: u64,
}

impl Ws {
    /// A new workspace owned by this user, with fresh ids and key.
    pub(crate) fn new_owned(name: String, relay_url: Option<String>) -> Ws {
        Ws {
            id: Id::random(),
            name,
            keys: KeyRing::new(WorkspaceKey::generate()),
            member_id: Id::random(),
            role: Role::Owner.as_str().into(),
            relay_url,
            token: None,
            cursor: 0,
        }
    }
}

/// How to open a [`Store`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreOptions {
    /// How hard each commit works to survive a crash; [`Durability::Normal`] by default.
    pub durability: Durability,
}

impl Store {
    /// Opens the store at `path`, creating the file (and its schema) if needed, with the
    /// default options.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        Store::open_with(path, StoreOptions::default())
    }

    /// Opens the store at `path` with `options`, creating the file (and its schema) if needed.
    pub fn open_with(path: impl AsRef<Path>, options: StoreOptions) -> Result<Store> {
        let path = path.as_ref();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::invalid(format!("cannot create the data directory: {e}")))?;
        }
        let (mut conn, rebuild) = crate::db::open(path, options.durability)?;
        crate::db::checkpoint_in_background(&mut conn, path)?;
        let events = Events::install(&mut conn)?;
        let conn = Arc::new(Mutex::new(conn));
        if rebuild {
            rebuild_index(&mut lock(&conn))?;
        }
        // It starts on whatever the app left when it was last closed.
        let catch_up = CatchUp::start(Arc::clone(&conn));
        Ok(Store {
            conn,
            catch_up,
            events,
            docs: DocCache::default(),
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        lock(&self.conn)
    }

    /// Holds the search catch-up thread back until the guard is dropped (see
    /// [`crate::catch_up`]): a sync does, so that it does not hold a bootstrap up.
    pub(crate) fn hold_search_catch_up(&self) -> crate::catch_up::Hold<'_> {
        self.catch_up.hold()
    }

    /// Documents of the current workspace whose full-text rows are still to be written after
    /// this device bootstrapped a large practice (they are written in the background within
    /// seconds). While it is above zero an app may say that search is getting ready;
    /// [`Store::search`] writes what is left first, so a search never misses anything.
    pub fn search_backlog(&self) -> Result<u64> {
        let conn = self.lock();
        let ws = current_ws(&conn)?;
        let n: i64 = conn.query_row(
            "SELECT count(*) FROM search_pending WHERE ws = ?1",
            [ws.id.to_hex()],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    /// Writes every full-text row left for later of workspace `ws` (see [`crate::catch_up`]),
    /// before a search reads them.
    pub(crate) fn finish_search_catch_up(&self, ws: &str) -> Result<()> {
        crate::catch_up::write_everything(&mut self.lock(), ws)
    }

    /// Calls `listener` (on a background thread) whenever data changes or sync state moves,
    /// until the returned subscription is dropped. It hears the current sync state at once.
    pub fn subscribe(&self, listener: std::sync::Arc<dyn Listener>) -> Subscription {
        let current = crate::events::SyncState::Idle {
            last_sync_at: self.status().ok().and_then(|s| s.last_sync_at),
        };
        self.events.subscribe(listener, current)
    }

    /// Records which workspace the next commit writes, for change events.
    pub(crate) fn mark(&self, ws: &Ws) {
        *self
            .events
            .workspace
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(ws.id.to_hex());
    }

    /// Sets up this device with the user's name. Fails if it is already set up.
    pub fn init(&self, name: &str) -> Result<Device> {
        let name = non_empty(name, "name")?;
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if get_meta(&tx, "device_id")?.is_some() {
            return Err(Error::Conflict(
                "this device is already set up; its data directory is in use".into(),
            ));
        }
        let id = Id::random().to_hex();
        set_meta(&tx, "device_id", &id)?;
        set_meta(&tx, "device_secret", &DeviceKeys::generate().secret_hex())?;
        set_meta(&tx, "user_name", &name)?;
        tx.commit()?;
        Ok(Device { id, name })
    }

    /// This device's identity.
    pub fn device(&self) -> Result<Device> {
        device(&self.lock())
    }

    /// Creates a workspace (a practice) on this device, with this user as its owner, and makes
    /// it current. It stays local until connected to a relay.
    pub fn create_workspace(&self, name: &str) -> Result<WorkspaceInfo> {
        let ws = Ws::new_owned(non_empty(name, "workspace name")?, None);
        let me = self.device()?;
        self.record_new_workspace(&ws, &me)
    }

    /// Stores a workspace this user just created, with the workspace document naming her its
    /// owner, and makes it current: one transaction.
    pub(crate) fn record_new_workspace(&self, ws: &Ws, me: &Device) -> Result<WorkspaceInfo> {
        self.mark(ws);
        let mut conn = self.lock();
        let tx = Tx::new(
            conn.transaction_with_behavior(TransactionBehavior::Immediate)?,
            &self.docs,
        );
        insert_workspace(&tx, ws)?;
        change_doc(&tx, ws, me, &ws.id, DocKind::Workspace, |t| {
            use automerge::transaction::Transactable;
            t.put(automerge::ROOT, "name", ws.name.as_str())?;
            add_member(t, &ws.member_id, &me.name, Role::Owner.as_str())
        })?;
        set_meta(&tx, "current_workspace", &ws.id.to_hex())?;
        tx.commit()?;
        Ok(info(ws, true))
    }

    /// Every workspace on this device.
    pub fn workspaces(&self) -> Result<Vec<WorkspaceInfo>> {
        let conn = self.lock();
        let current = get_meta(&conn, "current_workspace")?;
        let mut st = conn.prepare("SELECT id FROM workspaces ORDER BY created_at")?;
        let ids: Vec<String> = st
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.iter()
            .map(|id| {
                let ws = load_ws(&conn, id)?;
                Ok(info(&ws, current.as_deref() == Some(id.as_str())))
            })
            .collect()
    }

    /// Makes the workspace named or id-prefixed by `query` current.
    pub fn use_workspace(&self, query: &str) -> Result<WorkspaceInfo> {
        let all = self.workspaces()?;
        let q = query.trim().to_lowercase();
        let hits: Vec<&WorkspaceInfo> = all
            .iter()
            .filter(|w| w.id.starts_with(&q) || w.name.to_lowercase() == q)
            .collect();
        match hits.as_slice() {
            [one] => {
                set_meta(&self.lock(), "current_workspace", &one.id)?;
                Ok(WorkspaceInfo {
                    current: true,
                    ..(*one).clone()
                })
            }
            [] => Err(Error::NotFound {
                what: "workspace",
                query: query.into(),
                candidates: all.iter().map(|w| w.name.clone()).collect(),
            }),
            many => Err(Error::Ambiguous {
                what: "workspace",
                query: query.into(),
                candidates: many
                    .iter()
                    .map(|w| format!("{} ({})", w.name, &w.id[..8]))
                    .collect(),
            }),
        }
    }

    /// Rebuilds the whole index from the stored documents (e.g. after an upgrade).
    pub fn rebuild_index(&self) -> Result<()> {
        rebuild_index(&mut self.lock())
    }

    /// Runs `f` in one immediate transaction with the current workspace and this device.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Tx, &Ws, &Device) -> Result<T>) -> Result<T> {
        let out = {
            let mut conn = self.lock();
            let tx = Tx::new(
                conn.transaction_with_behavior(TransactionBehavior::Immediate)?,
                &self.docs,
            );
            let me = device(&tx)?;
            let ws = current_ws(&tx)?;
            self.mark(&ws);
            let out = f(&tx, &ws, &me)?;
            tx.commit()?;
            out
        };
        self.catch_up.wrote();
        Ok(out)
    }
}

/// Rebuilds the whole index from the stored documents, in one transaction.
fn rebuild_index(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let docs: Vec<(String, String)> = {
        let mut st = tx.prepare("SELECT ws, doc_id FROM documents")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for (ws, doc_id) in docs {
        let doc = Automerge::load(&docstore::stored_bytes(&tx, &ws, &doc_id)?)?;
        index::reindex(&tx, &ws, &doc_id, &doc)?;
    }
    // Each document's rewrite flushed the full-text index's pending rows into a segment of
    // its own: merge them into one, or every search reads thousands of small segments (at
    // 100,000 activities, a search took 6.3 ms in a fresh process before and 4.1 ms after).
    tx.execute("INSERT INTO search(search) VALUES ('optimize')", [])?;
    tx.commit()?;
    Ok(())
}

/// Applies `f` to document `doc_id` (made from its genesis if new) and records the change:
/// sealed changes into the outbox, what changed of the document, and the index rows of what
/// it touched. Call inside a transaction. Costs what changed, not the document's size (see
/// [`crate::docstore`]).
pub(crate) fn change_doc<T>(
    tx: &Tx,
    ws: &Ws,
    me: &Device,
    doc_id: &Id,
    kind: DocKind,
    f: impl FnOnce(&mut automerge::transaction::Transaction<'_>) -> Result<T>,
) -> Result<T> {
    let ws_hex = ws.id.to_hex();
    let doc_hex = doc_id.to_hex();
    let (mut doc, stored) = match tx.load(&ws_hex, &doc_hex)? {
        Some((doc, stored)) => (doc, Some(stored)),
        None => (docs::genesis(doc_id, kind)?, None),
    };
    doc.set_actor(actor(me)?);
    let mut done = doc
        .transact_and_log_patches(f)
        .map_err(|failure| failure.error)?;
    // A new document's genesis travels with its first change.
    let new_changes = match (stored, done.hash) {
        (None, _) => doc.get_changes(&[]),
        (Some(_), Some(hash)) => doc.get_change_by_hash(&hash).into_iter().collect(),
        (Some(_), None) => Vec::new(),
    };
    let kind_now = docs::kind_of(&doc);
    let touched = match (stored, new_changes.as_slice()) {
        (None, _) => Touched::All,
        (Some(_), []) => Touched::Entries(Default::default()),
        (Some(_), [change]) => match index::touched_by_change(&doc, kind_now, change) {
            Some(touched) => touched,
            None => index::touched(kind_now, &doc.make_patches(&mut done.patch_log)),
        },
        (Some(_), _) => index::touched(kind_now, &doc.make_patches(&mut done.patch_log)),
    };
    // What is stored of the change is its bytes as automerge made them: finding them again from
    // the document (`save_after`) would cost as much as making them.
    let tail: Vec<u8> = match stored {
        Some(_) => new_changes
            .iter()
            .flat_map(|c| c.raw_bytes())
            .copied()
            .collect(),
        None => Vec::new(),
    };
    for mut change in new_changes {
        let hash = ws.keys.keyed_hash(&change.hash().0);
        let envelope = ws.keys.seal(&ws.id, doc_id, &change.bytes());
        tx.prepare_cached(
            "INSERT INTO outbox (ws, doc_id, change_hash, envelope) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![ws_hex, doc_hex, hash.as_slice(), envelope])?;
    }
    index::update(tx, &ws_hex, &doc_hex, &doc, &touched)?;
    tx.save_changes(&ws_hex, &doc_hex, doc, &tail, stored)?;
    Ok(done.result)
}

/// Adds (or renames) a member in the workspace document.
pub(crate) fn add_member(
    t: &mut automerge::transaction::Transaction<'_>,
    member: &Id,
    name: &str,
    role: &str,
) -> Result<()> {
    use automerge::transaction::Transactable;
    use automerge::ReadDoc;
    let members = match t.get(automerge::ROOT, "members")? {
        Some((_, id)) => id,
        None => t.put_object(automerge::ROOT, "members", automerge::ObjType::Map)?,
    };
    let m = t.put_object(&members, member.to_hex(), automerge::ObjType::Map)?;
    t.put(&m, "name", name)?;
    t.put(&m, "role", role)?;
    Ok(())
}

fn actor(me: &Device) -> Result<ActorId> {
    let id: Id = me
        .id
        .parse()
        .map_err(|_| Error::invalid("the device id in this store is damaged"))?;
    Ok(ActorId::from(id.as_bytes().as_slice()))
}

pub(crate) fn device(conn: &Connection) -> Result<Device> {
    match (get_meta(conn, "device_id")?, get_meta(conn, "user_name")?) {
        (Some(id), Some(name)) => Ok(Device { id, name }),
        _ => Err(Error::NotInitialized),
    }
}

pub(crate) fn get_meta(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

pub(crate) fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

pub(crate) fn insert_workspace(conn: &Connection, ws: &Ws) -> Result<()> {
    conn.execute(
        "INSERT INTO workspaces (id, name, key, member_id, role, relay_url, token, cursor, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            ws.id.to_hex(),
            ws.name,
            ws.keys.iter().next().map(|(_, k)| k.as_bytes().to_vec()).unwrap_or_default(),
            ws.member_id.to_hex(),
            ws.role,
            ws.relay_url,
            ws.token,
            ws.cursor as i64,
            crate::time::now_rfc3339()
        ],
    )?;
    save_keys(conn, ws)
}

/// Stores every epoch of a workspace's key ring (existing epochs are kept).
pub(crate) fn save_keys(conn: &Connection, ws: &Ws) -> Result<()> {
    for (epoch, key) in ws.keys.iter() {
        conn.execute(
            "INSERT OR IGNORE INTO workspace_keys (ws, epoch, key) VALUES (?1, ?2, ?3)",
            params![ws.id.to_hex(), epoch, key.as_bytes().as_slice()],
        )?;
    }
    Ok(())
}

/// This device's key pair (made now if the store predates device keys).
pub(crate) fn device_keys(conn: &Connection) -> Result<DeviceKeys> {
    match get_meta(conn, "device_secret")? {
        Some(hex) => DeviceKeys::from_hex(&hex),
        None => {
            let keys = DeviceKeys::generate();
            set_meta(conn, "device_secret", &keys.secret_hex())?;
            Ok(keys)
        }
    }
}

pub(crate) fn current_ws(conn: &Connection) -> Result<Ws> {
    let id = get_meta(conn, "current_workspace")?.ok_or(Error::NoWorkspace)?;
    load_ws(conn, &id)
}

pub(crate) fn load_ws(conn: &Connection, id: &str) -> Result<Ws> {
    let row = conn
        .prepare_cached(
            "SELECT id, name, key, member_id, role, relay_url, token, cursor
             FROM workspaces WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, i64>(7)?,
            ))
        })
        .optional()?
        .ok_or(Error::NoWorkspace)?;
    let damaged = || Error::invalid("a workspace record in this store is damaged");
    Ok(Ws {
        id: row.0.parse().map_err(|_| damaged())?,
        name: row.1,
        keys: load_ring(conn, id, &row.2)?,
        member_id: row.3.parse().map_err(|_| damaged())?,
        role: row.4,
        relay_url: row.5,
        token: row.6,
        cursor: u64::try_from(row.7).unwrap_or(0),
    })
}

fn load_ring(conn: &Connection, ws: &str, first: &[u8]) -> Result<KeyRing> {
    let damaged = || Error::invalid("a workspace key in this store is damaged");
    let mut ring = KeyRing::new(WorkspaceKey::from_slice(first).map_err(|_| damaged())?);
    let mut st = conn.prepare_cached("SELECT epoch, key FROM workspace_keys WHERE ws = ?1")?;
    let rows = st.query_map([ws], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
    for row in rows {
        let (epoch, key) = row?;
        ring.insert(
            epoch,
            WorkspaceKey::from_slice(&key).map_err(|_| damaged())?,
        );
    }
    Ok(ring)
}

pub(crate) fn info(ws: &Ws, current: bool) -> WorkspaceInfo {
    WorkspaceInfo {
        id: ws.id.to_hex(),
        name: ws.name.clone(),
        relay_url: ws.relay_url.clone(),
        member_id: ws.member_id.to_hex(),
        role: ws.role.clone(),
        current,
    }
}

/// Trims `s` and refuses it if empty.
pub(crate) fn non_empty(s: &str, what: &str) -> Result<String> {
    let t = s.trim();
    if t.is_empty() {
        Err(Error::invalid(format!("the {what} must not be empty")))
    } else {
        Ok(t.to_string())
    }
}
