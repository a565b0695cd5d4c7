//! The store: one SQLite file per device, and the one path every local change takes.
//!
//! `change_doc` (in `write.rs`) is that path: in a single SQLite transaction it loads the
//! document (or makes its genesis), applies the automerge change, seals every new change into
//! the outbox, saves the document and rewrites its index rows. If the transaction commits, the
//! action survives a crash and will reach the relay; if it does not, nothing half-done is
//! visible.

mod read;
mod size_cap;
mod workspaces;
mod write;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use automerge::Automerge;
use rusqlite::{Connection, TransactionBehavior};

use crate::base::error::{Error, Result};
use crate::events::{Events, Listener, Subscription};
use crate::index::{self, catch_up, catch_up::CatchUp};
use crate::storage::db::{self, lock, Durability};
use crate::storage::docstore::{self, DocCache};
use crate::storage::workspace::{current_ws, Scope, Ws};

pub(crate) use write::{add_member, change_doc, change_doc_after, keep_signature, kept_signature};

/// A device's local store.
///
/// All methods take `&self`; the store is `Send + Sync` and may be shared (e.g. in an `Arc`).
/// Local writes are synchronous and take well under a millisecond; network calls are `async`.
pub struct Store {
    /// Shared with the search catch-up thread, which takes it for one short transaction at a
    /// time.
    conn: Arc<Mutex<Connection>>,
    /// The reads' own connection: in WAL mode it reads the last committed state while the
    /// writer is inside a transaction, so a screen never waits behind a pull applying a large
    /// batch or a bootstrap. `None` where a second connection would not see the same database
    /// (a browser's store, a store in memory): reads then take the writer's.
    reader: Option<Arc<Mutex<Connection>>>,
    /// The search catch-up thread, or its steps (see [`crate::index::catch_up`]).
    catch_up: Arc<CatchUp>,
    /// Who runs the background work.
    background: Background,
    pub(crate) events: Arc<Events>,
    /// Recently written documents, so a write need not load its document from the file.
    pub(crate) docs: DocCache,
    /// Each workspace's roster as last verified, so that a pull does not verify every event
    /// again: used while the file's newest roster event is still the one it ends with.
    pub(crate) rosters: std::sync::Mutex<
        std::collections::HashMap<trellis_protocol::Id, Arc<crate::roster::Roster>>,
    >,
    /// Practices or regions.
    pub(crate) scope: Scope,
}

/// How to open a [`Store`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreOptions {
    /// How hard each commit works to survive a crash; [`Durability::Normal`] by default.
    pub durability: Durability,
    /// Which workspaces the store acts on: practices by default, or regions. Two stores of
    /// different scopes may be open on one file at once.
    pub scope: Scope,
}

/// Who runs a store's background work: the search catch-up (`index::catch_up`), WAL
/// checkpoints off the write path, and delivering change events to listeners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Background {
    /// Threads of the store's own: every native store.
    Threads,
    /// The host, through [`Store::run_background`]: a browser's store, since
    /// `wasm32-unknown-unknown` has no threads. WAL checkpoints run inside commits, as SQLite
    /// does by default.
    Steps,
}

impl Background {
    /// The only choice this target has.
    const OF_TARGET: Background = if cfg!(target_arch = "wasm32") {
        Background::Steps
    } else {
        Background::Threads
    };
}

