//! What a therapist records: organizations, contacts, notes, activities.
//!
//! Each method is one user action and one SQLite transaction (see [`crate::store`]): the
//! automerge change, its sealed outbox row and the index rows commit together or not at all.

use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, ROOT};
use trellis_protocol::Id;

use crate::base::error::{Error, Result};
use crate::base::time;
use crate::base::validate::{
    check_cadence, check_len, check_location, checked_name, non_empty, optional_text, text_list,
    MAX_TEXT_BYTES,
};
use crate::documents::DocKind;
use crate::model::{
    Activity, ActivityKind, Contact, ContactCategory, ContactChanges, NewActivity, NewContact,
    NewOrg, NoteEntry, OrgChanges, OrgKind, Organization, Stage,
};
use crate::read::{resolve, rows};
use crate::store::{change_doc, Store};

use super::settings;

impl Store {
    /// Adds an organization to the current workspace.
    pub fn add_org(&self, new: &NewOrg) -> Result<Organization> {
        let name = checked_name(&new.name)?;
        let kind = new.kind.unwrap_or(OrgKind::Other);
        let address = optional_text(new.address.as_deref(), "address")?;
        let phone = optional_text(new.phone.as_deref(), "phone")?;
        let website = optional_text(new.website.as_deref(), "website")?;
        if let Some((lat, lon)) = new.location {
            check_location(lat, lon)?;
        }
        let id = Id::random();
        self.write(|tx, ws, me| {
            change_doc(tx, ws, me, &id, DocKind::Organization, |t| {
                t.put(ROOT, "name", name.as_str())?;
                t.put(ROOT, "kind", kind.as_str())?;
                for (key, value) in [
                    ("address", &address),
                    ("phone", &phone),
                    ("website", &website),
                ] {
                    if let Some(v) = value {
                        t.put(ROOT, key, v.as_str())?;
                    }
                }
                if let Some((lat, lon)) = new.location {
                    t.put(ROOT, "lat", lat)?;
                    t.put(ROOT, "lon", lon)?;
                }
                t.put(ROOT, "created_at", time::now_rfc3339())?;
                Ok(())
            })?;
            rows::org_by_id(tx, ws, &id.to_hex())
        })
    }

    /// Adds a contact to the current workspace.
    pub fn add_contact(&self, new: &NewContact) -> Result<Contact> {
        let name = checked_name(&new.name)?;
        let category = new.category.unwrap_or(ContactCategory::Other);
        let role = optional_text(new.role.as_deref(), "role")?;
        let phones = text_list(&new.phones, "phone")?;
        let emails = text_list(&new.emails, "email")?;
        if let Some(e) = emails.iter().find(|e| !e.contains('@')) {
            return Err(Error::invalid(format!("\"{e}\" is not an email address")));
        }
        let tags = text_list(&new.tags, "tag")?;
        let needs = optional_text(new.needs.as_deref(), "needs")?;
        let how = optional_text(new.how_we_help.as_deref(), "how we can help")?;
        if let Some(days) = new.cadence_days {
            check_cadence(days)?;
        }
        let id = Id::random();
        self.write(|tx, ws, me| {
            let org = match &new.organization {
                Some(q) => Some(resolve::resolve_org(tx, ws, q)?.id),
                None => None,
            };
            change_doc(tx, ws, me, &id, DocKind::Contact, |t| {
                t.put(ROOT, "name", name.as_str())?;
                t.put(ROOT, "category", category.as_str())?;
                t.put(ROOT, "stage", new.stage.unwrap_or(Stage::Prospect).as_str())?;
                for (key, value) in [
                    ("org_id", &org),
                    ("role", &role),
                    ("needs", &needs),
                    ("how_we_help", &how),
                ] {
                    if let Some(v) = value {
                        t.put(ROOT, key, v.as_str())?;
                    }
                }
                if let Some(days) = new.cadence_days {
                    t.put(ROOT, "cadence_days", i64::from(days))?;
                }
                for (list, values) in [("phones", &phones), ("emails", &emails), ("tags", &tags)] {
                    let (_, obj) = t
                        .get(ROOT, list)?
                        .ok_or_else(|| Error::invalid("damaged contact document"))?;
                    for (i, v) in values.iter().enumerate() {
                        t.insert(&obj, i, v.as_str())?;
                    }
                }
                t.put(ROOT, "created_at", time::now_rfc3339())?;
                Ok(())
            })?;
            rows::contact_by_id(tx, ws, &id.to_hex())
        })
    }

