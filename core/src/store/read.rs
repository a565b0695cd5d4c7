//! The read path: [`Store::read`] runs a query against the index with the current workspace.

use rusqlite::Connection;

use crate::base::error::Result;
use crate::storage::workspace::{current_ws, Ws};

use super::Store;

impl Store {
    /// Runs `f` on the store's connection, under its lock, with the current workspace.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection, &Ws) -> Result<T>) -> Result<T> {
        let conn = self.lock();
        let ws = current_ws(&conn)?;
        f(&conn, &ws)
    }
}
