//! What screens read: lists, details, search and status, all from the SQLite index; and how a
//! name or id prefix typed by a person resolves to one thing.

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::error::{Error, Result};
use crate::model::{
    Activity, ActivityKind, Contact, ContactCategory, ContactDetail, LeftBehind, NoteEntry,
    OrgKind, Organization, SearchHit, Stage, Status,
};
use crate::store::{current_ws, get_meta, Store, Ws};
use crate::time;

/// Most results one search returns.
pub const SEARCH_LIMIT: usize = 50;

/// Matches outside names ranked per search at most (the newest ones).
const SEARCH_CANDIDATES: i64 = 1000;

/// Most activities a contact page shows.
pub const HISTORY_LIMIT: usize = 50;

impl Store {
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection, &Ws) -> Result<T>) -> Result<T> {
        let conn = self.lock();
        let ws = current_ws(&conn)?;
        f(&conn, &ws)
    }

    /// Organizations of the current workspace, by name.
    pub fn organizations(&self) -> Result<Vec<Organization>> {
        self.read(|c, ws| {
            let mut st = c.prepare(&format!(
                "{ORG_SELECT} WHERE ws = ?1 AND archived = 0 ORDER BY name COLLATE NOCASE"
            ))?;
            let rows = st.query_map([ws.id.to_hex()], org_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Contacts of the current workspace, by name.
    pub fn contacts(&self) -> Result<Vec<Contact>> {
        self.read(|c, ws| {
            let mut st = c.prepare(&format!(
                "{CONTACT_SELECT} WHERE c.ws = ?1 AND c.archived = 0 ORDER BY c.name COLLATE NOCASE"
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
                pitch: crate::practice::pitch(c, ws, contact.category)?,
                followups: crate::followups::open_for_contact(c, ws, &contact.id)?,
                days_since_touch: crate::lifecycle::days_since_touch(&contact, time::now_ms()),
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
        let ws = current_ws(&self.lock())?.id.to_hex();
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
        self.read(|c, ws| {
            let pending: i64 = c.query_row(
                "SELECT count(*) FROM outbox WHERE ws = ?1",
                [ws.id.to_hex()],
                |r| r.get(0),
            )?;
            let last_sync_at: Option<String> = c.query_row(
                "SELECT last_sync_at FROM workspaces WHERE id = ?1",
                [ws.id.to_hex()],
                |r| r.get(0),
            )?;
            let gaps: i64 = c.query_row(
                "SELECT count(DISTINCT doc_id) FROM held_changes WHERE ws = ?1",
                [ws.id.to_hex()],
                |r| r.get(0),
            )?;
            Ok(Status {
                gaps: u64::try_from(gaps).unwrap_or(0),
                workspace_id: ws.id.to_hex(),
                workspace: ws.name.clone(),
                relay_url: ws.relay_url.clone(),
                pending_changes: u64::try_from(pending).unwrap_or(0),
                last_sync_at,
                cursor: ws.cursor,
            })
        })
    }

    /// The current workspace's id, if there is one.
    pub fn current_workspace_id(&self) -> Result<Option<String>> {
        get_meta(&self.lock(), "current_workspace")
    }
}

const ORG_SELECT: &str =
    "SELECT id, name, kind, address, phone, website, lat, lon, archived, created_at FROM orgs";

fn org_row(r: &Row) -> rusqlite::Result<Organization> {
    Ok(Organization {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: OrgKind::parse(&r.get::<_, String>(2)?).unwrap_or(OrgKind::Other),
        address: r.get(3)?,
        phone: r.get(4)?,
        website: r.get(5)?,
        lat: r.get(6)?,
        lon: r.get(7)?,
        archived: r.get(8)?,
        created_at: r.get(9)?,
    })
}

// The last touch of each contact: the last entry of its run in `activity_contacts_touch`
// (ws, contact_id, at_ms), one index seek per contact. Joining each contact's rows to their
// activities instead cost ~0.5 s for "losing touch" at 10,000 contacts and 100,000 activities.
pub(crate) const CONTACT_SELECT: &str = "SELECT c.id, c.name, c.org_id, o.name, c.category,
    c.phones, c.emails, c.needs, c.created_at,
    (SELECT max(ac.at_ms) FROM activity_contacts ac INDEXED BY activity_contacts_touch
     WHERE ac.ws = c.ws AND ac.contact_id = c.id),
    c.role, c.stage, c.cadence_days, c.how_we_help, c.tags, c.archived
  FROM contacts c LEFT JOIN orgs o ON o.ws = c.ws AND o.id = c.org_id";

pub(crate) fn contact_row(r: &Row) -> rusqlite::Result<Contact> {
    let list = |i: usize| -> rusqlite::Result<Vec<String>> {
        Ok(serde_json::from_str(&r.get::<_, String>(i)?).unwrap_or_default())
    };
    let category =
        ContactCategory::parse(&r.get::<_, String>(4)?).unwrap_or(ContactCategory::Other);
    Ok(Contact {
        id: r.get(0)?,
        name: r.get(1)?,
        organization_id: r.get(2)?,
        organization: r.get(3)?,
        category,
        phones: list(5)?,
        emails: list(6)?,
        needs: r.get(7)?,
        created_at: r.get(8)?,
        last_touch_at: r.get::<_, Option<i64>>(9)?.map(time::format_ms),
        role: r.get(10)?,
        stage: Stage::parse(&r.get::<_, String>(11)?).unwrap_or(Stage::Prospect),
        cadence_days: r
            .get::<_, Option<i64>>(12)?
            .and_then(|d| u32::try_from(d).ok())
            .unwrap_or_else(|| category.default_cadence_days()),
        how_we_help: r.get(13)?,
        tags: list(14)?,
        archived: r.get(15)?,
    })
}

const ACTIVITY_SELECT: &str = "SELECT a.id, a.kind, a.at_ms, a.minutes, a.org_id, o.name,
    a.note, a.left_behind, coalesce(m.name, 'a member not synced yet'), a.audience, a.attendance
  FROM activities a
  LEFT JOIN orgs o ON o.ws = a.ws AND o.id = a.org_id
  LEFT JOIN members m ON m.ws = a.ws AND m.id = a.logged_by";

fn activity_row(r: &Row) -> rusqlite::Result<Activity> {
    Ok(Activity {
        id: r.get(0)?,
        kind: ActivityKind::parse(&r.get::<_, String>(1)?).unwrap_or(ActivityKind::DropBy),
        at: time::format_ms(r.get(2)?),
        minutes: u32::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
        organization_id: r.get(4)?,
        organization: r.get(5)?,
        note: r.get(6)?,
        left_behind: serde_json::from_str::<Vec<LeftBehind>>(&r.get::<_, String>(7)?)
            .unwrap_or_default(),
        logged_by: r.get(8)?,
        audience: r.get(9)?,
        attendance: r
            .get::<_, Option<i64>>(10)?
            .and_then(|n| u32::try_from(n).ok()),
        contacts: Vec::new(),
        contact_ids: Vec::new(),
    })
}

fn fill_contacts(c: &Connection, ws: &Ws, a: &mut Activity) -> Result<()> {
    let mut st = c.prepare_cached(
        "SELECT ac.contact_id, coalesce(ct.name, 'a contact not synced yet')
         FROM activity_contacts ac
         LEFT JOIN contacts ct ON ct.ws = ac.ws AND ct.id = ac.contact_id
         WHERE ac.ws = ?1 AND ac.activity_id = ?2 ORDER BY ac.position",
    )?;
    let rows = st.query_map(params![ws.id.to_hex(), a.id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    for row in rows {
        let (id, name) = row?;
        a.contact_ids.push(id);
        a.contacts.push(name);
    }
    Ok(())
}

pub(crate) fn org_by_id(c: &Connection, ws: &Ws, id: &str) -> Result<Organization> {
    c.query_row(
        &format!("{ORG_SELECT} WHERE ws = ?1 AND id = ?2"),
        params![ws.id.to_hex(), id],
        org_row,
    )
    .optional()?
    .ok_or_else(|| not_found("organization", id, vec![]))
}

pub(crate) fn contact_by_id(c: &Connection, ws: &Ws, id: &str) -> Result<Contact> {
    c.query_row(
        &format!("{CONTACT_SELECT} WHERE c.ws = ?1 AND c.id = ?2"),
        params![ws.id.to_hex(), id],
        contact_row,
    )
    .optional()?
    .ok_or_else(|| not_found("contact", id, vec![]))
}

pub(crate) fn activity_by_id(c: &Connection, ws: &Ws, id: &str) -> Result<Activity> {
    let mut a = c
        .prepare_cached(&format!("{ACTIVITY_SELECT} WHERE a.ws = ?1 AND a.id = ?2"))?
        .query_row(params![ws.id.to_hex(), id], activity_row)
        .optional()?
        .ok_or_else(|| not_found("activity", id, vec![]))?;
    fill_contacts(c, ws, &mut a)?;
    Ok(a)
}

/// Resolves an organization by exact name, name prefix or id prefix.
pub(crate) fn resolve_org(c: &Connection, ws: &Ws, query: &str) -> Result<Organization> {
    let id = resolve_org_id(c, ws, query)?;
    org_by_id(c, ws, &id)
}

/// Resolves a contact by exact name, name prefix or id prefix.
pub(crate) fn resolve_contact(c: &Connection, ws: &Ws, query: &str) -> Result<Contact> {
    let id = resolve_contact_id(c, ws, query)?;
    contact_by_id(c, ws, &id)
}

/// The id of the organization `query` names (see [`resolve_org`]).
pub(crate) fn resolve_org_id(c: &Connection, ws: &Ws, query: &str) -> Result<String> {
    resolve(c, ws, "organization", "orgs", query)
}

/// The id of the contact `query` names (see [`resolve_contact`]).
pub(crate) fn resolve_contact_id(c: &Connection, ws: &Ws, query: &str) -> Result<String> {
    resolve(c, ws, "contact", "contacts", query)
}

/// The row a whole id or a whole name (the only one with it) names, found by index; `None`
/// when the slower reading of every name must decide.
fn resolve_fast(c: &Connection, ws: &Ws, table: &str, q: &str) -> Result<Option<String>> {
    let ws_hex = ws.id.to_hex();
    if q.len() == 32 && q.chars().all(|ch| ch.is_ascii_hexdigit()) {
        let sql = format!("SELECT id FROM {table} WHERE ws = ?1 AND id = ?2");
        let found: Option<String> = c
            .prepare_cached(&sql)?
            .query_row(params![ws_hex, q], |r| r.get(0))
            .optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    let sql =
        format!("SELECT id, name FROM {table} WHERE ws = ?1 AND name = ?2 COLLATE NOCASE LIMIT 2");
    let mut st = c.prepare_cached(&sql)?;
    let rows: Vec<(String, String)> = st
        .query_map(params![ws_hex, q], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(match rows.as_slice() {
        [(id, name)] if name.to_lowercase() == q => Some(id.clone()),
        _ => None,
    })
}

/// The one row of `table` that `query` names: an exact (case-insensitive) name wins, then a
/// unique prefix of the name or of a word in it, or an id prefix (4+ hex digits). Otherwise a
/// clear error with candidates.
fn resolve(
    c: &Connection,
    ws: &Ws,
    what: &'static str,
    table: &str,
    query: &str,
) -> Result<String> {
    let q = query.trim().to_lowercase();
    if q.is_empty() {
        return Err(Error::invalid(format!("the {what} name must not be empty")));
    }
    // What apps send (a whole id) and what people type most (a whole name) are answered by an
    // index; anything else reads the names.
    if let Some(id) = resolve_fast(c, ws, table, &q)? {
        return Ok(id);
    }
    let mut st = c.prepare(&format!(
        "SELECT id, name FROM {table} WHERE ws = ?1 ORDER BY name COLLATE NOCASE"
    ))?;
    let all: Vec<(String, String)> = st
        .query_map([ws.id.to_hex()], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let label = |(id, name): &(String, String)| format!("{name} ({})", &id[..8.min(id.len())]);
    let exact: Vec<_> = all.iter().filter(|(_, n)| n.to_lowercase() == q).collect();
    if let [one] = exact.as_slice() {
        return Ok(one.0.clone());
    }
    let by_id = q.len() >= 4 && q.chars().all(|ch| ch.is_ascii_hexdigit());
    let matches: Vec<_> = if exact.len() > 1 {
        exact
    } else {
        all.iter()
            .filter(|(id, n)| {
                let n = n.to_lowercase();
                // The start of the name or of any word in it: "Patel" finds "Dr. Amir Patel".
                n.starts_with(&q)
                    || n.contains(&format!(" {q}"))
                    || words_match(&n, &q)
                    || (by_id && id.starts_with(&q))
            })
            .collect()
    };
    match matches.as_slice() {
        [one] => Ok(one.0.clone()),
        [] => {
            let near: Vec<String> = all
                .iter()
                .filter(|(_, n)| {
                    let n = n.to_lowercase();
                    q.split_whitespace().any(|w| n.contains(w))
                })
                .take(5)
                .map(label)
                .collect();
            Err(not_found(what, query, near))
        }
        many => Err(Error::Ambiguous {
            what,
            query: query.into(),
            candidates: many.iter().map(|m| label(m)).collect(),
        }),
    }
}

/// Whether every word typed starts some word of the name: "dr patel" finds "Dr. Amir Patel".
fn words_match(name: &str, query: &str) -> bool {
    let words: Vec<&str> = name
        .split(|ch: char| !ch.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut typed = query
        .split(|ch: char| !ch.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .peekable();
    typed.peek().is_some() && typed.all(|t| words.iter().any(|w| w.starts_with(t)))
}

fn not_found(what: &'static str, query: &str, candidates: Vec<String>) -> Error {
    Error::NotFound {
        what,
        query: query.into(),
        candidates,
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
    fn typed_words_match_the_starts_of_name_words() {
        use super::words_match;
        assert!(words_match("dr. amir patel", "dr patel"));
        assert!(words_match("dr. amir patel", "ami"));
        assert!(!words_match("dr. amir patel", "dr smith"));
        assert!(!words_match("dr. amir patel", "  "));
    }

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
