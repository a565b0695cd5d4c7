//! The one path every imported record takes, whatever file it came from: duplicate detection,
//! finding or creating its organization, and adding it through the store's ordinary actions.

use std::collections::{HashMap, HashSet};

use rusqlite::params;

use crate::base::error::{Error, Result};
use crate::base::validate::{
    check_cadence, check_len, check_location, checked_name, optional_text, MAX_NAME_BYTES,
    MAX_TEXT_BYTES,
};
use crate::model::{Contact, NewContact, NewOrg, NoteEntry};
use crate::read::rows::{contact_row, CONTACT_SELECT};
use crate::storage::workspace::current_ws;
use crate::store::Store;

use super::{ImportReport, Progress, Skipped, PROGRESS_EVERY};

/// A contact read from a file, before it is checked and added.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct Record {
    /// The card number or CSV line, for the report.
    pub at: usize,
    /// The contact; `organization` holds the organization's *name* as the file gave it.
    pub contact: NewContact,
    /// A first note entry.
    pub note: Option<String>,
    /// Where the organization is, used when the import creates it.
    pub location: Option<(f64, f64)>,
}

/// What a parser hands over: a record, or the reason one could not be read.
pub(super) type Parsed = std::result::Result<Record, Skipped>;

/// Imports parsed records in order; see the module docs of [`super`] for the rules.
pub(super) fn run(
    store: &Store,
    records: Vec<Parsed>,
    progress: &mut dyn FnMut(Progress),
) -> Result<ImportReport> {
    let total = records.len();
    let mut seen = Seen::default();
    for c in all_contacts(store)? {
        seen.add(&c.name, &c.phones, &c.emails);
    }
    let mut orgs: HashMap<String, String> = store
        .organizations()?
        .into_iter()
        .map(|o| (name_key(&o.name), o.id))
        .collect();
    let mut report = ImportReport::default();
    for (i, parsed) in records.into_iter().enumerate() {
        match parsed {
            Err(skip) => report.skipped.push(skip),
            Ok(rec) => {
                let c = &rec.contact;
                if seen.matches(&c.name, &c.phones, &c.emails) {
                    report.duplicates += 1;
                } else {
                    match add(store, &rec, &mut orgs, &mut report) {
                        Ok(()) => {
                            seen.add(&c.name, &c.phones, &c.emails);
                            report.added += 1;
                        }
                        Err(e) if is_about_the_record(&e) => report.skipped.push(Skipped {
                            line_or_card: rec.at,
                            reason: e.to_string(),
                        }),
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        let done = i + 1;
        if done % PROGRESS_EVERY == 0 || done == total {
            progress(Progress { done, total });
        }
    }
    Ok(report)
}

/// Whether an error is about one record (so the import goes on without it) rather than about
/// the store (so the import stops).
fn is_about_the_record(e: &Error) -> bool {
    matches!(
        e,
        Error::InvalidInput(_)
            | Error::NotFound { .. }
            | Error::Ambiguous { .. }
            | Error::Conflict(_)
    )
}

/// Adds one record: checks it whole first, so that a bad record creates no organization either.
fn add(
    store: &Store,
    rec: &Record,
    orgs: &mut HashMap<String, String>,
    report: &mut ImportReport,
) -> Result<()> {
    check(rec)?;
    let mut new = rec.contact.clone();
    if let Some(org_name) = new.organization.take() {
        let key = name_key(&org_name);
        let id = match orgs.get(&key) {
            Some(id) => id.clone(),
            None => {
                let org = store.add_org(&NewOrg {
                    name: org_name,
                    location: rec
                        .location
                        .filter(|(la, lo)| check_location(*la, *lo).is_ok()),
                    ..NewOrg::default()
                })?;
                report.organizations_added += 1;
                orgs.insert(key, org.id.clone());
                org.id
            }
        };
        new.organization = Some(id);
    }
    let contact = store.add_contact(&new)?;
    if let Some(note) = &rec.note {
        store.append_note(&contact.id, note)?;
    }
    Ok(())
}

/// The checks [`Store::add_contact`] and [`Store::append_note`] make, made before anything is
/// written.
fn check(rec: &Record) -> Result<()> {
    let c = &rec.contact;
    checked_name(&c.name)?;
    if let Some(org) = &c.organization {
        check_len(org.trim(), MAX_NAME_BYTES, "organization name")?;
    }
    optional_text(c.role.as_deref(), "role")?;
    optional_text(c.needs.as_deref(), "needs")?;
    optional_text(c.how_we_help.as_deref(), "how we can help")?;
    for (values, what) in [(&c.phones, "phone"), (&c.emails, "email"), (&c.tags, "tag")] {
        for v in values {
            optional_text(Some(v), what)?;
        }
    }
    if let Some(e) = c.emails.iter().find(|e| !e.contains('@')) {
        return Err(Error::invalid(format!("\"{e}\" is not an email address")));
    }
    if let Some(days) = c.cadence_days {
        check_cadence(days)?;
    }
    if let Some(note) = &rec.note {
        check_len(note.trim(), MAX_TEXT_BYTES, "note")?;
    }
    Ok(())
}

/// Every contact of the workspace, archived ones included: an archived contact is still one the
/// therapist has, and importing it again would bring back a second copy.
fn all_contacts(store: &Store) -> Result<Vec<Contact>> {
    let conn = store.lock();
    let ws = current_ws(&conn, store.scope)?;
    let mut st = conn.prepare(&format!("{CONTACT_SELECT} WHERE c.ws = ?1"))?;
    let rows = st.query_map([ws.id.to_hex()], contact_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Every contact's notes, oldest first, keyed by contact id; one query for the whole export.
pub(super) fn notes_by_contact(store: &Store) -> Result<HashMap<String, Vec<NoteEntry>>> {
    let conn = store.lock();
    let ws = current_ws(&conn, store.scope)?;
    let mut st = conn.prepare(
        "SELECT n.contact_id, n.id, n.at, coalesce(m.name, 'a former member'), n.text
         FROM contact_notes n LEFT JOIN members m ON m.ws = n.ws AND m.id = n.author_id
         WHERE n.ws = ?1 ORDER BY n.at, n.id",
    )?;
    let rows = st.query_map(params![ws.id.to_hex()], |r| {
        Ok((
            r.get::<_, String>(0)?,
            NoteEntry {
                id: r.get(1)?,
                at: r.get(2)?,
                author: r.get(3)?,
                text: r.get(4)?,
            },
        ))
    })?;
    let mut out: HashMap<String, Vec<NoteEntry>> = HashMap::new();
    for row in rows {
        let (contact, note) = row?;
        out.entry(contact).or_default().push(note);
    }
    Ok(out)
}

/// The keys of the contacts known so far.
#[derive(Default)]
struct Seen {
    names: HashSet<String>,
    phones: HashSet<String>,
    emails: HashSet<String>,
}

impl Seen {
    fn matches(&self, name: &str, phones: &[String], emails: &[String]) -> bool {
        self.names.contains(&name_key(name))
            || phones
                .iter()
                .filter_map(|p| phone_key(p))
                .any(|k| self.phones.contains(&k))
            || emails.iter().any(|e| self.emails.contains(&email_key(e)))
    }

    fn add(&mut self, name: &str, phones: &[String], emails: &[String]) {
        let name = name_key(name);
        if !name.is_empty() {
            self.names.insert(name);
        }
        self.phones
            .extend(phones.iter().filter_map(|p| phone_key(p)));
        self.emails.extend(
            emails
                .iter()
                .map(|e| email_key(e))
                .filter(|e| !e.is_empty()),
        );
    }
}

/// A name as duplicates are found: trimmed, lowercase, single spaces.
pub(super) fn name_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A phone as duplicates are found: its last ten digits, so `+1 (617) 555-0142` and
/// `617.555.0142` match. Numbers with fewer than seven digits (extensions, short codes) are too
/// short to tell two people apart and are not compared.
fn phone_key(phone: &str) -> Option<String> {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 7 {
        return None;
    }
    Some(digits[digits.len().saturating_sub(10)..].iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_match_by_email_phone_or_name_as_people_write_them() {
        let mut seen = Seen::default();
        seen.add(
            "  Rosa   Jimenez ",
            &["(617) 555-0142".into()],
            &["RJimenez@Lincoln.example".into()],
        );
        assert!(seen.matches("rosa jimenez", &[], &[]));
        assert!(seen.matches("R. Jimenez", &["+1 617 555 0142".into()], &[]));
        assert!(seen.matches("R. J.", &[], &["rjimenez@lincoln.EXAMPLE ".into()]));
        assert!(!seen.matches("Rosa Jiménez", &["617 555 0143".into()], &[]));
        assert!(!seen.matches("Someone", &["142".into()], &[]));
    }

    #[test]
    fn phone_keys_keep_the_last_ten_digits() {
        assert_eq!(
            phone_key("+1 (617) 555-0142").as_deref(),
            Some("6175550142")
        );
        assert_eq!(phone_key("617.555.0142").as_deref(), Some("6175550142"));
        assert_eq!(phone_key("555-0142").as_deref(), Some("5550142"));
        assert_eq!(phone_key("x142"), None);
    }
}
