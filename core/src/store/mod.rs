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

use automerge::Automerge;
use rusqlite::{Connection, TransactionBehavior};

use crate::base::error::Result;
use crate::events::{Events, Listener, Subscription};
use crate::index::{self, catch_up, catch_up::CatchUp};
use crate::storage::db::{self, lock, Durability};
use crate::storage::docstore::{self, DocCache};
use crate::storage::workspace::{current_ws, Ws};

pub(crate) use write::{add_member, change_doc};

/// A device's local store.
///
/// All methods take `&self`; the store is `Send + Sync` and may be shared (e.g. in an `Arc`).
/// Local writes are synchronous and take well under a millisecond; network calls are `async`.
pub struct Store {
    /// Shared with the search catch-up thread, which takes it for one short transaction at a
    /// time.
    conn: Arc<Mutex<Connection>>,
    /// The search catch-up thread (see [`crate::index::catch_up`]).
    catch_up: CatchUp,
    pub(crate) events: Events,
    /// Recently written documents, so a write need not load its document from the file.
    pub(crate) docs: DocCache,
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
        db::prepare_files(path)?;
        let (mut conn, rebuild) = db::open(path, options.durability)?;
        db::checkpoint_in_background(&mut conn, path)?;
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
        let ws = current_ws(&conn)?;
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
