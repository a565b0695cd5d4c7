//! Follow-ups: the thank-you a drop-by calls for, value-added check-ins, resources to send.
//!
//! A follow-up lives in the logbook of the member who created it (the month it was created):
//! an entry of its `followups` map, or, for the thank-you a visit calls for, fields of the
//! visit's activity (`thank_you_due_ms` and so on: see `documents`). Completing, snoozing or
//! reassigning edits it there, from any device of any member; two devices completing the same
//! follow-up offline converge to "done" (each writes a `done_ms`; whichever wins, it is done).

use automerge::transaction::Transactable;
use automerge::{ObjId, ObjType, ReadDoc, ROOT};
use rusqlite::{params, Connection, OptionalExtension, Row};
use trellis_protocol::Id;

use crate::base::error::{Error, Result};
use crate::base::time;
use crate::base::validate::optional_text;
use crate::documents::{self, DocKind};
use crate::model::{FollowUp, FollowUpFilter, FollowUpKind, NewFollowUp};
use crate::read::members::MemberLookup;
use crate::read::resolve::{resolve_contact, resolve_org};
use crate::storage::workspace::Ws;
use crate::store::{change_doc, Store};

const DAY_MS: i64 = 24 * 3600 * 1000;

/// A follow-up to write into a logbook.
pub(crate) struct FollowUpFields<'a> {
    pub kind: FollowUpKind,
    pub contact_id: Option<&'a str>,
    pub org_id: Option<&'a str>,
    pub activity_id: Option<&'a str>,
    pub due_ms: i64,
    pub note: Option<&'a str>,
}

/// Writes a new follow-up into the logbook's `followups` map.
pub(crate) fn put_followup(
    t: &mut automerge::transaction::Transaction<'_>,
    ws: &Ws,
    id: &str,
    f: &FollowUpFields<'_>,
) -> Result<()> {
    let map = followups_obj(t)?;
    let obj = t.put_object(&map, id, ObjType::Map)?;
    t.put(&obj, "kind", f.kind.as_str())?;
    for (key, value) in [
        ("contact_id", f.contact_id),
        ("org_id", f.org_id),
        ("activity_id", f.activity_id),
        ("note", f.note),
    ] {
        if let Some(v) = value {
            t.put(&obj, key, v)?;
        }
    }
    t.put(&obj, "due_ms", f.due_ms)?;
    t.put(&obj, "assigned_to", ws.member_id.to_hex())?;
    t.put(&obj, "created_by", ws.member_id.to_hex())?;
    Ok(())
}

fn followups_obj(t: &mut automerge::transaction::Transaction<'_>) -> Result<ObjId> {
    Ok(match t.get(ROOT, "followups")? {
        Some((_, obj)) => obj,
        None => t.put_object(ROOT, "followups", ObjType::Map)?,
    })
}

impl Store {
    /// Adds a follow-up by hand (a check-in, a resource to send), assigned to this member.
    pub fn add_followup(&self, new: &NewFollowUp) -> Result<FollowUp> {
        let note = optional_text(new.note.as_deref(), "note")?;
        let due_ms = match &new.due {
            Some(d) => time::parse_due(d)?,
            None => time::now_ms() + 7 * DAY_MS,
        };
        if new.contact.is_none() && new.organization.is_none() && note.is_none() {
            return Err(Error::invalid(
                "a follow-up needs a contact, an organization or a note",
            ));
        }
        let id = Id::random().to_hex();
        self.write(|tx, ws, me| {
            let contact = match &new.contact {
                Some(q) => Some(resolve_contact(tx, ws, q)?),
                None => None,
            };
            let org_id = match (&new.organization, &contact) {
                (Some(q), _) => Some(resolve_org(tx, ws, q)?.id),
                (None, Some(c)) => c.organization_id.clone(),
                (None, None) => None,
            };
            let logbook = ws
                .keys
                .doc_ids(&ws.id)
                .logbook(&ws.member_id, &time::month_of(time::now_ms()));
            change_doc(tx, ws, me, &logbook, DocKind::Logbook, |t| {
                put_followup(
                    t,
                    ws,
                    &id,
                    &FollowUpFields {
                        kind: new.kind.unwrap_or(FollowUpKind::CheckIn),
                        contact_id: contact.as_ref().map(|c| c.id.as_str()),
                        org_id: org_id.as_deref(),
                        activity_id: None,
                        due_ms,
                        note: note.as_deref(),
                    },
                )
            })?;
            followup_by_id(tx, ws, &id)
        })
    }

