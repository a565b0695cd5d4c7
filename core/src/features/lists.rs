//! What screens read: lists, the contact page, search and status, all from the SQLite index
//! through the read layer's row readers.

use rusqlite::{params, OptionalExtension, Row};

use crate::base::error::{Error, Result};
use crate::base::time;
use crate::model::{Activity, Contact, ContactDetail, NoteEntry, Organization, SearchHit, Status};
use crate::read::resolve::resolve_contact;
use crate::read::rows::{
    activity_by_id, activity_row, contact_row, fill_contacts, not_found, org_row, ACTIVITY_SELECT,
    CONTACT_SELECT, ORG_SELECT,
};
use crate::read::status;
use crate::storage::workspace::{current_ws, get_meta};
use crate::store::Store;

use super::{followups, lifecycle, settings};

/// Most results one search returns.
pub const SEARCH_LIMIT: usize = 50;

/// Matches outside names ranked per search at most (the newest ones).
const SEARCH_CANDIDATES: i64 = 1000;

/// Most activities a contact page shows.
pub const HISTORY_LIMIT: usize = 50;

impl Store {
    /// Organizations of the current workspace, by name.
    pub fn organizations(&self) -> Result<Vec<Organization>> {
        self.read(|c, ws| {
            let mut st = c.prepare(&format!(
                "{ORG_SELECT} WHERE ws = ?1 AND archived = 0 ORDER BY name COLLATE NOCASE, id"
            ))?;
            let rows = st.query_map([ws.id.to_hex()], org_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Contacts of the current workspace, by name.
    pub fn contacts(&self) -> Result<Vec<Contact>> {
        self.read(|c, ws| {
            let mut st = c.prepare(&format!(
                "{CONTACT_SELECT} WHERE c.ws = ?1 AND c.archived = 0 ORDER BY c.name COLLATE NOCASE, c.id"
            ))?;
            let rows = st.query_map([ws.id.to_hex()], contact_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// One page of the active contacts in name order, for screens that show a long list a
    /// page at a time: at most `limit` (1 to 500) contacts after `after`, the id of the last
    /// contact of the previous page (`None` for the first page). Costs the page, not the list.
    pub fn contacts_page(&self, after: Option<&str>, limit: u32) -> Result<Vec<Contact>> {
        if !(1..=500).contains(&limit) {
            return Err(Error::invalid("a page holds 1 to 500 contacts"));
        }
        self.read(|c, ws| {
            let ws_hex = ws.id.to_hex();
            let (name, id) = match after {
                None => (String::new(), String::new()),
                Some(after) => {
                    let name: String = c
                        .query_row(
                            "SELECT name FROM contacts WHERE ws = ?1 AND id = ?2",
                            params![ws_hex, after],
                            |r| r.get(0),
                        )
                        .optional()?
                        .ok_or_else(|| not_found("contact", after, vec![]))?;
                    (name, after.to_string())
                }
            };
            // Walk the name index and stop at the page: no sort of the whole list, and a
            // contact's last touch is computed for the page's rows only.
            let select = CONTACT_SELECT.replace(
                "FROM contacts c ",
                "FROM contacts c INDEXED BY contacts_name ",
            );
            let mut st = c.prepare_cached(&format!(
                "{select}
                 WHERE c.ws = ?1 AND c.archived = 0
                   AND (c.name COLLATE NOCASE, c.id) > (?2, ?3)
                 ORDER BY c.name COLLATE NOCASE, c.id LIMIT ?4"
            ))?;
            let rows = st.query_map(params![ws_hex, name, id, limit], contact_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// One contact, by name or id prefix, with its notes (oldest first).
    pub fn contact(&self, query: &str) -> Result<ContactDetail> {
        self.read(|c, ws| {
            let contact = resolve_contact(c, ws, query)?;
            let mut st = c.prepare(
                "SELECT n.id, n.at, coalesce(m.name, 'a former member'), n.text
                 FROM contact_notes n LEFT JOIN members m ON m.ws = n.ws AND m.id = n.author_id
                 WHERE n.ws = ?1 AND n.contact_id = ?2 ORDER BY n.at, n.id",
            )?;
            let notes = st
                .query_map(params![ws.id.to_hex(), contact.id], |r| {
                    Ok(NoteEntry {
                        id: r.get(0)?,
                        at: r.get(1)?,
                        author: r.get(2)?,
                        text: r.get(3)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            let mut st = c.prepare(&format!(
                "{ACTIVITY_SELECT} JOIN activity_contacts ac
                   ON ac.ws = a.ws AND ac.activity_id = a.id AND ac.contact_id = ?2
                 WHERE a.ws = ?1 ORDER BY a.at_ms DESC, a.id LIMIT ?3"
            ))?;
            let mut history: Vec<Activity> = st
                .query_map(
                    params![ws.id.to_hex(), contact.id, HISTORY_LIMIT as i64],
                    activity_row,
                )?
                .collect::<rusqlite::Result<_>>()?;
            for a in &mut history {
                fill_contacts(c, ws, a)?;
            }
            Ok(ContactDetail {
                history,
                pitch: settings::pitch(c, ws, contact.category)?,
                followups: followups::open_for_contact(c, ws, &contact.id)?,
                days_since_touch: lifecycle::days_since_touch(&contact, time::now_ms()),
                contact,
                notes,
            })
        })
    }

    /// Activities of the current workspace, newest first.
    pub fn activities(&self) -> Result<Vec<Activity>> {
        self.read(|c, ws| {
            let mut st = c.prepare(&format!(
                "{ACTIVITY_SELECT} WHERE a.ws = ?1 ORDER BY a.at_ms DESC, a.id"
            ))?;
            let rows = st.query_map([ws.id.to_hex()], activity_row)?;
            let mut out: Vec<Activity> = rows.collect::<rusqlite::Result<_>>()?;
            for a in &mut out {
                fill_contacts(c, ws, a)?;
            }
            Ok(out)
        })
    }

    /// Full-text search over contacts (names, needs, notes), organizations and activity notes.
    /// Every word is matched as a prefix; the best matches come first.
    pub fn search(&self, query: &str) -> Result<Vec<SearchHit>> {
        let fts = fts_query(query)?;
        // After a bootstrap of a large practice, what the catch-up has not written yet.
        let ws = current_ws(&self.lock(), self.scope)?.id.to_hex();
        self.finish_search_catch_up(&ws)?;
        self.read(|c, ws| {
            // Ranking every match of a common prefix costs tens of milliseconds in a large
            // practice. Names of contacts and organizations come first (few, and what people
            // look for first), ranked; then
            // the newest SEARCH_CANDIDATES matches anywhere (all matches, in most searches),
            // ranked. Each query runs its match once.
            let ws_hex = ws.id.to_hex();
            let row = |r: &Row| -> rusqlite::Result<SearchHit> {
                Ok(SearchHit {
                    kind: r.get(0)?,
                    id: r.get(1)?,
                    title: r.get(2)?,
                })
            };
            let mut hits: Vec<SearchHit> = c
                .prepare_cached(
                    "SELECT kind, id, title FROM search
                     WHERE search MATCH ?2 AND ws = ?1 AND kind IN ('contact', 'organization')
                     ORDER BY rank, kind, id LIMIT ?3",
                )?
                .query_map(
                    params![ws_hex, format!("title : ({fts})"), SEARCH_LIMIT as i64],
                    row,
                )?
                .collect::<rusqlite::Result<_>>()?;
            if hits.len() < SEARCH_LIMIT {
                let more: Vec<SearchHit> = c
                    .prepare_cached(
                        "SELECT kind, id, title FROM (
                           SELECT kind, id, title, bm25(search) AS score FROM search
                           WHERE search MATCH ?2 AND ws = ?1 ORDER BY rowid DESC LIMIT ?3
                         ) ORDER BY score, kind, id",
                    )?
                    .query_map(params![ws_hex, fts, SEARCH_CANDIDATES], row)?
                    .collect::<rusqlite::Result<_>>()?;
                for h in more {
                    if hits.len() >= SEARCH_LIMIT {
                        break;
                    }
                    if !hits.iter().any(|k| k.kind == h.kind && k.id == h.id) {
                        hits.push(h);
                    }
                }
            }
            for h in hits.iter_mut().filter(|h| h.kind == "activity") {
                let a = activity_by_id(c, ws, &h.id)?;
                h.title = format!(
                    "{} at {} on {}",
                    a.kind,
                    a.organization.as_deref().unwrap_or("no organization"),
                    a.at.get(..10).unwrap_or(&a.at)
                );
            }
            Ok(hits)
        })
    }

    /// Pending changes, last sync and cursor of the current workspace.
    pub fn status(&self) -> Result<Status> {
        self.read(status::status)
    }

    /// The current workspace's id, if there is one.
    pub fn current_workspace_id(&self) -> Result<Option<String>> {
        get_meta(&self.lock(), self.scope.current_key())
    }
}

/// Turns what a person typed into an FTS5 query: every word a quoted prefix term.
fn fts_query(query: &str) -> Result<String> {
    let terms: Vec<String> = query
        .split(|ch: char| !ch.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\"*"))
        .collect();
    if terms.is_empty() {
        return Err(Error::invalid("search for at least one word"));
    }
    Ok(terms.join(" "))
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn typed_queries_become_safe_prefix_terms() {
        assert_eq!(fts_query("anx teen").unwrap(), "\"anx\"* \"teen\"*");
        assert_eq!(
            fts_query("o'brien \"x").unwrap(),
            "\"o\"* \"brien\"* \"x\"*"
        );
        assert!(fts_query("  -- ").is_err());
    }
}

#[cfg(test)]
mod paging_tests {
    use crate::model::NewContact;
    use crate::Store;

    #[test]
    fn a_long_contact_list_reads_a_page_at_a_time_in_the_same_order_as_the_whole_list() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s.sqlite3")).unwrap();
        store.init("Dana").unwrap();
        store.create_workspace("Maple Street").unwrap();
        for i in 0..120 {
            // Names that tie and differ only in case, to exercise the tie-break on id.
            let name = match i % 3 {
                0 => format!("Counselor {:03}", i / 3),
                1 => format!("counselor {:03}", i / 3),
                _ => format!("Dr. Patel {i}"),
            };
            store
                .add_contact(&NewContact {
                    name,
                    ..Default::default()
                })
                .unwrap();
        }
        let whole: Vec<String> = store
            .contacts()
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        let mut paged = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = store.contacts_page(after.as_deref(), 50).unwrap();
            if page.is_empty() {
                break;
            }
            assert!(page.len() <= 50);
            after = page.last().map(|c| c.id.clone());
            paged.extend(page.into_iter().map(|c| c.id));
        }
        let mut sorted_whole = whole.clone();
        sorted_whole.sort();
        let mut sorted_paged = paged.clone();
        sorted_paged.sort();
        assert_eq!(sorted_paged, sorted_whole, "every contact once");
        assert!(store.contacts_page(None, 0).is_err());

        // The first page walks the name index: no sort of the whole list.
        let conn = store.lock();
        let ws: String = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'current_workspace'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let select = super::CONTACT_SELECT.replace(
            "FROM contacts c ",
            "FROM contacts c INDEXED BY contacts_name ",
        );
        let plan: Vec<String> = conn
            .prepare(&format!(
                "EXPLAIN QUERY PLAN {select} WHERE c.ws = ?1 AND c.archived = 0
                   AND (c.name COLLATE NOCASE, c.id) > ('', '')
                 ORDER BY c.name COLLATE NOCASE, c.id LIMIT 50"
            ))
            .unwrap()
            .query_map([&ws], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(
            !plan.iter().any(|p| p.contains("TEMP B-TREE")),
            "plan: {plan:?}"
        );
    }
}
