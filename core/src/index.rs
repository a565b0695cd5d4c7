//! The SQLite index: what lists, search and status read.
//!
//! [`reindex`] rewrites every index row that comes from one document, inside the caller's
//! transaction, so the index always matches the documents. It never reads other documents:
//! names of related things (an activity's organization, a note's author) are joined at query
//! time, so a document that arrives later shows up everywhere it is referenced.

use automerge::Automerge;
use rusqlite::{params, Transaction};

use crate::docs::{
    self, ActivityDoc, ContactDoc, DocKind, LedgerDoc, LogbookDoc, OrgDoc, WorkspaceDoc,
};
use crate::error::Result;

/// Rewrites the index rows that come from `doc`.
pub(crate) fn reindex(tx: &Transaction, ws: &str, doc_id: &str, doc: &Automerge) -> Result<()> {
    clear(tx, ws, doc_id)?;
    match docs::kind_of(doc) {
        Some(DocKind::Workspace) => index_workspace(tx, ws, &docs::read(doc)),
        Some(DocKind::Organization) => index_org(tx, ws, doc_id, &docs::read(doc)),
        Some(DocKind::Contact) => index_contact(tx, ws, doc_id, &docs::read(doc)),
        Some(DocKind::Logbook) => index_logbook(tx, ws, doc_id, &docs::read(doc)),
        Some(DocKind::Ledger) => index_ledger(tx, ws, doc_id, &docs::read(doc)),
        // A document whose genesis has not arrived yet: nothing to show.
        None => Ok(()),
    }
}

fn clear(tx: &Transaction, ws: &str, doc_id: &str) -> Result<()> {
    for sql in [
        "DELETE FROM orgs WHERE ws = ?1 AND id = ?2",
        "DELETE FROM contacts WHERE ws = ?1 AND id = ?2",
        "DELETE FROM contact_notes WHERE ws = ?1 AND contact_id = ?2",
        "DELETE FROM activity_contacts WHERE ws = ?1 AND activity_id IN
            (SELECT id FROM activities WHERE ws = ?1 AND logbook_id = ?2)",
        "DELETE FROM activities WHERE ws = ?1 AND logbook_id = ?2",
        "DELETE FROM followups WHERE ws = ?1 AND logbook_id = ?2",
        "DELETE FROM referrals WHERE ws = ?1 AND ledger_id = ?2",
        "DELETE FROM search WHERE rowid IN
            (SELECT rowid FROM search_rows WHERE ws = ?1 AND doc_id = ?2)",
        "DELETE FROM search_rows WHERE ws = ?1 AND doc_id = ?2",
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
        ] {
            tx.execute(&format!("DELETE FROM {table} WHERE ws = ?1"), params![ws])?;
        }
    }
    Ok(())
}

fn index_workspace(tx: &Transaction, ws: &str, doc: &WorkspaceDoc) -> Result<()> {
    for (id, m) in &doc.members {
        tx.execute(
            "INSERT INTO members (ws, id, name, role) VALUES (?1, ?2, ?3, ?4)",
            params![ws, id, m.name, m.role],
        )?;
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

fn index_org(tx: &Transaction, ws: &str, id: &str, doc: &OrgDoc) -> Result<()> {
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
    let body = [doc.kind.as_str(), doc.address.as_deref().unwrap_or("")].join(" ");
    add_search(tx, ws, id, "organization", id, &doc.name, &body)
}

fn index_contact(tx: &Transaction, ws: &str, id: &str, doc: &ContactDoc) -> Result<()> {
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
    let mut body = vec![
        doc.category.clone(),
        doc.needs.clone().unwrap_or_default(),
        doc.how_we_help.clone().unwrap_or_default(),
        doc.role.clone().unwrap_or_default(),
    ];
    body.extend(doc.emails.iter().cloned());
    body.extend(doc.tags.iter().cloned());
    for n in &doc.notes {
        tx.execute(
            "INSERT OR IGNORE INTO contact_notes (ws, contact_id, id, at, author_id, text)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![ws, id, n.id, n.at, n.author, n.text],
        )?;
        body.push(n.text.clone());
    }
    add_search(tx, ws, id, "contact", id, &doc.name, &body.join(" "))
}

fn index_logbook(tx: &Transaction, ws: &str, logbook_id: &str, doc: &LogbookDoc) -> Result<()> {
    for (id, a) in doc.activities.iter().filter(|(_, a)| !a.deleted) {
        index_activity(tx, ws, logbook_id, id, a)?;
    }
    for (id, f) in &doc.followups {
        tx.execute(
            "INSERT INTO followups (ws, id, logbook_id, kind, contact_id, org_id, activity_id,
               due_ms, note, done_ms, assigned_to, created_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
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
            ],
        )?;
    }
    Ok(())
}

fn index_ledger(tx: &Transaction, ws: &str, ledger_id: &str, doc: &LedgerDoc) -> Result<()> {
    for (id, r) in doc.referrals.iter().filter(|(_, r)| !r.deleted) {
        tx.execute(
            "INSERT INTO referrals (ws, id, ledger_id, direction, day, contact_id, org_id,
               reason, status, channel, note, recorded_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
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
            ],
        )?;
    }
    Ok(())
}

fn index_activity(
    tx: &Transaction,
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
    tx.execute(
        "INSERT OR REPLACE INTO activities (ws, id, logbook_id, kind, at_ms, minutes, org_id,
           note, left_behind, logged_by, audience, attendance)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
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
        ],
    )?;
    for (pos, c) in a.contact_ids.iter().enumerate() {
        tx.execute(
            "INSERT OR IGNORE INTO activity_contacts (ws, activity_id, contact_id, position)
             VALUES (?1, ?2, ?3, ?4)",
            params![ws, id, c, pos as i64],
        )?;
    }
    let items: Vec<&str> = left.iter().map(|l| l.item.as_str()).collect();
    let body = format!(
        "{} {} {}",
        a.note.as_deref().unwrap_or(""),
        a.audience.as_deref().unwrap_or(""),
        items.join(" ")
    );
    add_search(tx, ws, logbook_id, "activity", id, &a.kind, &body)
}

fn add_search(
    tx: &Transaction,
    ws: &str,
    doc_id: &str,
    kind: &str,
    id: &str,
    title: &str,
    body: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO search_rows (ws, doc_id) VALUES (?1, ?2)",
        params![ws, doc_id],
    )?;
    tx.execute(
        "INSERT INTO search (rowid, ws, doc_id, kind, id, title, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![tx.last_insert_rowid(), ws, doc_id, kind, id, title, body],
    )?;
    Ok(())
}
