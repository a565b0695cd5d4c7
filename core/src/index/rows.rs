//! The index's row writers: the rows of the workspace, an organization, a contact and each
//! entry of a logbook or ledger, and clearing them before a rewrite.

use automerge::Automerge;
use rusqlite::{params, Connection};

use crate::base::error::Result;
use crate::documents::{
    self, ActivityDoc, ContactDoc, FollowUpDoc, OrgDoc, PostDoc, ReferralDoc, WorkspaceDoc,
};

use super::search::{clear_entry_search, queue_search, search_activity, FullText};

/// Indexes one entry of a logbook or ledger as it is in `doc` (nothing if absent or deleted).
pub(super) fn index_entry(
    tx: &Connection,
    ws: &str,
    doc_id: &str,
    doc: &Automerge,
    section: &str,
    key: &str,
    full_text: FullText,
) -> Result<()> {
    match section {
        "activities" => match documents::read_entry::<ActivityDoc>(doc, section, key) {
            Some(a) if !a.deleted => {
                index_activity(tx, ws, doc_id, key, &a)?;
                search_activity(tx, ws, doc_id, key, &a, full_text)
            }
            // Its full-text row, if it had one, goes when the queue is written.
            _ if full_text == FullText::Queued => queue_search(tx, ws, doc_id, key, None),
            _ => Ok(()),
        },
        "followups" => match documents::read_entry::<FollowUpDoc>(doc, section, key) {
            Some(f) => index_followup(tx, ws, doc_id, key, (&f).into()),
            None => Ok(()),
        },
        "referrals" => match documents::read_entry::<ReferralDoc>(doc, section, key) {
            Some(r) if !r.deleted => index_referral(tx, ws, doc_id, key, &r),
            _ => Ok(()),
        },
        _ => Ok(()),
    }
}

/// Removes the index rows of one entry; its full-text rows too unless they are `Queued` to be
/// rewritten.
pub(super) fn clear_entry(
    tx: &Connection,
    ws: &str,
    doc_id: &str,
    section: &str,
    key: &str,
    full_text: FullText,
) -> Result<()> {
    let sqls: &[&str] = match section {
        "activities" => {
            // The thank-you the activity calls for, if it holds one (see `documents`).
            tx.prepare_cached(
                "DELETE FROM followups WHERE ws = ?1 AND id = ?3 AND logbook_id = ?2
                   AND activity_id = ?4",
            )?
            .execute(params![ws, doc_id, documents::thank_you_id(key), key])?;
            &[
                "DELETE FROM activity_contacts WHERE ws = ?1 AND activity_id = ?3",
                "DELETE FROM activities WHERE ws = ?1 AND id = ?3 AND logbook_id = ?2",
            ]
        }
        "followups" => &["DELETE FROM followups WHERE ws = ?1 AND id = ?3 AND logbook_id = ?2"],
        "referrals" => &["DELETE FROM referrals WHERE ws = ?1 AND id = ?3 AND ledger_id = ?2"],
        _ => &[],
    };
    for sql in sqls {
        tx.prepare_cached(sql)?.execute(params![ws, doc_id, key])?;
    }
    match full_text {
        FullText::Now => clear_entry_search(tx, ws, doc_id, key),
        FullText::Queued => Ok(()),
    }
}

pub(crate) fn clear(tx: &Connection, ws: &str, doc_id: &str) -> Result<()> {
    for sql in [
        "DELETE FROM orgs WHERE ws = ?1 AND id = ?2",
        "DELETE FROM contacts WHERE ws = ?1 AND id = ?2",
        "DELETE FROM contact_notes WHERE ws = ?1 AND contact_id = ?2",
        "DELETE FROM activity_contacts WHERE ws = ?1 AND activity_id IN
            (SELECT id FROM activities WHERE ws = ?1 AND logbook_id = ?2)",
        "DELETE FROM activities WHERE ws = ?1 AND logbook_id = ?2",
        "DELETE FROM followups WHERE ws = ?1 AND logbook_id = ?2",
        "DELETE FROM referrals WHERE ws = ?1 AND ledger_id = ?2",
        "DELETE FROM posts WHERE ws = ?1 AND id = ?2",
        "DELETE FROM search WHERE rowid IN
            (SELECT rowid FROM search_rows WHERE ws = ?1 AND doc_id = ?2)",
        "DELETE FROM search_rows WHERE ws = ?1 AND doc_id = ?2",
        "DELETE FROM search_pending WHERE ws = ?1 AND doc_id = ?2",
        "DELETE FROM search_queue WHERE ws = ?1 AND doc_id = ?2",
    ] {
        tx.execute(sql, params![ws, doc_id])?;
    }
    if doc_id == ws {
        for table in [
            "members",
            "settings",
            "catalog",
            "pitches",
            "memberships",
            "reasons",
            "cards",
        ] {
            tx.execute(&format!("DELETE FROM {table} WHERE ws = ?1"), params![ws])?;
        }
    }
    Ok(())
}