    /// Follow-ups of the current workspace, soonest due first.
    pub fn followups(&self, filter: FollowUpFilter) -> Result<Vec<FollowUp>> {
        let now = time::now_ms();
        let (cond, bound) = match filter {
            FollowUpFilter::All => ("1 = 1", 0),
            FollowUpFilter::Open => ("f.done_ms IS NULL", 0),
            FollowUpFilter::Due => ("f.done_ms IS NULL AND f.due_ms <= ?2", now + DAY_MS),
            FollowUpFilter::Overdue => ("f.done_ms IS NULL AND f.due_ms < ?2", now),
        };
        self.read(|c, ws| {
            let sql = format!("{SELECT} WHERE f.ws = ?1 AND ({cond}) ORDER BY f.due_ms, f.id");
            let mut st = c.prepare(&sql)?;
            let rows = if cond.contains("?2") {
                st.query_map(params![ws.id.to_hex(), bound], |r| row(r, now))?
                    .collect::<rusqlite::Result<Vec<_>>>()?
            } else {
                st.query_map(params![ws.id.to_hex()], |r| row(r, now))?
                    .collect::<rusqlite::Result<Vec<_>>>()?
            };
            Ok(rows)
        })
    }

    /// Marks a follow-up (by id prefix) done now.
    pub fn complete_followup(&self, id: &str) -> Result<FollowUp> {
        self.edit_followup(id, |t, place, _| place.put(t, "done_ms", time::now_ms()))
    }

    /// Moves a follow-up's due time (RFC 3339 or `YYYY-MM-DD`).
    pub fn snooze_followup(&self, id: &str, until: &str) -> Result<FollowUp> {
        let due = time::parse_due(until)?;
        self.edit_followup(id, |t, place, _| place.put(t, "due_ms", due))
    }

    /// Assigns a follow-up to another member of the practice (by name or id prefix).
    pub fn reassign_followup(&self, id: &str, member: &str) -> Result<FollowUp> {
        let member = member.to_string();
        self.edit_followup(id, move |t, place, target| {
            place.put(t, "assigned_to", target.resolve_member(&member)?)
        })
    }

    fn edit_followup(
        &self,
        id: &str,
        f: impl FnOnce(
            &mut automerge::transaction::Transaction<'_>,
            &Place,
            &MemberLookup,
        ) -> Result<()>,
    ) -> Result<FollowUp> {
        self.write(|tx, ws, me| {
            let found = resolve_followup(tx, ws, id)?;
            let members = MemberLookup::load(tx, ws)?;
            let doc_id: Id = found
                .logbook_id
                .parse()
                .map_err(|_| Error::invalid("damaged follow-up record"))?;
            change_doc(tx, ws, me, &doc_id, DocKind::Logbook, |t| {
                let place = Place::find(t, &found)?;
                f(t, &place, &members)
            })?;
            followup_by_id(tx, ws, &found.id)
        })
    }
}

/// Where a follow-up's fields are in its logbook.
enum Place {
    /// An entry of the `followups` map: fields `done_ms`, `due_ms`, `assigned_to`.
    Entry(ObjId),
    /// The activity whose thank-you it is: the same fields with a `thank_you_` prefix.
    Activity(ObjId),
}