impl Store {
    /// Opens the store at `path`, creating the file (and its schema) if needed, with the
    /// default options.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        Store::open_with(path, StoreOptions::default())
    }

    /// Opens the store at `path` with `options`, creating the file (and its schema) if needed.
    ///
    /// In a browser build (`wasm32`) `path` names a file of the SQLite VFS in use (in memory
    /// unless the host registered a persistent one), and the store has no threads: its host
    /// calls [`Store::run_background`].
    pub fn open_with(path: impl AsRef<Path>, options: StoreOptions) -> Result<Store> {
        Store::open_in(path.as_ref(), options, Background::OF_TARGET)
    }

    /// Opens the store with its background work run by `background`.
    pub(crate) fn open_in(
        path: &Path,
        options: StoreOptions,
        background: Background,
    ) -> Result<Store> {
        if cfg!(target_arch = "wasm32") && background == Background::Threads {
            return Err(Error::invalid("a browser build has no threads"));
        }
        // A browser's files belong to the SQLite VFS, not to std::fs (which has none there).
        if !cfg!(target_arch = "wasm32") {
            db::prepare_files(path)?;
        }
        let (mut conn, rebuild) = db::open(path, options.durability)?;
        let threads = background == Background::Threads;
        if threads {
            db::checkpoint_in_background(&mut conn, path)?;
        }
        let events = Events::install(&mut conn, threads)?;
        let conn = Arc::new(Mutex::new(conn));
        if rebuild {
            rebuild_index(&mut lock(&conn))?;
        }
        let in_memory = path.as_os_str() == ":memory:" || path.as_os_str().is_empty();
        let reader = if threads && !in_memory {
            Some(Arc::new(Mutex::new(db::open_reader(path)?)))
        } else {
            None
        };
        // It starts on whatever the app left when it was last closed.
        let catch_up = if threads {
            CatchUp::start(Arc::clone(&conn))
        } else {
            CatchUp::stepped()
        };
        Ok(Store {
            conn,
            reader,
            catch_up: Arc::new(catch_up),
            background,
            events: Arc::new(events),
            docs: DocCache::default(),
            rosters: Default::default(),
            scope: options.scope,
        })
    }

    /// The same store acting on `scope`'s workspaces (a practice's store gives the store of the
    /// regions, and back): one connection, its background work and its listeners shared, so
    /// both see every write at once. Open a region's store this way rather than a second time
    /// on the file: in a browser, two stores on one file would not see each other's writes.
    pub fn with_scope(&self, scope: Scope) -> Store {
        Store {
            conn: Arc::clone(&self.conn),
            reader: self.reader.clone(),
            catch_up: Arc::clone(&self.catch_up),
            background: self.background,
            events: Arc::clone(&self.events),
            docs: DocCache::default(),
            rosters: Default::default(),
            scope,
        }
    }

    /// Which workspaces this store acts on.
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// Runs one step of the background work of a store without threads (a browser's): delivers
    /// the change events queued so far to the listeners, then writes one short transaction of
    /// the full-text rows left for later, once local writes have paused and no sync is under
    /// way (the rules of [`crate::index::catch_up`]). Returns when to call again: `None` when
    /// nothing is left until the next local write or sync (call it after each), else how long
    /// to wait. A host calls it from a timer, never from inside another call to the store.
    ///
    /// Every native store runs this work on threads of its own: there, it does nothing and
    /// returns `None`.
    pub fn run_background(&self) -> Result<Option<Duration>> {
        if self.background == Background::Threads {
            return Ok(None);
        }
        self.events.deliver_queued();
        self.catch_up.step(&self.conn)
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        lock(&self.conn)
    }

    /// The connection reads use: the reads' own when there is one, else the writer's.
    pub(crate) fn lock_reader(&self) -> MutexGuard<'_, Connection> {
        match &self.reader {
            Some(reader) => lock(reader),
            None => self.lock(),
        }
    }

    /// Holds the search catch-up thread back until the guard is dropped (see
    /// [`crate::index::catch_up`]): a sync does, so that it does not hold a bootstrap up.
    pub(crate) fn hold_search_catch_up(&self) -> catch_up::Hold<'_> {
        self.catch_up.hold()
    }

    /// Documents of the current workspace whose full-text rows are still to be written after
    /// this device bootstrapped a large practice (they are written in the background within
    /// seconds). While it is above zero an app may say that search is getting ready;
    /// [`Store::search`] writes what is left first, so a search never misses anything.
    pub fn search_backlog(&self) -> Result<u64> {
        let conn = self.lock();
        let ws = current_ws(&conn, self.scope)?;
        let n: i64 = conn.query_row(
            "SELECT count(*) FROM search_pending WHERE ws = ?1",
            [ws.id.to_hex()],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    /// Writes every full-text row left for later of workspace `ws` (see [`crate::index::catch_up`]),
    /// before a search reads them.
    pub(crate) fn finish_search_catch_up(&self, ws: &str) -> Result<()> {
        catch_up::write_everything(&mut self.lock(), ws)
    }

    /// Calls `listener` (on a background thread) whenever data changes or sync state moves,
    /// until the returned subscription is dropped. It hears the current sync state at once.
    pub fn subscribe(&self, listener: std::sync::Arc<dyn Listener>) -> Subscription {
        let current = crate::events::SyncState::Idle {
            last_sync_at: self
                .read(crate::read::status::status)
                .ok()
                .and_then(|s| s.last_sync_at),
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

    /// Rebuilds the whole index from the stored documents (e.g. after an upgrade).
    pub fn rebuild_index(&self) -> Result<()> {
        rebuild_index(&mut self.lock())
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
