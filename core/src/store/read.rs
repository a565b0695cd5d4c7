//! The read path: [`Store::read`] runs a query against the index with the current workspace.

use rusqlite::Connection;

use crate::base::error::Result;
use crate::storage::workspace::{current_ws, Ws};

use super::Store;

impl Store {
    /// Runs `f` on the connection with the current workspace (no transaction: one statement
    /// reads one consistent snapshot).
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection, &Ws) -> Result<T>) -> Result<T> {
        let conn = self.lock();
        let ws = current_ws(&conn)?;
        f(&conn, &ws)
    }
}
