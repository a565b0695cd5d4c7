//! The SQLite index: what lists, search and status read.
//!
//! [`reindex`] rewrites every index row that comes from one document, inside the caller's
//! transaction, so the index always matches the documents. It never reads other documents:
//! names of related things (an activity's organization, a note's author) are joined at query
//! time, so a document that arrives later shows up everywhere it is referenced.
//!
//! Logbooks and ledgers grow all month, so a change to them rewrites only the entries it
//! touched ([`update`] with the entries [`touched`] finds in the change's automerge patches).
//! An entry is indexed the same way either path: by reading that entry alone, so one damaged
//! entry hides only itself.
//!
//! Full-text rows are the costliest to write: FTS5 keeps six B-trees for them, and each
//! transaction that adds a row writes a new segment. [`update`] therefore queues the full-text
//! row of each entry it rewrites ([`queue_search`], one row of a small table) and the queue is
//! written into the FTS table in batches: before any search, and in the background once local
//! writes pause (`catch_up.rs`).

pub(crate) mod catch_up;
mod new_rows;
mod rows;
mod search;
pub(crate) mod snapshot;
mod touched;

use automerge::{Automerge, ReadDoc, ROOT};
use rusqlite::Connection;

use crate::base::error::Result;
use crate::documents::{self, DocKind};

pub(crate) use new_rows::{read_new, write_new, NewRows};
pub(crate) use search::{catch_up_search, defer_search, write_queued_search};
pub(crate) use touched::{touched, touched_by_change, Touched};

pub(crate) use rows::clear;
use rows::{clear_entry, index_contact, index_entry, index_org, index_post, index_workspace};
use search::{flush_deferred_search, search_contact, search_org, FullText};

/// The sections whose entries are indexed one by one.
pub(super) const ENTRY_SECTIONS: &[&str] = &["activities", "followups", "referrals"];

/// Rewrites the index rows of `doc` that `touched` says may have changed.
pub(crate) fn update(
    tx: &Connection,
    ws: &str,
    doc_id: &str,
    doc: &Automerge,
    touched: &Touched,
) -> Result<()> {
    let Touched::Entries(entries) = touched else {
        return reindex(tx, ws, doc_id, doc);
    };
    // Rows left for the search catch-up describe the document before this change: written
    // now, the entries below then queue what the change touched.
    flush_deferred_search(tx, ws, doc_id)?;
    for (section, key) in entries {
        clear_entry(tx, ws, doc_id, section, key, FullText::Queued)?;
        index_entry(tx, ws, doc_id, doc, section, key, FullText::Queued)?;
    }
    Ok(())
}

/// Rewrites the index rows that come from `doc`.
pub(crate) fn reindex(tx: &Connection, ws: &str, doc_id: &str, doc: &Automerge) -> Result<()> {
    clear(tx, ws, doc_id)?;
    match documents::kind_of(doc) {
        Some(DocKind::Workspace) => index_workspace(tx, ws, &documents::read(doc)),
        Some(DocKind::Organization) => {
            let org = documents::read(doc);
            index_org(tx, ws, doc_id, &org)?;
            search_org(tx, ws, doc_id, &org)
        }
        Some(DocKind::Contact) => {
            let contact = documents::read(doc);
            index_contact(tx, ws, doc_id, &contact)?;
            search_contact(tx, ws, doc_id, &contact)
        }
        Some(DocKind::Logbook | DocKind::Ledger) => {
            for section in ENTRY_SECTIONS {
                let Some((_, map)) = doc.get(ROOT, *section)? else {
                    continue;
                };
                for key in doc.keys(&map) {
                    index_entry(tx, ws, doc_id, doc, section, &key, FullText::Now)?;
                }
            }
            Ok(())
        }
        Some(DocKind::Post) => index_post(tx, ws, doc_id, &documents::read(doc)),
        // A document whose genesis has not arrived yet: nothing to show.
        None => Ok(()),
    }
}
