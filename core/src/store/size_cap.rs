//! How large the local database may grow.
//!
//! A phone app may bound the space Trellis takes; the storage-fault tests use the same bound
//! to make SQLite's "database or disk is full" happen for real in the middle of a write. A
//! write that does not fit fails with [`Error::Storage`] and changes nothing: each user action
//! is one transaction, which rolls back whole.
//!
//! [`Error::Storage`]: crate::Error::Storage

use crate::base::error::Result;
use crate::store::Store;

/// SQLite's own largest page count, the bound when none is set.
const NO_LIMIT_PAGES: i64 = 4_294_967_294;

impl Store {
    /// Caps the local database at about `max_bytes` (`None` lifts the cap) and returns the cap
    /// in effect, in bytes. SQLite never sets a cap below the database's current size, so the
    /// cap in effect may be larger than asked. The cap lasts while this `Store` is open.
    pub fn limit_size(&self, max_bytes: Option<u64>) -> Result<u64> {
        let conn = self.lock();
        let page_size: i64 = conn.pragma_query_value(None, "page_size", |r| r.get(0))?;
        let page_size = page_size.max(1);
        let pages = max_bytes.map_or(NO_LIMIT_PAGES, |b| {
            (i64::try_from(b).unwrap_or(i64::MAX) / page_size).clamp(1, NO_LIMIT_PAGES)
        });
        let in_effect: i64 =
            conn.pragma_update_and_check(None, "max_page_count", pages, |r| r.get(0))?;
        Ok(u64::try_from(in_effect.saturating_mul(page_size)).unwrap_or(0))
    }
}
