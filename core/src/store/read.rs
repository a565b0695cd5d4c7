//! The read path: [`Store::read`] runs a query against the index with the current workspace, on
//! the reads' own connection (see [`Store`]).

use rusqlite::Connection;

use crate::base::error::Result;
use crate::storage::workspace::{current_ws, Ws};

use super::Store;

impl Store {
    /// Runs `f` on the reads' connection, under its lock, with the current workspace: it sees
    /// every committed write, and never waits for a write transaction (a pull, a bootstrap)
    /// to end.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection, &Ws) -> Result<T>) -> Result<T> {
        let conn = self.lock_reader();
        let ws = current_ws(&conn, self.scope)?;
        f(&conn, &ws)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use crate::{NewOrg, Store};

    /// A pull applying a large batch (or a bootstrap) holds the writer's connection for its
    /// whole transaction; a screen reading meanwhile gets the last committed state at once.
    #[test]
    fn a_screen_reads_while_a_write_transaction_holds_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path().join("trellis.sqlite3")).unwrap());
        store.init("Dana").unwrap();
        store.create_workspace("Maple Street Counseling").unwrap();
        store
            .add_org(&NewOrg {
                name: "Lincoln Middle School".into(),
                ..Default::default()
            })
            .unwrap();
        let writer = store.lock();
        writer
            .execute_batch("BEGIN IMMEDIATE; DELETE FROM orgs;")
            .unwrap();
        let (sent, seen) = std::sync::mpsc::channel();
        let reading = Arc::clone(&store);
        std::thread::spawn(move || {
            let _ = sent.send(reading.organizations().map(|orgs| orgs.len()));
        });
        let orgs = seen
            .recv_timeout(Duration::from_secs(20))
            .expect("the read waited for the write transaction to end");
        assert_eq!(orgs.unwrap(), 1, "the last committed state");
        writer.execute_batch("ROLLBACK").unwrap();
    }
}
