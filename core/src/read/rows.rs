//! Row readers: the `SELECT`s and row mappers that turn index rows into the public types, and
//! fetching one organization, contact or activity by id.

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::base::error::{Error, Result};
use crate::base::time;
use crate::model::{
    Activity, ActivityKind, Contact, ContactCategory, LeftBehind, OrgKind, Organization, Stage,
};
use crate::storage::workspace::Ws;

pub(crate) const ORG_SELECT: &str =
    "SELECT id, name, kind, address, phone, website, lat, lon, archived, created_at FROM orgs";

pub(crate) fn org_row(r: &Row) -> rusqlite::Result<Organization> {
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

pub(crate) const ACTIVITY_SELECT: &str =
    "SELECT a.id, a.kind, a.at_ms, a.minutes, a.org_id, o.name,
    a.note, a.left_behind, coalesce(m.name, 'a member not synced yet'), a.audience, a.attendance
  FROM activities a
  LEFT JOIN orgs o ON o.ws = a.ws AND o.id = a.org_id
  LEFT JOIN members m ON m.ws = a.ws AND m.id = a.logged_by";

pub(crate) fn activity_row(r: &Row) -> rusqlite::Result<Activity> {
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

pub(crate) fn fill_contacts(c: &Connection, ws: &Ws, a: &mut Activity) -> Result<()> {
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

/// The error for `query` naming no `what`, with the names it came close to.
pub(crate) fn not_found(what: &'static str, query: &str, candidates: Vec<String>) -> Error {
    Error::NotFound {
        what,
        query: query.into(),
        candidates,
    }
}
