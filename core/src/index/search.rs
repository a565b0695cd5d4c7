//! The full-text rows: writing them, the search queue local writes fill and the catch-up
//! empties in batches, and the rows a bootstrap defers to the catch-up.

use automerge::Automerge;
use rusqlite::{params, Connection, OptionalExtension};

use crate::base::error::Result;
use crate::documents::{ActivityDoc, ContactDoc, OrgDoc};
use crate::storage::docstore;

use super::new_rows::{write_search, NewRows};
use super::reindex;

/// When an entry's full-text row is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FullText {
    /// With the entry's other rows (a whole document rewritten, a new document).
    Now,
    /// Into the search queue ([`queue_search`]); its rows in the FTS table are left as they
    /// are until the queue is written.
    Queued,
}

/// Removes the full-text rows of one entry.
pub(super) fn clear_entry_search(tx: &Connection, ws: &str, doc_id: &str, key: &str) -> Result<()> {
    tx.prepare_cached(
        "DELETE FROM search WHERE rowid IN
            (SELECT rowid FROM search_rows WHERE ws = ?1 AND doc_id = ?2 AND entry = ?3)",
    )?
    .execute(params![ws, doc_id, key])?;
    tx.prepare_cached("DELETE FROM search_rows WHERE ws = ?1 AND doc_id = ?2 AND entry = ?3")?
        .execute(params![ws, doc_id, key])?;
    Ok(())
}

/// An organization's full-text row (written with its other rows, or by the search catch-up).
pub(super) fn search_org(tx: &Connection, ws: &str, id: &str, doc: &OrgDoc) -> Result<()> {
    if doc.deleted || doc.name.is_empty() {
        return Ok(());
    }
    let body = [doc.kind.as_str(), doc.address.as_deref().unwrap_or("")].join(" ");
    add_search(tx, ws, id, None, "organization", id, &doc.name, &body)
}

/// A contact's full-text row: what they need, how we help, their emails, tags and notes.
pub(super) fn search_contact(tx: &Connection, ws: &str, id: &str, doc: &ContactDoc) -> Result<()> {
    if doc.deleted || doc.name.is_empty() {
        return Ok(());
    }
    let mut body = vec![
        doc.category.as_str(),
        doc.needs.as_deref().unwrap_or_default(),
        doc.how_we_help.as_deref().unwrap_or_default(),
        doc.role.as_deref().unwrap_or_default(),
    ];
    body.extend(doc.emails.iter().map(String::as_str));
    body.extend(doc.tags.iter().map(String::as_str));
    body.extend(doc.notes.iter().map(|n| n.text.as_str()));
    add_search(tx, ws, id, None, "contact", id, &doc.name, &body.join(" "))
}

/// An activity's full-text row: its note, audience and what was left behind.
pub(super) fn search_activity(
    tx: &Connection,
    ws: &str,
    logbook_id: &str,
    id: &str,
    a: &ActivityDoc,
    full_text: FullText,
) -> Result<()> {
    let items: Vec<&str> = a.left_behind.iter().map(|l| l.item.as_str()).collect();
    let body = format!(
        "{} {} {}",
        a.note.as_deref().unwrap_or(""),
        a.audience.as_deref().unwrap_or(""),
        items.join(" ")
    );
    match full_text {
        FullText::Now => add_search(tx, ws, logbook_id, Some(id), "activity", id, &a.kind, &body),
        FullText::Queued => queue_search(
            tx,
            ws,
            logbook_id,
            id,
            Some(QueuedRow {
                kind: "activity",
                id,
                title: &a.kind,
                body: &body,
            }),
        ),
    }
}

/// A full-text row waiting in the search queue.
pub(super) struct QueuedRow<'a> {
    kind: &'a str,
    id: &'a str,
    title: &'a str,
    body: &'a str,
}

/// Queues the full-text row of entry `entry` of document `doc_id` as it is now (`None`: it has
/// none any more), replacing any row queued for it before. A local write costs one row of
/// this small table where writing the FTS table cost about ten pages (a quarter of a
/// drop-by's); [`write_queued_search`] later writes many entries' rows in one transaction, in
/// one segment.
pub(super) fn queue_search(
    tx: &Connection,
    ws: &str,
    doc_id: &str,
    entry: &str,
    row: Option<QueuedRow<'_>>,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO search_queue (ws, doc_id, entry, kind, id, title, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        ws,
        doc_id,
        entry,
        row.as_ref().map(|r| r.kind),
        row.as_ref().map(|r| r.id),
        row.as_ref().map(|r| r.title),
        row.as_ref().map(|r| r.body)
    ])?;
    Ok(())
}

