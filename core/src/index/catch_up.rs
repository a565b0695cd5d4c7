//! The search catch-up: one background thread per store that writes the full-text rows left
//! for later into the FTS table.
//!
//! Two things leave full-text rows for later:
//!
//! * a bulk bootstrap, which keeps each new document's index snapshot until its rows are
//!   written (`index::defer_search`): tokenizing every note of a large practice would double
//!   the time before lists can be browsed;
//! * every change to a logbook or ledger (a drop-by, a thank-you sent, a pull), which queues
//!   the full-text row of each entry it touched (`index::queue_search`): writing it into the
//!   FTS table's B-trees was a quarter of the pages a drop-by wrote.
//!
//! The thread waits for a pause in local writes ([`QUIET`]) so as not to make a drop-by wait
//! for it, unless [`QUEUE_WRITES`] writes came in without one (an import), and for any sync
//! under way to end ([`CatchUp::hold`]), so as not to slow a bootstrap down; it then writes in
//! short transactions until nothing is left, and waits again. A search never waits for it: it
//! writes whatever is left first (`Store::finish_search_catch_up`), so it never misses
//! anything; and nothing is lost if the app is closed first, since what is left is in the file
//! and the thread starts on it when the store opens again.
//!
//! A store without threads (a browser's: `wasm32-unknown-unknown` has none) keeps the same
//! rules as steps its host drives: [`CatchUp::step`] waits for the same pause, holds back for
//! the same syncs and writes the same transactions, one a call, and says when to call again
//! (`Store::run_background`).

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;
// std's clock panics in a browser; web-time reads `performance.now()` there.
#[cfg(not(target_arch = "wasm32"))]
use std::time::Instant;
#[cfg(target_arch = "wasm32")]
use web_time::Instant;

use rusqlite::{Connection, TransactionBehavior};

use crate::base::error::Result;
use crate::index;
use crate::storage::db::lock;

/// Entries (visits, contacts, organizations) a bootstrap left that the catch-up writes the
/// full-text rows of in one transaction, at least (a logbook is written whole): about 30 ms of
/// holding the store on the 2-core bench machine, so a write or a read that waits for it is
/// not held up long. Smaller transactions cost more in all (each flushes a full-text segment);
/// 200 and 5,000 finished the 100,000-visit bench practice within 10% of this.
const CATCH_UP_ENTRIES: usize = 1000;
/// Queued full-text rows the catch-up writes in one transaction: about 10 ms of holding the
/// store (rows of the queue each replace an entry's rows, which costs more than a first write).
const QUEUE_CHUNK: usize = 64;
/// The catch-up's pause between transactions, for anything waiting for the store.
const CATCH_UP_PAUSE: Duration = Duration::from_millis(1);
/// How long local writes must pause before the catch-up starts: a therapist logging a visit
/// and its follow-ups, or a run of drop-bys in a benchmark, is not held up by it.
pub(crate) const QUIET: Duration = Duration::from_millis(500);
/// Local writes after which the catch-up starts even without a pause (an import of hundreds
/// of visits), so that the queue, and the first search after, stay small.
const QUEUE_WRITES: usize = 2048;

