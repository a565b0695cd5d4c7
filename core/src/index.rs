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

use std::collections::BTreeSet;

use automerge::{Automerge, Patch, PatchAction, Prop, ReadDoc, ROOT};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::docs::{
    self, ActivityDoc, ContactDoc, DocKind, FollowUpDoc, OrgDoc, ReferralDoc, WorkspaceDoc,
};
use crate::error::Result;

/// Which index rows a change can have affected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Touched {
    /// Anything: rewrite every row of the document.
    All,
    /// Only these entries, as (section, key): e.g. ("activities", activity id).
    Entries(BTreeSet<(String, String)>),
}

/// The sections whose entries are indexed one by one.
const ENTRY_SECTIONS: &[&str] = &["activities", "followups", "referrals"];

/// When an entry's full-text row is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FullText {
    /// With the entry's other rows (a whole document rewritten, a new document).
    Now,
    /// Into the search queue ([`queue_search`]); its rows in the FTS table are left as they
    /// are until the queue is written.
    Queued,
}

/// The entries a change touched, from the patches automerge logged while applying it. Anything
/// outside an entry (a new container, a field at the root, another kind of document) means
/// [`Touched::All`].
pub(crate) fn touched(kind: Option<DocKind>, patches: &[Patch]) -> Touched {
    if !matches!(kind, Some(DocKind::Logbook | DocKind::Ledger)) {
        return Touched::All;
    }
    let mut entries = BTreeSet::new();
    for patch in patches {
        let section = match patch.path.first() {
            Some((_, Prop::Map(section))) if ENTRY_SECTIONS.contains(&section.as_str()) => section,
            _ => return Touched::All,
        };
        let key = match (patch.path.get(1), &patch.action) {
            (Some((_, Prop::Map(key))), _) => key.clone(),
            (None, PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key }) => key.clone(),
            (
                None,
                PatchAction::Increment {
                    prop: Prop::Map(key),
                    ..
                },
            )
            | (
                None,
                PatchAction::Conflict {
                    prop: Prop::Map(key),
                },
            ) => key.clone(),
            _ => return Touched::All,
        };
        entries.insert((section.clone(), key));
    }
    Touched::Entries(entries)
}

/// The entries one local change touched, read from the change's own operations: an operation
/// on a section map names its entry, and an operation on an object the same change created
/// belongs to that object's entry. Cheaper than building patches (which looks up every
/// object's path in the document), and enough for adding entries. `None` when the change
/// edits an object made earlier (then ask [`touched`] with the patches).
pub(crate) fn touched_by_change(
    doc: &Automerge,
    kind: Option<DocKind>,
    change: &automerge::Change,
) -> Option<Touched> {
    use automerge::legacy::{Key, ObjectId, OpType};
    if !matches!(kind, Some(DocKind::Logbook | DocKind::Ledger)) {
        return Some(Touched::All);
    }
    let sections: Vec<(String, &str)> = ENTRY_SECTIONS
        .iter()
        .filter_map(|s| Some((doc.get(ROOT, *s).ok()??.1.to_string(), *s)))
        .collect();
    let expanded = change.decode();
    let mut created: std::collections::HashMap<String, (String, String)> = Default::default();
    let mut entries = BTreeSet::new();
    for (i, op) in expanded.operations.iter().enumerate() {
        let obj = match &op.obj {
            ObjectId::Root => return Some(Touched::All),
            ObjectId::Id(id) => id.to_string(),
        };
        let entry = match sections.iter().find(|(id, _)| *id == obj) {
            Some((_, section)) => match &op.key {
                Key::Map(key) => (section.to_string(), key.to_string()),
                Key::Seq(_) => return Some(Touched::All),
            },
            None => created.get(&obj)?.clone(),
        };
        if let OpType::Make(_) = op.action {
            let op_id = format!(
                "{}@{}",
                expanded.start_op.get() + i as u64,
                expanded.actor_id
            );
            created.insert(op_id, entry.clone());
        }
        entries.insert(entry);
    }
    Some(Touched::Entries(entries))
}

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
    match docs::kind_of(doc) {
        Some(DocKind::Workspace) => index_workspace(tx, ws, &docs::read(doc)),
        Some(DocKind::Organization) => {
            let org = docs::read(doc);
            index_org(tx, ws, doc_id, &org)?;
            search_org(tx, ws, doc_id, &org)
        }
        Some(DocKind::Contact) => {
            let contact = docs::read(doc);
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
        // A document whose genesis has not arrived yet: nothing to show.
        None => Ok(()),
    }
}

