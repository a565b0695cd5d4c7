//! WAL checkpoints off the commit path.
//!
//! SQLite copies the WAL back into the database file (a checkpoint) when a commit finds the
//! WAL past `wal_autocheckpoint` pages, inside that commit: the writer then writes every page
//! again and waits for two more fsyncs while every push of its group waits for the answer. A
//! group of a thousand changes dirties about that many pages, so nearly every group paid for
//! a checkpoint. Here a thread of its own, on its own connection, runs a PASSIVE checkpoint
//! (which never blocks the writer or readers) after the writer nudges it, at most once every
//! [`CHECKPOINT_PAUSE`]; the writer's own automatic checkpoint stays as a backstop at
//! [`WRITER_AUTOCHECKPOINT_PAGES`], should this thread fall behind.
//!
//! Durability is unchanged: a commit is durable once its WAL frames are fsynced
//! (`synchronous=FULL`), whenever they are later copied into the database file.

use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::time::Duration;

use rusqlite::Connection;

use super::BUSY_TIMEOUT;
use crate::storage::{StorageError, StorageResult};

/// WAL pages past which the writer checkpoints by itself (64 MiB of 4 KiB pages), a backstop
/// for a checkpoint thread that fell behind; SQLite's default is 1,000.
pub(super) const WRITER_AUTOCHECKPOINT_PAGES: u32 = 16_384;

/// Shortest time between two checkpoints: nudges in between are folded into the next one.
pub(super) const CHECKPOINT_PAUSE: Duration = Duration::from_millis(100);

/// Wakes the checkpoint thread; it ends when this is dropped.
pub(super) struct Checkpointer {
    wake: SyncSender<()>,
}

impl Checkpointer {
    /// Opens a connection of its own to the database at `path` and starts the thread.
    pub(super) fn start(path: &Path) -> StorageResult<Checkpointer> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        let (wake, woken) = sync_channel(1);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || run(&conn, &woken))
            .map_err(|e| StorageError::Backend(Box::new(e)))?;
        Ok(Checkpointer { wake })
    }

    /// Asks for a checkpoint soon; never blocks (a nudge already waiting covers this one).
    pub(super) fn nudge(&self) {
        // Full: a nudge is already waiting. Disconnected: the thread ended (nothing to do).
        let _ = self.wake.try_send(());
    }
}

fn run(conn: &Connection, woken: &Receiver<()>) {
    while woken.recv().is_ok() {
        // A PASSIVE checkpoint copies what it can now and waits for nobody.
        let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        if let Err(e) = done {
            tracing::warn!(error = %e, "the WAL checkpoint failed; the writer will checkpoint by itself");
        }
        std::thread::sleep(CHECKPOINT_PAUSE);
    }
}