/// The handle a [`crate::Store`] keeps on its catch-up thread; dropping it stops the thread
/// (after the transaction it is in, if any).
pub(crate) struct CatchUp {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
struct State {
    /// Rows may be waiting (set by opening the store, a sync and every local write).
    work: bool,
    /// Local writes since the catch-up last started.
    writes: usize,
    /// When the last local write was committed.
    last_write: Option<Instant>,
    /// Syncs under way ([`CatchUp::hold`]).
    held: usize,
    /// The store was dropped.
    closed: bool,
    /// A step of a store without threads wrote a bootstrap's rows in this pass: the WAL is
    /// truncated when the pass ends.
    bootstrap: bool,
}

impl State {
    /// How much longer the catch-up must wait at `now` for local writes to pause (`None`: it
    /// may start).
    fn wait(&self, now: Instant) -> Option<Duration> {
        let quiet = now.saturating_duration_since(self.last_write?);
        (quiet < QUIET && self.writes < QUEUE_WRITES).then(|| QUIET - quiet)
    }
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl CatchUp {
    /// The catch-up of a store without threads: [`CatchUp::step`] does its work, starting with
    /// whatever the app left when it was last closed.
    pub(crate) fn stepped() -> CatchUp {
        CatchUp {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    work: true,
                    ..State::default()
                }),
                wake: Condvar::new(),
            }),
        }
    }

    /// One step of the catch-up of a store without threads: unless a sync holds it back or
    /// local writes have not paused, writes one short transaction of the rows left for later.
    /// Returns when to call again: `None` when nothing is left (or a sync holds it back) until
    /// the next local write or sync, else the wait (the rest of the pause, or
    /// [`CATCH_UP_PAUSE`] between two transactions).
    pub(crate) fn step(&self, conn: &Mutex<Connection>) -> Result<Option<Duration>> {
        {
            let mut st = self.shared.state();
            if !st.work || st.held > 0 {
                return Ok(None);
            }
            if let Some(wait) = st.wait(Instant::now()) {
                return Ok(Some(wait));
            }
            st.work = false;
            st.writes = 0;
        }
        let (bootstrap, queued) = waiting(conn)?;
        let more = (bootstrap || queued) && write_some(&mut lock(conn))?;
        let mut st = self.shared.state();
        st.bootstrap |= bootstrap;
        if more {
            st.work = true;
            return Ok(Some(CATCH_UP_PAUSE));
        }
        if std::mem::take(&mut st.bootstrap) {
            drop(st);
            // Nobody else checkpoints in a store without threads: one try is enough.
            if let Err(e) = lock(conn).query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            {
                tracing::debug!("could not truncate the WAL after the search catch-up: {e}");
            }
        }
        Ok(None)
    }

    /// Starts the thread on the store's connection, with work to look for (what a bootstrap
    /// or local writes left before the app was last closed). Should the thread not start,
    /// searches still write what is left first.
    pub(crate) fn start(conn: Arc<Mutex<Connection>>) -> CatchUp {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                work: true,
                ..State::default()
            }),
            wake: Condvar::new(),
        });
        let thread_shared = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name("trellis-search".into())
            .spawn(move || run(&conn, &thread_shared));
        if let Err(e) = spawned {
            tracing::warn!("could not start the search catch-up: {e}");
        }
        CatchUp { shared }
    }

    /// Says a local write was just committed: the catch-up waits for writes to pause.
    pub(crate) fn wrote(&self) {
        let mut st = self.shared.state();
        st.work = true;
        st.writes += 1;
        st.last_write = Some(Instant::now());
        drop(st);
        self.shared.wake.notify_one();
    }

    /// Keeps the catch-up from starting (and stops it between two transactions) until the
    /// returned guard is dropped, which then tells it to look for rows: a sync holds it, since
    /// a bootstrap leaves rows for it and would otherwise share the store and the cores with it.
    pub(crate) fn hold(&self) -> Hold<'_> {
        self.shared.state().held += 1;
        Hold(self)
    }
}

/// Holds the catch-up back while it lives (see [`CatchUp::hold`]).
pub(crate) struct Hold<'a>(&'a CatchUp);

impl Drop for Hold<'_> {
    fn drop(&mut self) {
        let mut st = self.0.shared.state();
        st.held = st.held.saturating_sub(1);
        st.work = true;
        drop(st);
        self.0.shared.wake.notify_one();
    }
}

impl Drop for CatchUp {
    fn drop(&mut self) {
        self.shared.state().closed = true;
        self.shared.wake.notify_one();
    }
}

/// The thread: waits for work and a pause in local writes, then writes what is left.
fn run(conn: &Mutex<Connection>, shared: &Shared) {
    let mut st = shared.state();
    loop {
        if st.closed {
            return;
        }
        if !st.work || st.held > 0 {
            st = shared.wake.wait(st).unwrap_or_else(|p| p.into_inner());
            continue;
        }
        if let Some(wait) = st.wait(Instant::now()) {
            st = shared
                .wake
                .wait_timeout(st, wait)
                .unwrap_or_else(|p| p.into_inner())
                .0;
            continue;
        }
        st.work = false;
        st.writes = 0;
        drop(st);
        write_all(conn, shared);
        st = shared.state();
    }
}