impl Place {
    fn find(t: &automerge::transaction::Transaction<'_>, found: &Found) -> Result<Place> {
        let missing = || Error::invalid("the follow-up is missing from its logbook");
        if let Some((_, map)) = t.get(ROOT, "followups")? {
            if let Some((_, obj)) = t.get(&map, found.id.as_str())? {
                return Ok(Place::Entry(obj));
            }
        }
        // Not an entry: the thank-you of the activity it names, if its id says so.
        let activity = found
            .activity_id
            .as_deref()
            .filter(|a| documents::thank_you_id(a) == found.id)
            .ok_or_else(missing)?;
        let (_, acts) = t.get(ROOT, "activities")?.ok_or_else(missing)?;
        let (_, obj) = t.get(&acts, activity)?.ok_or_else(missing)?;
        Ok(Place::Activity(obj))
    }

    /// Sets one of the follow-up's fields (named as in a `followups` entry).
    fn put(
        &self,
        t: &mut automerge::transaction::Transaction<'_>,
        field: &str,
        value: impl Into<automerge::ScalarValue>,
    ) -> Result<()> {
        match self {
            Place::Entry(obj) => t.put(obj, field, value)?,
            Place::Activity(obj) => t.put(obj, format!("thank_you_{field}"), value)?,
        }
        Ok(())
    }
}

/// A follow-up found by an id prefix.
struct Found {
    id: String,
    logbook_id: String,
    activity_id: Option<String>,
}

