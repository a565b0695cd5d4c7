//! The index rows of a document this device has never stored, read apart from writing them
//! so a bootstrap can read thousands of documents on several threads.

use automerge::{Automerge, ReadDoc, ROOT};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::base::error::Result;
use crate::documents::{
    self, ActivityDoc, ContactDoc, DocKind, FollowUpDoc, OrgDoc, PostDoc, ReferralDoc,
};

use super::rows::{
    index_activity, index_contact, index_followup, index_org, index_post, index_referral,
};
use super::search::{search_activity, search_contact, search_org, FullText};
use super::ENTRY_SECTIONS;

/// The index rows of a document this device has never stored (one a checkpoint brought),
/// read from the document by [`read_new`] on any thread (or by the device that made the
/// checkpoint, which sends them along: see `snapshot.rs`) and written by [`write_new`] in the
/// writer's transaction: reading thousands of documents and writing their rows can then run on
/// several threads, and a new device need not load the documents at all.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum NewRows {
    /// An organization's row.
    Org(OrgDoc),
    /// A contact's rows.
    Contact(ContactDoc),
    /// A post's row.
    Post(PostDoc),
    /// A logbook's or ledger's entries, in the order [`reindex`] visits them.
    Entries(Vec<NewEntry>),
    /// Nothing to show (a document whose genesis has not arrived).
    Nothing,
}

/// One entry of a logbook or ledger, by its key.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum NewEntry {
    /// An activity that is not deleted.
    Activity(String, ActivityDoc),
    /// A follow-up.
    FollowUp(String, FollowUpDoc),
    /// A referral that is not deleted.
    Referral(String, ReferralDoc),
}

/// Reads the index rows of `doc`, a document never stored here (see [`NewRows`]); `None` for
/// the workspace document, whose rows [`reindex`] writes from the document itself (joining
/// writes some of them before it is stored).
pub(crate) fn read_new(ws: &str, doc_id: &str, doc: &Automerge) -> Result<Option<NewRows>> {
    if doc_id == ws {
        return Ok(None);
    }
    Ok(Some(match documents::kind_of(doc) {
        Some(DocKind::Workspace) => return Ok(None),
        Some(DocKind::Organization) => NewRows::Org(documents::read(doc)),
        Some(DocKind::Contact) => NewRows::Contact(documents::read(doc)),
        Some(DocKind::Post) => NewRows::Post(documents::read(doc)),
        Some(DocKind::Logbook | DocKind::Ledger) => {
            let mut entries = Vec::new();
            for section in ENTRY_SECTIONS {
                let Some((_, map)) = doc.get(ROOT, *section)? else {
                    continue;
                };
                // One pass over the section (as `documents::read_entry` reads each entry, without
                // looking the section and the key up again for every entry).
                for item in doc.map_range(&map, ..) {
                    if !matches!(item.value, automerge::ValueRef::Object(_)) {
                        continue;
                    }
                    let json = documents::to_json(doc, &item.id());
                    let key = item.key.into_owned();
                    let entry = match *section {
                        "activities" => match serde_json::from_value::<ActivityDoc>(json) {
                            Ok(a) if !a.deleted => Some(NewEntry::Activity(key, a)),
                            _ => None,
                        },
                        "followups" => serde_json::from_value::<FollowUpDoc>(json)
                            .ok()
                            .map(|f| NewEntry::FollowUp(key, f)),
                        "referrals" => match serde_json::from_value::<ReferralDoc>(json) {
                            Ok(r) if !r.deleted => Some(NewEntry::Referral(key, r)),
                            _ => None,
                        },
                        _ => None,
                    };
                    entries.extend(entry);
                }
            }
            NewRows::Entries(entries)
        }
        None => NewRows::Nothing,
    }))
}

/// Writes the rows [`read_new`] read from a document never stored here: the rows [`reindex`]
/// writes, without first deleting rows that cannot exist (index rows are written in the
/// transaction that stores their document). Skipping the deletes matters when thousands of
/// documents arrive at once: each multi-row delete of full-text rows makes FTS5 flush the terms
/// it holds in memory, leaving a small segment to merge later.
///
/// With `search` false, the full-text rows are left out: the caller keeps the rows for the
/// search catch-up ([`defer_search`]).
pub(crate) fn write_new(
    tx: &Connection,
    ws: &str,
    doc_id: &str,
    rows: &NewRows,
    search: bool,
) -> Result<()> {
    match rows {
        NewRows::Org(o) => index_org(tx, ws, doc_id, o)?,
        NewRows::Contact(c) => index_contact(tx, ws, doc_id, c)?,
        NewRows::Post(p) => index_post(tx, ws, doc_id, p)?,
        NewRows::Entries(entries) => {
            for entry in entries {
                match entry {
                    NewEntry::Activity(key, a) => index_activity(tx, ws, doc_id, key, a)?,
                    NewEntry::FollowUp(key, f) => index_followup(tx, ws, doc_id, key, f.into())?,
                    NewEntry::Referral(key, r) => index_referral(tx, ws, doc_id, key, r)?,
                }
            }
        }
        NewRows::Nothing => {}
    }
    if search {
        write_search(tx, ws, doc_id, rows)?;
    }
    Ok(())
}

/// Writes the full-text rows of a document's [`NewRows`].
pub(super) fn write_search(tx: &Connection, ws: &str, doc_id: &str, rows: &NewRows) -> Result<()> {
    match rows {
        NewRows::Org(o) => search_org(tx, ws, doc_id, o),
        NewRows::Contact(c) => search_contact(tx, ws, doc_id, c),
        NewRows::Post(_) => Ok(()),
        NewRows::Entries(entries) => {
            for entry in entries {
                if let NewEntry::Activity(key, a) = entry {
                    search_activity(tx, ws, doc_id, key, a, FullText::Now)?;
                }
            }
            Ok(())
        }
        NewRows::Nothing => Ok(()),
    }
}