/// Writes every full-text row left for later, in short transactions, unless the store is
/// dropped meanwhile; then, if a bootstrap's were among them, empties the WAL they filled.
/// Looks first, without taking SQLite's write lock: most of the time nothing is left.
fn write_all(conn: &Mutex<Connection>, shared: &Shared) {
    let bootstrap = match waiting(conn) {
        Ok((false, false)) => return,
        Ok((bootstrap, _)) => bootstrap,
        Err(e) => {
            tracing::warn!("the search catch-up could not look for rows to write: {e}");
            return;
        }
    };
    loop {
        {
            let mut st = shared.state();
            if st.closed {
                return;
            }
            if st.held > 0 {
                // Started again when the sync is done, with this work still to do.
                st.work = true;
                return;
            }
        }
        // The store is free again before the pause (a guard in `match`'s head would be held
        // through its arms).
        let more = write_some(&mut lock(conn));
        match more {
            Ok(true) => std::thread::sleep(CATCH_UP_PAUSE),
            Ok(false) => break,
            Err(e) => {
                tracing::warn!("the search catch-up stopped: {e}");
                return;
            }
        }
    }
    if bootstrap {
        truncate_wal(conn, shared);
    }
}

/// Whether a bootstrap's rows, and queued rows, are waiting (without taking the write lock).
fn waiting(conn: &Mutex<Connection>) -> Result<(bool, bool)> {
    Ok(lock(conn).query_row(
        "SELECT EXISTS (SELECT 1 FROM search_pending), EXISTS (SELECT 1 FROM search_queue)",
        [],
        |r| Ok((r.get::<_, bool>(0)?, r.get::<_, bool>(1)?)),
    )?)
}

/// One transaction of the catch-up: a bootstrap's rows first, then queued ones. Returns
/// whether any are left.
fn write_some(conn: &mut Connection) -> Result<bool> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let more = index::catch_up_search(&tx, None, CATCH_UP_ENTRIES)?
        || index::write_queued_search(&tx, None, QUEUE_CHUNK)? == QUEUE_CHUNK;
    tx.commit()?;
    Ok(more)
}

/// Writes every full-text row left for later of workspace `ws` at once (before a search reads
/// them), in the caller's connection.
pub(crate) fn write_everything(conn: &mut Connection, ws: &str) -> Result<()> {
    let waiting: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM search_pending WHERE ws = ?1)
             OR EXISTS (SELECT 1 FROM search_queue WHERE ws = ?1)",
        [ws],
        |r| r.get(0),
    )?;
    if waiting {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        index::catch_up_search(&tx, Some(ws), usize::MAX)?;
        index::write_queued_search(&tx, Some(ws), usize::MAX)?;
        tx.commit()?;
    }
    Ok(())
}

/// Copies the WAL into the database and cuts the file to nothing, once the search catch-up
/// is done: a bootstrap of a large practice and its catch-up leave a WAL file of hundreds of
/// megabytes (436 MB on the bench's device), which SQLite would otherwise keep. While the
/// background checkpoint (`db::checkpoint_in_background`) runs, SQLite refuses at once, so
/// this tries again for up to a minute, without holding the store in between, unless the store
/// is dropped.
fn truncate_wal(conn: &Mutex<Connection>, shared: &Shared) {
    for _ in 0..600 {
        if shared.state().closed {
            return;
        }
        let busy = lock(conn).query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            r.get::<_, i64>(0)
        });
        match busy {
            Ok(0) => return,
            Ok(_) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => {
                tracing::debug!("could not truncate the WAL after the search catch-up: {e}");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catch_up_waits_for_writes_to_pause_unless_an_import_goes_on_without_one() {
        let start = Instant::now();
        let after = |ms: u64| start + Duration::from_millis(ms);
        // Opened, or woken by a sync, with no local write: at once.
        assert_eq!(State::default().wait(start), None);
        // A drop-by was just logged: it waits until half a second after it.
        let st = State {
            work: true,
            writes: 1,
            last_write: Some(start),
            held: 0,
            closed: false,
            bootstrap: false,
        };
        assert_eq!(st.wait(after(100)), Some(Duration::from_millis(400)));
        assert_eq!(st.wait(after(500)), None);
        // An import writes without pausing: after QUEUE_WRITES writes it no longer waits.
        let importing = State {
            writes: QUEUE_WRITES - 1,
            ..st
        };
        assert_eq!(importing.wait(after(1)), Some(Duration::from_millis(499)));
        let importing = State {
            writes: QUEUE_WRITES,
            ..importing
        };
        assert_eq!(importing.wait(after(1)), None);
    }
}