/// A post's row, when it reads as one and names its author.
pub(super) fn index_post(tx: &Connection, ws: &str, doc_id: &str, p: &PostDoc) -> Result<()> {
    if p.author.is_empty() || serde_json::from_str::<crate::model::Need>(&p.need).is_err() {
        return Ok(());
    }
    tx.prepare_cached(
        "INSERT INTO posts
            (ws, id, author, need, created_ms, expires_ms, status, replies, closed_with)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        ws,
        doc_id,
        p.author,
        p.need,
        p.created_ms,
        p.expires_ms,
        if p.status.is_empty() {
            "open"
        } else {
            &p.status
        },
        // A reply counts only under the member who sent it.
        p.replies.iter().filter(|(k, r)| **k == r.author).count() as i64,
        (!p.closed_with.is_empty()).then_some(p.closed_with.as_str())
    ])?;
    Ok(())
}

pub(super) fn index_workspace(tx: &Connection, ws: &str, doc: &WorkspaceDoc) -> Result<()> {
    for (id, m) in &doc.members {
        tx.execute(
            "INSERT INTO members (ws, id, name, role) VALUES (?1, ?2, ?3, ?4)",
            params![ws, id, m.name, m.role],
        )?;
    }
    // A card sits under its member's key (only her devices may write it:
    // `crate::sync::verify`), and counts only if it reads as a card.
    for (key, value) in &doc.rest {
        let (Some(member), Some(card)) = (key.strip_prefix("card:"), value.as_str()) else {
            continue;
        };
        if serde_json::from_str::<crate::model::Card>(card).is_ok() {
            tx.execute(
                "INSERT INTO cards (ws, member_id, card) VALUES (?1, ?2, ?3)",
                params![ws, member, card],
            )?;
        }
    }
    if !doc.name.is_empty() {
        tx.execute(
            "UPDATE workspaces SET name = ?2 WHERE id = ?1",
            params![ws, doc.name],
        )?;
    }
    for (key, value) in &doc.settings {
        if let Some(v) = value.as_i64() {
            tx.execute(
                "INSERT INTO settings (ws, key, value) VALUES (?1, ?2, ?3)",
                params![ws, key, v],
            )?;
        }
    }
    for (item, c) in &doc.catalog {
        // Stock is the sum of every device's counter for the item.
        let prefix = format!("{item}/");
        let stock: i64 = doc
            .stock
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|(_, v)| *v)
            .sum();
        tx.execute(
            "INSERT INTO catalog (ws, item, name, stock, low_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![ws, item, c.name, stock, c.low_at],
        )?;
    }
    for (category, text) in &doc.pitches {
        tx.execute(
            "INSERT INTO pitches (ws, category, text) VALUES (?1, ?2, ?3)",
            params![ws, category, text],
        )?;
    }
    for (id, m) in doc.memberships.iter().filter(|(_, m)| !m.deleted) {
        tx.execute(
            "INSERT INTO memberships (ws, id, org_id, member_id, role, renews)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![ws, id, m.org_id, m.member_id, m.role, m.renews],
        )?;
    }
    for (key, name) in &doc.reasons {
        tx.execute(
            "INSERT INTO reasons (ws, key, name) VALUES (?1, ?2, ?3)",
            params![ws, key, name],
        )?;
    }
    Ok(())
}

pub(super) fn index_org(tx: &Connection, ws: &str, id: &str, doc: &OrgDoc) -> Result<()> {
    // Deleted, or only its genesis has arrived so far: nothing to show.
    if doc.deleted || doc.name.is_empty() {
        return Ok(());
    }
    tx.execute(
        "INSERT INTO orgs
           (ws, id, name, kind, address, phone, website, lat, lon, archived, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            ws,
            id,
            doc.name,
            doc.kind,
            doc.address,
            doc.phone,
            doc.website,
            doc.lat,
            doc.lon,
            doc.archived,
            doc.created_at
        ],
    )?;
    Ok(())
}