    /// Changes a contact's fields (those given in `changes`; see [`ContactChanges`]). Each field
    /// is its own key in the contact's document, so a colleague's concurrent change to another
    /// field survives the merge; the same field changed on two devices keeps one of them, the
    /// same on every device.
    pub fn update_contact(&self, contact: &str, changes: &ContactChanges) -> Result<Contact> {
        let name = changes.name.as_deref().map(checked_name).transpose()?;
        let texts = [
            ("role", changes.role.as_deref(), "role"),
            ("needs", changes.needs.as_deref(), "needs"),
            (
                "how_we_help",
                changes.how_we_help.as_deref(),
                "how we can help",
            ),
        ]
        .into_iter()
        .filter_map(|(key, value, what)| value.map(|v| (key, v, what)))
        .map(|(key, value, what)| Ok((key, optional_text(Some(value), what)?)))
        .collect::<Result<Vec<_>>>()?;
        let mut lists = Vec::new();
        for (key, values, what) in [
            ("phones", &changes.phones, "phone"),
            ("emails", &changes.emails, "email"),
            ("tags", &changes.tags, "tag"),
        ] {
            if let Some(values) = values {
                lists.push((key, text_list(values, what)?));
            }
        }
        if let Some((_, emails)) = lists.iter().find(|(key, _)| *key == "emails") {
            if let Some(e) = emails.iter().find(|e| !e.contains('@')) {
                return Err(Error::invalid(format!("\"{e}\" is not an email address")));
            }
        }
        self.write(|tx, ws, me| {
            let found = resolve::resolve_contact(tx, ws, contact)?;
            let org = match changes.organization.as_deref().map(str::trim) {
                Some("") => Some(None),
                Some(q) => Some(Some(resolve::resolve_org(tx, ws, q)?.id)),
                None => None,
            };
            let id: Id = found
                .id
                .parse()
                .map_err(|_| Error::invalid("a record in this store has a damaged id"))?;
            change_doc(tx, ws, me, &id, DocKind::Contact, |t| {
                if let Some(name) = &name {
                    t.put(ROOT, "name", name.as_str())?;
                }
                if let Some(category) = changes.category {
                    t.put(ROOT, "category", category.as_str())?;
                }
                let org = org.as_ref().map(|o| ("org_id", o.clone()));
                for (key, value) in texts.iter().map(|(k, v)| (*k, v.clone())).chain(org) {
                    match value {
                        Some(v) => t.put(ROOT, key, v.as_str())?,
                        None => t.delete(ROOT, key)?,
                    }
                }
                for (key, values) in &lists {
                    let (_, obj) = t
                        .get(ROOT, *key)?
                        .ok_or_else(|| Error::invalid("damaged contact document"))?;
                    for i in (0..t.length(&obj)).rev() {
                        t.delete(&obj, i)?;
                    }
                    for (i, v) in values.iter().enumerate() {
                        t.insert(&obj, i, v.as_str())?;
                    }
                }
                Ok(())
            })?;
            rows::contact_by_id(tx, ws, &found.id)
        })
    }

    /// Changes an organization's fields (those given in `changes`; see [`OrgChanges`]).
    pub fn update_org(&self, org: &str, changes: &OrgChanges) -> Result<Organization> {
        let name = changes.name.as_deref().map(checked_name).transpose()?;
        let texts = [
            ("address", changes.address.as_deref(), "address"),
            ("phone", changes.phone.as_deref(), "phone"),
            ("website", changes.website.as_deref(), "website"),
        ]
        .into_iter()
        .filter_map(|(key, value, what)| value.map(|v| (key, v, what)))
        .map(|(key, value, what)| Ok((key, optional_text(Some(value), what)?)))
        .collect::<Result<Vec<_>>>()?;
        self.write(|tx, ws, me| {
            let found = resolve::resolve_org(tx, ws, org)?;
            let id: Id = found
                .id
                .parse()
                .map_err(|_| Error::invalid("a record in this store has a damaged id"))?;
            change_doc(tx, ws, me, &id, DocKind::Organization, |t| {
                if let Some(name) = &name {
                    t.put(ROOT, "name", name.as_str())?;
                }
                if let Some(kind) = changes.kind {
                    t.put(ROOT, "kind", kind.as_str())?;
                }
                for (key, value) in &texts {
                    match value {
                        Some(v) => t.put(ROOT, *key, v.as_str())?,
                        None => t.delete(ROOT, *key)?,
                    }
                }
                Ok(())
            })?;
            rows::org_by_id(tx, ws, &found.id)
        })
    }