fn resolve_followup(c: &Connection, ws: &Ws, q: &str) -> Result<Found> {
    let q = q.trim().to_lowercase();
    if q.len() < 4 || !q.chars().all(|ch| ch.is_ascii_hexdigit()) {
        return Err(Error::invalid(
            "give a follow-up by its id (at least 4 hex digits, as `followup list` shows)",
        ));
    }
    let mut st = c.prepare(
        "SELECT id, logbook_id, activity_id FROM followups
          WHERE ws = ?1 AND substr(id, 1, length(?2)) = ?2",
    )?;
    let mut hits: Vec<Found> = st
        .query_map(params![ws.id.to_hex(), q], |r| {
            Ok(Found {
                id: r.get(0)?,
                logbook_id: r.get(1)?,
                activity_id: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    match hits.len() {
        1 => Ok(hits.remove(0)),
        0 => Err(Error::NotFound {
            what: "follow-up",
            query: q,
            candidates: vec![],
        }),
        _ => Err(Error::Ambiguous {
            what: "follow-up",
            query: q,
            candidates: hits.into_iter().map(|f| f.id[..12].to_string()).collect(),
        }),
    }
}

const SELECT: &str = "SELECT f.id, f.kind, f.contact_id, c.name, f.org_id, o.name,
    f.activity_id, f.due_ms, f.note, f.done_ms, coalesce(m.name, 'a member not synced yet'),
    f.assigned_to
  FROM followups f
  LEFT JOIN contacts c ON c.ws = f.ws AND c.id = f.contact_id
  LEFT JOIN orgs o ON o.ws = f.ws AND o.id = f.org_id
  LEFT JOIN members m ON m.ws = f.ws AND m.id = f.assigned_to";

fn row(r: &Row, now: i64) -> rusqlite::Result<FollowUp> {
    let due: i64 = r.get(7)?;
    let done: Option<i64> = r.get(9)?;
    Ok(FollowUp {
        id: r.get(0)?,
        kind: FollowUpKind::parse(&r.get::<_, String>(1)?).unwrap_or(FollowUpKind::Custom),
        contact_id: r.get(2)?,
        contact: r.get(3)?,
        organization_id: r.get(4)?,
        organization: r.get(5)?,
        activity_id: r.get(6)?,
        due_at: time::format_ms(due),
        note: r.get(8)?,
        done_at: done.map(time::format_ms),
        assigned_to: r.get(10)?,
        assigned_to_id: r.get(11)?,
        overdue: done.is_none() && due < now,
    })
}

pub(crate) fn followup_by_id(c: &Connection, ws: &Ws, id: &str) -> Result<FollowUp> {
    c.query_row(
        &format!("{SELECT} WHERE f.ws = ?1 AND f.id = ?2"),
        params![ws.id.to_hex(), id],
        |r| row(r, time::now_ms()),
    )
    .optional()?
    .ok_or_else(|| Error::NotFound {
        what: "follow-up",
        query: id.into(),
        candidates: vec![],
    })
}

/// Open follow-ups with one contact, soonest first.
pub(crate) fn open_for_contact(c: &Connection, ws: &Ws, contact_id: &str) -> Result<Vec<FollowUp>> {
    let now = time::now_ms();
    let mut st = c.prepare(&format!(
        "{SELECT} WHERE f.ws = ?1 AND f.contact_id = ?2 AND f.done_ms IS NULL ORDER BY f.due_ms, f.id"
    ))?;
    let rows = st.query_map(params![ws.id.to_hex(), contact_id], |r| row(r, now))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ActivityKind, NewActivity};

    /// Logbooks written before thank-yous became fields of their visit hold them as entries of
    /// `followups`, pointing at the activity; those keep working.
    #[test]
    fn a_thank_you_an_older_version_wrote_as_an_entry_is_put_off_taken_over_and_sent_as_before() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s.sqlite3")).unwrap();
        store.init("Dana").unwrap();
        store.create_workspace("Maple Street").unwrap();
        let talk = store
            .log_activity(&NewActivity {
                kind: Some(ActivityKind::Talk),
                minutes: 45,
                at: Some("2026-03-02T15:00:00Z".into()),
                ..Default::default()
            })
            .unwrap();
        let old = Id::random().to_hex();
        store
            .write(|tx, ws, me| {
                let logbook = ws.keys.doc_ids(&ws.id).logbook(&ws.member_id, "2026-03");
                change_doc(tx, ws, me, &logbook, DocKind::Logbook, |t| {
                    put_followup(
                        t,
                        ws,
                        &old,
                        &FollowUpFields {
                            kind: FollowUpKind::ThankYou,
                            contact_id: None,
                            org_id: None,
                            activity_id: Some(&talk.id),
                            due_ms: time::parse_rfc3339("2026-03-04T15:00:00Z")?,
                            note: None,
                        },
                    )
                })
            })
            .unwrap();

        store.snooze_followup(&old, "2026-03-05T09:00:00Z").unwrap();
        store.reassign_followup(&old, "Dana").unwrap();
        let sent = store.complete_followup(&old[..6]).unwrap();
        assert_eq!(sent.id, old);
        assert_eq!(sent.kind, FollowUpKind::ThankYou);
        assert_eq!(sent.activity_id.as_deref(), Some(talk.id.as_str()));
        assert_eq!(sent.due_at, "2026-03-05T09:00:00Z");
        assert!(sent.done_at.is_some());

        let listed = store.followups(FollowUpFilter::All).unwrap();
        assert_eq!(listed.len(), 1, "a talk calls for no thank-you of its own");
        store.rebuild_index().unwrap();
        assert_eq!(store.followups(FollowUpFilter::All).unwrap(), listed);
    }

    /// Two devices list a contact's follow-ups in one order even when several fall due at the
    /// same moment (the index's row order is each device's own insertion order).
    #[test]
    fn follow_ups_due_at_the_same_moment_are_listed_in_the_order_of_their_ids() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s.sqlite3")).unwrap();
        store.init("Dana").unwrap();
        store.create_workspace("Maple Street").unwrap();
        store
            .add_contact(&crate::model::NewContact {
                name: "Rosa Jimenez".into(),
                ..Default::default()
            })
            .unwrap();
        for n in 0..8 {
            store
                .add_followup(&NewFollowUp {
                    contact: Some("Rosa".into()),
                    due: Some("2026-03-04T15:00:00Z".into()),
                    note: Some(format!("check-in {n}")),
                    ..Default::default()
                })
                .unwrap();
        }
        let listed: Vec<String> = store
            .contact("Rosa")
            .unwrap()
            .followups
            .into_iter()
            .map(|f| f.id)
            .collect();
        let mut by_id = listed.clone();
        by_id.sort();
        assert_eq!(listed.len(), 8);
        assert_eq!(
            listed, by_id,
            "same due time: listed by id, as on every device"
        );
    }
}