pub(super) fn index_contact(tx: &Connection, ws: &str, id: &str, doc: &ContactDoc) -> Result<()> {
    if doc.deleted || doc.name.is_empty() {
        return Ok(());
    }
    let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
    tx.execute(
        "INSERT INTO contacts (ws, id, name, org_id, role, category, stage, cadence_days,
           phones, emails, needs, how_we_help, tags, archived, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            ws,
            id,
            doc.name,
            doc.org_id,
            doc.role,
            doc.category,
            doc.stage.as_deref().unwrap_or("prospect"),
            doc.cadence_days,
            json(&doc.phones),
            json(&doc.emails),
            doc.needs,
            doc.how_we_help,
            json(&doc.tags),
            doc.archived,
            doc.created_at
        ],
    )?;
    for n in &doc.notes {
        tx.execute(
            "INSERT OR IGNORE INTO contact_notes (ws, contact_id, id, at, author_id, text)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![ws, id, n.id, n.at, n.author, n.text],
        )?;
    }
    Ok(())
}

/// A follow-up's row as [`index_followup`] writes it, borrowed from an entry of `followups` or
/// from the activity whose thank-you it is.
pub(super) struct FollowUpRow<'a> {
    kind: &'a str,
    contact_id: Option<&'a str>,
    org_id: Option<&'a str>,
    activity_id: Option<&'a str>,
    due_ms: i64,
    note: Option<&'a str>,
    done_ms: Option<i64>,
    assigned_to: &'a str,
    created_by: &'a str,
}

impl<'a> From<&'a FollowUpDoc> for FollowUpRow<'a> {
    fn from(f: &'a FollowUpDoc) -> Self {
        FollowUpRow {
            kind: &f.kind,
            contact_id: f.contact_id.as_deref(),
            org_id: f.org_id.as_deref(),
            activity_id: f.activity_id.as_deref(),
            due_ms: f.due_ms,
            note: f.note.as_deref(),
            done_ms: f.done_ms,
            assigned_to: &f.assigned_to,
            created_by: &f.created_by,
        }
    }
}

pub(super) fn index_followup(
    tx: &Connection,
    ws: &str,
    logbook_id: &str,
    id: &str,
    f: FollowUpRow<'_>,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO followups (ws, id, logbook_id, kind, contact_id, org_id, activity_id,
           due_ms, note, done_ms, assigned_to, created_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        ws,
        id,
        logbook_id,
        f.kind,
        f.contact_id,
        f.org_id,
        f.activity_id,
        f.due_ms,
        f.note,
        f.done_ms,
        f.assigned_to,
        f.created_by
    ])?;
    Ok(())
}

pub(super) fn index_referral(
    tx: &Connection,
    ws: &str,
    ledger_id: &str,
    id: &str,
    r: &ReferralDoc,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO referrals (ws, id, ledger_id, direction, day, contact_id, org_id,
           reason, status, channel, note, recorded_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        ws,
        id,
        ledger_id,
        r.direction,
        r.day,
        r.contact_id,
        r.org_id,
        r.reason,
        r.status,
        r.channel,
        r.note,
        r.recorded_by
    ])?;
    Ok(())
}

/// An activity's rows, and the follow-up row of the thank-you it calls for, if any.
pub(super) fn index_activity(
    tx: &Connection,
    ws: &str,
    logbook_id: &str,
    id: &str,
    a: &ActivityDoc,
) -> Result<()> {
    let left: Vec<crate::model::LeftBehind> = a
        .left_behind
        .iter()
        .map(|l| crate::model::LeftBehind {
            item: l.item.clone(),
            qty: u32::try_from(l.qty).unwrap_or(0),
        })
        .collect();
    tx.prepare_cached(
        "INSERT OR REPLACE INTO activities (ws, id, logbook_id, kind, at_ms, minutes, org_id,
           note, left_behind, logged_by, audience, attendance)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        ws,
        id,
        logbook_id,
        a.kind,
        a.at_ms,
        a.minutes.max(0),
        a.org_id,
        a.note,
        serde_json::to_string(&left).unwrap_or_default(),
        a.logged_by,
        a.audience,
        a.attendance
    ])?;
    for (pos, c) in a.contact_ids.iter().enumerate() {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO activity_contacts (ws, activity_id, contact_id, position, at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![ws, id, c, pos as i64, a.at_ms])?;
    }
    if let Some(due_ms) = a.thank_you_due_ms {
        index_followup(
            tx,
            ws,
            logbook_id,
            &documents::thank_you_id(id),
            FollowUpRow {
                kind: crate::model::FollowUpKind::ThankYou.as_str(),
                contact_id: a.contact_ids.first().map(String::as_str),
                org_id: a.org_id.as_deref(),
                activity_id: Some(id),
                due_ms,
                note: None,
                done_ms: a.thank_you_done_ms,
                assigned_to: a.thank_you_assigned_to.as_deref().unwrap_or(&a.logged_by),
                created_by: &a.logged_by,
            },
        )?;
    }
    Ok(())
}