    /// Appends a dated entry to a contact's notes. Entries appended on two devices at once both
    /// survive the merge. Keep client details out (see [`crate::NOTE_PRIVACY_HINT`]).
    pub fn append_note(&self, contact: &str, text: &str) -> Result<NoteEntry> {
        let text = non_empty(text, "note")?;
        check_len(&text, MAX_TEXT_BYTES, "note")?;
        let note_id = Id::random().to_hex();
        let at = time::now_rfc3339();
        self.write(|tx, ws, me| {
            let c = resolve::resolve_contact(tx, ws, contact)?;
            let doc_id: Id =
                c.id.parse()
                    .map_err(|_| Error::invalid("damaged contact id"))?;
            change_doc(tx, ws, me, &doc_id, DocKind::Contact, |t| {
                let notes = match t.get(ROOT, "notes")? {
                    Some((_, obj)) => obj,
                    None => t.put_object(ROOT, "notes", ObjType::List)?,
                };
                let len = t.length(&notes);
                let n = t.insert_object(&notes, len, ObjType::Map)?;
                t.put(&n, "id", note_id.as_str())?;
                t.put(&n, "at", at.as_str())?;
                t.put(&n, "author", ws.member_id.to_hex())?;
                t.put(&n, "text", text.as_str())?;
                Ok(())
            })?;
            Ok(NoteEntry {
                id: note_id.clone(),
                at: at.clone(),
                author: me.name.clone(),
                text: text.clone(),
            })
        })
    }

    /// Logs an activity (a drop-by unless another kind is given) in this member's logbook for
    /// the activity's month.
    pub fn log_activity(&self, new: &NewActivity) -> Result<Activity> {
        let kind = new.kind.unwrap_or(ActivityKind::DropBy);
        let at_ms = match &new.at {
            Some(s) => time::parse_rfc3339(s)?,
            None => time::now_ms(),
        };
        if new.minutes > 24 * 60 {
            return Err(Error::invalid("minutes must be at most 1440 (one day)"));
        }
        let note = optional_text(new.note.as_deref(), "note")?;
        let audience = optional_text(new.audience.as_deref(), "audience")?;
        for l in &new.left_behind {
            checked_name(&l.item)?;
            if l.qty == 0 {
                return Err(Error::invalid(format!(
                    "the quantity left of \"{}\" must be at least 1",
                    l.item
                )));
            }
        }
        let activity_id = Id::random().to_hex();
        self.write(|tx, ws, me| {
            let org = match &new.organization {
                Some(q) => Some(resolve::resolve_org_id(tx, ws, q)?),
                None => None,
            };
            let mut contacts = Vec::new();
            for q in &new.contacts {
                let c = resolve::resolve_contact_id(tx, ws, q)?;
                if !contacts.contains(&c) {
                    contacts.push(c);
                }
            }
            let logbook = ws
                .keys
                .doc_ids(&ws.id)
                .logbook(&ws.member_id, &time::month_of(at_ms));
            let thank_you_hours = i64::from(settings::settings(tx, ws)?.thank_you_hours);
            change_doc(tx, ws, me, &logbook, DocKind::Logbook, |t| {
                let acts = match t.get(ROOT, "activities")? {
                    Some((_, obj)) => obj,
                    None => t.put_object(ROOT, "activities", ObjType::Map)?,
                };
                let a = t.put_object(&acts, activity_id.as_str(), ObjType::Map)?;
                t.put(&a, "kind", kind.as_str())?;
                t.put(&a, "at_ms", at_ms)?;
                t.put(&a, "minutes", i64::from(new.minutes))?;
                if let Some(o) = &org {
                    t.put(&a, "org_id", o.as_str())?;
                }
                let list = t.put_object(&a, "contact_ids", ObjType::List)?;
                for (i, c) in contacts.iter().enumerate() {
                    t.insert(&list, i, c.as_str())?;
                }
                if let Some(n) = &note {
                    t.put(&a, "note", n.as_str())?;
                }
                if !new.left_behind.is_empty() {
                    let left = t.put_object(&a, "left_behind", ObjType::List)?;
                    for (i, l) in new.left_behind.iter().enumerate() {
                        let item = t.insert_object(&left, i, ObjType::Map)?;
                        t.put(&item, "item", l.item.trim())?;
                        t.put(&item, "qty", i64::from(l.qty))?;
                    }
                }
                t.put(&a, "logged_by", ws.member_id.to_hex())?;
                if let Some(aud) = &audience {
                    t.put(&a, "audience", aud.as_str())?;
                }
                if let Some(n) = new.attendance {
                    t.put(&a, "attendance", i64::from(n))?;
                }
                if matches!(kind, ActivityKind::DropBy | ActivityKind::Meeting) {
                    // A visit calls for a thank-you within the practice's hours: a field of the
                    // activity, which the index shows as a follow-up (see `documents`).
                    t.put(&a, "thank_you_due_ms", at_ms + thank_you_hours * 3_600_000)?;
                }
                Ok(())
            })?;
            let used: Vec<(String, u32)> = new
                .left_behind
                .iter()
                .map(|l| (l.item.clone(), l.qty))
                .collect();
            settings::use_stock(tx, ws, me, &used)?;
            rows::activity_by_id(tx, ws, &activity_id)
        })
    }
}