/// Indexes one entry of a logbook or ledger as it is in `doc` (nothing if absent or deleted).
fn index_entry(
    tx: &Connection,
    ws: &str,
    doc_id: &str,
    doc: &Automerge,
    section: &str,
    key: &str,
    full_text: FullText,
) -> Result<()> {
    match section {
        "activities" => match docs::read_entry::<ActivityDoc>(doc, section, key) {
            Some(a) if !a.deleted => {
                index_activity(tx, ws, doc_id, key, &a)?;
                search_activity(tx, ws, doc_id, key, &a, full_text)
            }
            // Its full-text row, if it had one, goes when the queue is written.
            _ if full_text == FullText::Queued => queue_search(tx, ws, doc_id, key, None),
            _ => Ok(()),
        },
        "followups" => match docs::read_entry::<FollowUpDoc>(doc, section, key) {
            Some(f) => index_followup(tx, ws, doc_id, key, (&f).into()),
            None => Ok(()),
        },
        "referrals" => match docs::read_entry::<ReferralDoc>(doc, section, key) {
            Some(r) if !r.deleted => index_referral(tx, ws, doc_id, key, &r),
            _ => Ok(()),
        },
        _ => Ok(()),
    }
}

/// Removes the index rows of one entry; its full-text rows too unless they are `Queued` to be
/// rewritten.
fn clear_entry(
    tx: &Connection,
    ws: &str,
    doc_id: &str,
    section: &str,
    key: &str,
    full_text: FullText,
) -> Result<()> {
    let sqls: &[&str] = match section {
        "activities" => {
            // The thank-you the activity calls for, if it holds one (see `docs`).
            tx.prepare_cached(
                "DELETE FROM followups WHERE ws = ?1 AND id = ?3 AND logbook_id = ?2
                   AND activity_id = ?4",
            )?
            .execute(params![ws, doc_id, docs::thank_you_id(key), key])?;
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

/// Removes the full-text rows of one entry.
fn clear_entry_search(tx: &Connection, ws: &str, doc_id: &str, key: &str) -> Result<()> {
    tx.prepare_cached(
        "DELETE FROM search WHERE rowid IN
            (SELECT rowid FROM search_rows WHERE ws = ?1 AND doc_id = ?2 AND entry = ?3)",
    )?
    .execute(params![ws, doc_id, key])?;
    tx.prepare_cached("DELETE FROM search_rows WHERE ws = ?1 AND doc_id = ?2 AND entry = ?3")?
        .execute(params![ws, doc_id, key])?;
    Ok(())
}

fn clear(tx: &Connection, ws: &str, doc_id: &str) -> Result<()> {
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
        ] {
            tx.execute(&format!("DELETE FROM {table} WHERE ws = ?1"), params![ws])?;
        }
    }
    Ok(())
}

fn index_workspace(tx: &Connection, ws: &str, doc: &WorkspaceDoc) -> Result<()> {
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

fn index_org(tx: &Connection, ws: &str, id: &str, doc: &OrgDoc) -> Result<()> {
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

/// An organization's full-text row (written with its other rows, or by the search catch-up).
fn search_org(tx: &Connection, ws: &str, id: &str, doc: &OrgDoc) -> Result<()> {
    if doc.deleted || doc.name.is_empty() {
        return Ok(());
    }
    let body = [doc.kind.as_str(), doc.address.as_deref().unwrap_or("")].join(" ");
    add_search(tx, ws, id, None, "organization", id, &doc.name, &body)
}

fn index_contact(tx: &Connection, ws: &str, id: &str, doc: &ContactDoc) -> Result<()> {
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

/// A contact's full-text row: what they need, how we help, their emails, tags and notes.
fn search_contact(tx: &Connection, ws: &str, id: &str, doc: &ContactDoc) -> Result<()> {
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

/// A follow-up's row as [`index_followup`] writes it, borrowed from an entry of `followups` or
/// from the activity whose thank-you it is.
struct FollowUpRow<'a> {
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

fn index_followup(
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

fn index_referral(
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
fn index_activity(
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
            &docs::thank_you_id(id),
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

/// An activity's full-text row: its note, audience and what was left behind.
fn search_activity(
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
struct QueuedRow<'a> {
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
fn queue_search(
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
fn add_search(
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
    Ok(Some(match docs::kind_of(doc) {
        Some(DocKind::Workspace) => return Ok(None),
        Some(DocKind::Organization) => NewRows::Org(docs::read(doc)),
        Some(DocKind::Contact) => NewRows::Contact(docs::read(doc)),
        Some(DocKind::Logbook | DocKind::Ledger) => {
            let mut entries = Vec::new();
            for section in ENTRY_SECTIONS {
                let Some((_, map)) = doc.get(ROOT, *section)? else {
                    continue;
                };
                // One pass over the section (as `docs::read_entry` reads each entry, without
                // looking the section and the key up again for every entry).
                for item in doc.map_range(&map, ..) {
                    if !matches!(item.value, automerge::ValueRef::Object(_)) {
                        continue;
                    }
                    let json = docs::to_json(doc, &item.id());
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
fn write_search(tx: &Connection, ws: &str, doc_id: &str, rows: &NewRows) -> Result<()> {
    match rows {
        NewRows::Org(o) => search_org(tx, ws, doc_id, o),
        NewRows::Contact(c) => search_contact(tx, ws, doc_id, c),
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
fn flush_deferred_search(tx: &Connection, ws: &str, doc_id: &str) -> Result<()> {
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
    match crate::snapshot::read_rows(deflated) {
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
            let doc = Automerge::load(&crate::docstore::stored_bytes(tx, ws, doc_id)?)?;
            reindex(tx, ws, doc_id, &doc)?;
            Ok(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::*;
    use crate::Store;

    /// Every row of every index table, in a stable order.
    fn dump(store: &Store) -> Vec<String> {
        let conn = store.lock();
        let mut out = Vec::new();
        for (table, cols) in [
            ("orgs", "*"),
            ("contacts", "*"),
            ("contact_notes", "*"),
            ("activities", "*"),
            ("activity_contacts", "*"),
            ("followups", "*"),
            ("referrals", "*"),
            ("catalog", "*"),
            ("members", "*"),
            ("search", "ws, doc_id, kind, id, title, body"),
            ("search_rows", "ws, doc_id, entry"),
            ("search_pending", "ws, doc_id"),
            ("search_queue", "*"),
        ] {
            let mut st = conn
                .prepare(&format!("SELECT {cols} FROM {table}"))
                .unwrap();
            let n = st.column_count();
            let mut rows: Vec<String> = st
                .query_map([], |r| {
                    let mut row = vec![table.to_string()];
                    for i in 0..n {
                        row.push(format!("{:?}", r.get_ref(i)?));
                    }
                    Ok(row.join("|"))
                })
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            rows.sort();
            out.extend(rows);
        }
        out
    }

    /// A month at Lincoln Middle School: 40 visits with Ms. Rivera (brochures left behind),
    /// follow-ups (half done, half snoozed), referrals and notes.
    fn a_month_at_lincoln(store: &Store) {
        store.init("Dana").unwrap();
        store.create_workspace("Maple Street").unwrap();
        store
            .add_org(&NewOrg {
                name: "Lincoln Middle School".into(),
                ..Default::default()
            })
            .unwrap();
        store
            .add_contact(&NewContact {
                name: "Ms. Rivera".into(),
                organization: Some("Lincoln".into()),
                ..Default::default()
            })
            .unwrap();
        store.restock("brochure", 40).unwrap();
        let mut followups = Vec::new();
        for day in 1..=40 {
            store
                .log_activity(&NewActivity {
                    organization: Some("Lincoln".into()),
                    contacts: vec!["Rivera".into()],
                    minutes: 15,
                    note: Some(format!(
                        "Visit {day}: talked about the spring parent night."
                    )),
                    left_behind: vec![LeftBehind {
                        item: "brochure".into(),
                        qty: 1,
                    }],
                    at: Some(format!("2026-03-{:02}T15:00:00Z", day % 28 + 1)),
                    ..Default::default()
                })
                .unwrap();
            if day % 5 == 0 {
                let f = store
                    .add_followup(&NewFollowUp {
                        contact: Some("Rivera".into()),
                        due: Some("2026-04-01".into()),
                        note: Some("Send the group flyer".into()),
                        ..Default::default()
                    })
                    .unwrap();
                followups.push(f.id);
            }
            if day % 7 == 0 {
                store
                    .add_referral(&NewReferral {
                        direction: ReferralDirection::Received,
                        partner: "Rivera".into(),
                        reason: "anxiety".into(),
                        status: None,
                        channel: None,
                        on: None,
                        note: None,
                    })
                    .unwrap();
                store.append_note("Rivera", "Prefers email.").unwrap();
            }
        }
        for (i, id) in followups.iter().enumerate() {
            if i % 2 == 0 {
                store.complete_followup(id).unwrap();
            } else {
                store.snooze_followup(id, "2026-05-01").unwrap();
            }
        }
        // The thank-yous the visits call for (fields of their activities): some sent, some
        // put off, some taken over.
        let thanks: Vec<String> = store
            .followups(FollowUpFilter::All)
            .unwrap()
            .into_iter()
            .filter(|f| f.kind == FollowUpKind::ThankYou)
            .map(|f| f.id)
            .collect();
        assert_eq!(thanks.len(), 40);
        for (i, id) in thanks.iter().enumerate() {
            match i % 4 {
                0 => drop(store.complete_followup(id).unwrap()),
                1 => drop(store.snooze_followup(id, "2026-04-20").unwrap()),
                2 => drop(store.reassign_followup(id, "Dana").unwrap()),
                _ => {}
            }
        }
    }

    #[test]
    fn a_month_indexed_entry_by_entry_reads_exactly_like_an_index_rebuilt_from_the_documents() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s.sqlite3")).unwrap();
        // Held back, as during a sync: on a busy machine a pause between two writes would
        // otherwise let it write some of the queue.
        let catch_up = store.hold_search_catch_up();
        a_month_at_lincoln(&store);
        // The visits' full-text rows wait in the queue; the first search writes them.
        assert_eq!(queued(&store), 40);
        assert_eq!(store.search("parent night").unwrap().len(), 40);
        assert_eq!(queued(&store), 0);
        drop(catch_up);
        let incremental = dump(&store);
        assert!(
            incremental
                .iter()
                .filter(|r| r.starts_with("activities|"))
                .count()
                == 40
        );
        store.rebuild_index().unwrap();
        assert_eq!(incremental, dump(&store));

        // And from the file alone, with no document in memory.
        drop(store);
        let store = Store::open(dir.path().join("s.sqlite3")).unwrap();
        store.rebuild_index().unwrap();
        assert_eq!(incremental, dump(&store));
    }

    /// Full-text rows waiting in the search queue.
    fn queued(store: &Store) -> i64 {
        store
            .lock()
            .query_row("SELECT count(*) FROM search_queue", [], |r| r.get(0))
            .unwrap()
    }

    /// Rows of the FTS table (not the queue) that match `word`.
    fn in_full_text(store: &Store, word: &str) -> i64 {
        store
            .lock()
            .query_row(
                "SELECT count(*) FROM search WHERE search MATCH ?1",
                [word],
                |r| r.get(0),
            )
            .unwrap()
    }

    /// Waits (up to a minute) for the background catch-up to leave at most `left` rows in the
    /// search queue.
    fn wait_for_queue(store: &Store, left: i64) {
        let mut waited = std::time::Duration::ZERO;
        while queued(store) > left {
            assert!(
                waited < std::time::Duration::from_secs(60),
                "the catch-up did not write the queue"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
            waited += std::time::Duration::from_millis(10);
        }
    }

    /// Leaves every document's full-text rows for the catch-up, as a bulk bootstrap does;
    /// returns how many documents wait.
    fn defer_every_search_row(store: &Store) -> usize {
        use crate::snapshot::{decode, encode, IndexSnapshot, Plain};
        let mut conn = store.lock();
        let tx = conn.transaction().unwrap();
        let docs: Vec<(String, String)> = tx
            .prepare("SELECT ws, doc_id FROM documents WHERE doc_id <> ws")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        for (ws, doc_id) in &docs {
            let doc = automerge::Automerge::load(
                &crate::docstore::stored_bytes(&tx, ws, doc_id).unwrap(),
            )
            .unwrap();
            let rows = super::read_new(ws, doc_id, &doc).unwrap().unwrap();
            super::clear(&tx, ws, doc_id).unwrap();
            super::write_new(&tx, ws, doc_id, &rows, false).unwrap();
            let index = IndexSnapshot {
                kind: crate::docs::kind_of(&doc),
                rows,
            };
            let Plain::WithRows(_, _, deflated) = decode(encode(b"", &index).unwrap()).unwrap()
            else {
                panic!("the rows did not come back");
            };
            super::defer_search(&tx, ws, doc_id, &deflated).unwrap();
        }
        tx.commit().unwrap();
        docs.len()
    }

    #[test]
    fn a_month_whose_search_rows_wait_for_the_catch_up_is_edited_meanwhile_and_loses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s.sqlite3")).unwrap();
        // Held back throughout, as while the bootstrap's sync runs.
        let catch_up = store.hold_search_catch_up();
        a_month_at_lincoln(&store);
        // The organization, Ms. Rivera, March's logbook, the referral ledger...
        let waiting = defer_every_search_row(&store) as u64;
        assert!(waiting >= 4, "{waiting}");
        assert_eq!(store.search_backlog().unwrap(), waiting);
        let full_text: i64 = store
            .lock()
            .query_row("SELECT count(*) FROM search_rows", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            full_text, 0,
            "no full-text row is written before the catch-up"
        );
        // Lists do not wait for it.
        assert_eq!(store.contacts().unwrap().len(), 1);

        // Meanwhile, a visit in March's logbook (rewritten entry by entry) and a note on Ms.
        // Rivera (rewritten whole).
        store
            .log_activity(&NewActivity {
                organization: Some("Lincoln".into()),
                contacts: vec!["Rivera".into()],
                minutes: 20,
                note: Some("Dropped off the spring flyers.".into()),
                at: Some("2026-03-20T15:00:00Z".into()),
                ..Default::default()
            })
            .unwrap();
        store
            .append_note("Rivera", "Asked about the teen group.")
            .unwrap();
        assert_eq!(store.search_backlog().unwrap(), waiting - 2);

        // A search writes what is left first: every visit is found, the new one too.
        assert_eq!(store.search("parent night").unwrap().len(), 40);
        assert_eq!(store.search("spring flyers").unwrap().len(), 1);
        assert_eq!(store.search("teen group").unwrap().len(), 1);
        assert_eq!(store.search_backlog().unwrap(), 0);
        let caught_up = dump(&store);
        store.rebuild_index().unwrap();
        assert_eq!(caught_up, dump(&store));
        drop(catch_up);
    }

    #[test]
    fn the_catch_up_thread_writes_what_a_bootstrap_left_when_the_store_opens_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s.sqlite3")).unwrap();
        a_month_at_lincoln(&store);
        store.rebuild_index().unwrap();
        let rebuilt = dump(&store);
        defer_every_search_row(&store);
        drop(store);

        // The app was killed before the catch-up was done; opening the store resumes it.
        let store = Store::open(dir.path().join("s.sqlite3")).unwrap();
        let mut waited = std::time::Duration::ZERO;
        while store.search_backlog().unwrap() > 0 {
            assert!(
                waited < std::time::Duration::from_secs(60),
                "the catch-up did not finish"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
            waited += std::time::Duration::from_millis(10);
        }
        assert_eq!(rebuilt, dump(&store));
    }

    /// Sets one field of a visit in its logbook, as an edit made on any device does.
    fn edit_visit(store: &Store, id: &str, field: &str, value: impl Into<automerge::ScalarValue>) {
        use automerge::transaction::Transactable;
        use automerge::ReadDoc;
        let value = value.into();
        let logbook: String = store
            .lock()
            .query_row(
                "SELECT logbook_id FROM activities WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap();
        let logbook: trellis_protocol::Id = logbook.parse().unwrap();
        store
            .write(|tx, ws, me| {
                crate::store::change_doc(tx, ws, me, &logbook, crate::docs::DocKind::Logbook, |t| {
                    let (_, acts) = t.get(automerge::ROOT, "activities")?.unwrap();
                    let (_, visit) = t.get(&acts, id)?.unwrap();
                    t.put(&visit, field, value)?;
                    Ok(())
                })
            })
            .unwrap();
    }

    /// Visits at Lincoln in March (whose logbook the month at Lincoln made), each with a note.
    fn visits(store: &Store, n: usize, note: &str) {
        for i in 0..n {
            store
                .log_activity(&NewActivity {
                    organization: Some("Lincoln".into()),
                    contacts: vec!["Rivera".into()],
                    minutes: 10,
                    note: Some(format!("{note} ({i})")),
                    at: Some(format!("2026-03-{:02}T16:00:00Z", i % 28 + 1)),
                    ..Default::default()
                })
                .unwrap();
        }
    }

    #[test]
    fn a_run_of_visits_is_written_to_the_full_text_index_once_writes_pause_with_no_search() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s.sqlite3")).unwrap();
        a_month_at_lincoln(&store);
        store.search("parent").unwrap();
        // More visits than one transaction of the catch-up writes: once the writes pause, it
        // writes their full-text rows, with no search to ask for them.
        let n = 150;
        visits(&store, n, "Dropped off the spring flyers");
        wait_for_queue(&store, 0);
        let written = in_full_text(&store, "flyers");
        assert_eq!(written, n as i64);

        // Edited and deleted visits are found as they are now, not as they were.
        let found = store.search("spring flyers").unwrap();
        assert_eq!(found.len(), crate::queries::SEARCH_LIMIT);
        let all = store.activities().unwrap();
        let flyers: Vec<_> = all
            .iter()
            .filter(|a| a.note.as_deref().unwrap_or("").contains("flyers"))
            .collect();
        assert_eq!(flyers.len(), n);
        // The app has no screen for these yet; another device's edit arrives the same way.
        edit_visit(&store, &flyers[0].id, "note", "Met the new principal");
        edit_visit(&store, &flyers[1].id, "deleted", true);
        assert_eq!(store.search("principal").unwrap().len(), 1);
        let left = in_full_text(&store, "flyers");
        assert_eq!(left, n as i64 - 2);

        let caught_up = dump(&store);
        store.rebuild_index().unwrap();
        assert_eq!(caught_up, dump(&store));
    }

    #[test]
    fn the_catch_up_waits_for_a_sync_to_end_and_a_search_meanwhile_finds_everything() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s.sqlite3")).unwrap();
        // A sync (a bootstrap, say) is under way while the month is logged.
        let sync = store.hold_search_catch_up();
        a_month_at_lincoln(&store);
        std::thread::sleep(crate::catch_up::QUIET * 3);
        assert_eq!(queued(&store), 40, "nothing is written while the sync runs");
        drop(sync);
        wait_for_queue(&store, 0);
        assert_eq!(in_full_text(&store, "parent"), 40);

        // A search does not wait for the sync: it writes what is queued itself.
        let sync = store.hold_search_catch_up();
        visits(&store, 3, "Left a plant for the front office");
        assert_eq!(store.search("front office plant").unwrap().len(), 3);
        assert_eq!(queued(&store), 0);
        drop(sync);
    }

    #[test]
    fn visits_whose_rows_were_still_queued_when_the_app_closed_are_written_when_it_opens() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s.sqlite3")).unwrap();
        let catch_up = store.hold_search_catch_up();
        a_month_at_lincoln(&store);
        visits(&store, 3, "Left a plant for the front office");
        assert_eq!(queued(&store), 43);
        // Closed at once: what the catch-up has not written by then, the next open does.
        drop(catch_up);
        drop(store);

        let store = Store::open(dir.path().join("s.sqlite3")).unwrap();
        wait_for_queue(&store, 0);
        let written = in_full_text(&store, "plant");
        assert_eq!(written, 3);
        assert_eq!(store.search("front office plant").unwrap().len(), 3);
    }
}