/// Writes up to `budget` queued full-text rows ([`queue_search`]) of workspace `ws` (every
/// workspace's if `None`) into the FTS table, each replacing the entry's rows there; returns
/// how many it wrote (fewer than `budget`: the queue is empty).
pub(crate) fn write_queued_search(
    tx: &Connection,
    ws: Option<&str>,
    budget: usize,
) -> Result<usize> {
    type Queued = (
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let queued: Vec<Queued> = tx
        .prepare_cached(
            "SELECT ws, doc_id, entry, kind, id, title, body FROM search_queue
             WHERE ?1 IS NULL OR ws = ?1 LIMIT ?2",
        )?
        .query_map(
            params![ws, i64::try_from(budget).unwrap_or(i64::MAX)],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            },
        )?
        .collect::<rusqlite::Result<_>>()?;
    for (ws, doc_id, entry, kind, id, title, body) in &queued {
        clear_entry_search(tx, ws, doc_id, entry)?;
        if let (Some(kind), Some(id), Some(title), Some(body)) = (kind, id, title, body) {
            add_search(tx, ws, doc_id, Some(entry), kind, id, title, body)?;
        }
        tx.prepare_cached("DELETE FROM search_queue WHERE ws = ?1 AND doc_id = ?2 AND entry = ?3")?
            .execute(params![ws, doc_id, entry])?;
    }
    Ok(queued.len())
}

/// Adds a full-text row for a document (`entry` `None`) or one entry of it.
#[allow(clippy::too_many_arguments)]
pub(super) fn add_search(
    tx: &Connection,
    ws: &str,
    doc_id: &str,
    entry: Option<&str>,
    kind: &str,
    id: &str,
    title: &str,
    body: &str,
) -> Result<()> {
    tx.prepare_cached("INSERT INTO search_rows (ws, doc_id, entry) VALUES (?1, ?2, ?3)")?
        .execute(params![ws, doc_id, entry])?;
    tx.prepare_cached(
        "INSERT INTO search (rowid, ws, doc_id, kind, id, title, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        tx.last_insert_rowid(),
        ws,
        doc_id,
        kind,
        id,
        title,
        body
    ])?;
    Ok(())
}

/// Leaves a new document's full-text rows for the search catch-up: `deflated` is the index
/// snapshot its checkpoint carried, as it came (see `snapshot.rs`). Tokenizing every note of a
/// large practice was 40% of a new device's bootstrap; lists do not need it, so a bulk bootstrap
/// stores this one row per document instead and returns. [`catch_up_search`] writes the rows
/// after, in the background or before the first search, whichever comes first; any rewrite of
/// the document's rows before then writes them first ([`update`]) or drops this row ([`clear`]).
pub(crate) fn defer_search(tx: &Connection, ws: &str, doc_id: &str, deflated: &[u8]) -> Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO search_pending (ws, doc_id, rows) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![ws, doc_id, deflated])?;
    Ok(())
}

/// Writes the full-text rows the bootstrap left for later, for workspace `ws` (every
/// workspace's if `None`), document by document until those of at least `budget` entries
/// (a contact or an organization counts one) are written. Returns whether documents remain.
///
/// These and the search queue ([`write_queued_search`]) never hold rows of the same document:
/// [`update`] writes a document's deferred rows before it queues any of its entries, and only
/// documents never stored here are deferred. So either may be written first.
pub(crate) fn catch_up_search(tx: &Connection, ws: Option<&str>, budget: usize) -> Result<bool> {
    let mut written = 0;
    loop {
        let next: Option<(String, String, Vec<u8>)> = tx
            .prepare_cached(
                "SELECT ws, doc_id, rows FROM search_pending WHERE ?1 IS NULL OR ws = ?1 LIMIT 1",
            )?
            .query_row(params![ws], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let Some((doc_ws, doc_id, deflated)) = next else {
            break;
        };
        if written >= budget {
            return Ok(true);
        }
        written += write_deferred_search(tx, &doc_ws, &doc_id, &deflated)?;
    }
    Ok(false)
}

/// Writes one document's deferred full-text rows, if any are left (see [`defer_search`]).
pub(super) fn flush_deferred_search(tx: &Connection, ws: &str, doc_id: &str) -> Result<()> {
    let deflated: Option<Vec<u8>> = tx
        .prepare_cached("SELECT rows FROM search_pending WHERE ws = ?1 AND doc_id = ?2")?
        .query_row(params![ws, doc_id], |r| r.get(0))
        .optional()?;
    if let Some(deflated) = deflated {
        write_deferred_search(tx, ws, doc_id, &deflated)?;
    }
    Ok(())
}

/// Writes a document's full-text rows from its deferred index snapshot and drops the snapshot;
/// returns how many entries that was (a contact or an organization counts one).
fn write_deferred_search(
    tx: &Connection,
    ws: &str,
    doc_id: &str,
    deflated: &[u8],
) -> Result<usize> {
    tx.prepare_cached("DELETE FROM search_pending WHERE ws = ?1 AND doc_id = ?2")?
        .execute(params![ws, doc_id])?;
    match super::snapshot::read_rows(deflated) {
        Some(snapshot) => {
            write_search(tx, ws, doc_id, &snapshot.rows)?;
            Ok(match &snapshot.rows {
                NewRows::Entries(entries) => entries.len().max(1),
                _ => 1,
            })
        }
        // These rows decoded when they arrived; should they not now, the document itself
        // rewrites every row it has.
        None => {
            tracing::warn!("deferred index rows do not decode; indexing the document itself");
            let doc = Automerge::load(&docstore::stored_bytes(tx, ws, doc_id)?)?;
            reindex(tx, ws, doc_id, &doc)?;
            Ok(1)
        }
    }
}
