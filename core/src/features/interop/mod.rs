//! Import and export: contacts in from the phone's address book or a spreadsheet, contacts and
//! follow-ups out to other apps.
//!
//! | file | concern |
//! | --- | --- |
//! | `mod.rs` | the entry points on [`Store`], the report types, reading input bytes |
//! | `import.rs` | the one path every imported record takes: duplicate detection, organizations, writing |
//! | `vcard.rs` | vCard 2.1/3.0/4.0 cards to records (with the exporters' quirks), and vCard 4 out |
//! | `csv.rs` | the contact spreadsheet in and out |
//! | `ics.rs` | open follow-ups (VTODO) and the weekly networking block (VEVENT) as iCalendar |
//!
//! Parsing is done by well-kept crates (calcard for vCard and iCalendar, csv for CSV); this module
//! only maps their output to Trellis records and fixes what exporters get wrong.
//!
//! # How an import runs
//!
//! 1. The whole input is parsed first. Input that is not what it claims (an empty file, a file
//!    with no vCard in it, a CSV with no `name` column) is an [`Error::InvalidInput`] and
//!    nothing changes.
//! 2. Each record is then checked against the workspace's contacts (archived ones included) and
//!    the records imported before it: the same email (ignoring case), the same phone (its last
//!    ten digits) or the same name (ignoring case and spacing) makes it a duplicate, counted and
//!    never added. Running the same import twice therefore adds nothing the second time.
//! 3. A record that cannot be added (a bad category, an email without `@`, a note too long) is
//!    reported with its card number or CSV line in [`ImportReport::skipped`]; the rest go on.
//! 4. Each added contact is one user action through the store's ordinary paths
//!    ([`Store::add_org`], [`Store::add_contact`], [`Store::append_note`]), so it syncs like one
//!    typed by hand. A storage failure stops the import; what was added stays, and running the
//!    import again skips it as a duplicate.
//!
//! Nothing personal is logged: only counts.

mod csv;
mod ics;
mod import;
mod vcard;

use serde::{Deserialize, Serialize};

use crate::base::error::Result;
use crate::store::Store;

/// How often, in records, an import reports its progress.
pub const PROGRESS_EVERY: usize = 100;

/// How far an import has got: `done` of `total` records handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Records handled so far (added, duplicate or skipped).
    pub done: usize,
    /// Records in the input.
    pub total: usize,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Contacts added.
    pub added: usize,
    /// Records that matched an existing contact (or an earlier record of the same input) by
    /// email, phone or name, and were not added.
    pub duplicates: usize,
    /// Organizations created for the added contacts.
    pub organizations_added: usize,
    /// Records that could not be imported, and why.
    pub skipped: Vec<Skipped>,
}

/// A record an import left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// Where it is: the card's number in a vCard file (the first card is 1), or the line of the
    /// row in a CSV file (the header is line 1).
    pub line_or_card: usize,
    /// Why it was left out.
    pub reason: String,
}

impl Store {
    /// Imports the contacts of a vCard file (2.1, 3.0 or 4.0, as Google Contacts, Apple Contacts
    /// and Outlook export them), skipping duplicates. `progress` is called every
    /// [`PROGRESS_EVERY`] cards and once at the end. See the [module docs](self) for the rules.
    pub fn import_vcard(
        &self,
        text: &str,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<ImportReport> {
        let records = vcard::parse(text)?;
        let report = import::run(self, records, progress)?;
        tracing::info!(
            added = report.added,
            duplicates = report.duplicates,
            skipped = report.skipped.len(),
            "vCard import finished"
        );
        Ok(report)
    }

    /// Imports contacts from CSV text whose header names the columns (in any order) among
    /// `name,organization,role,category,stage,cadence_days,phones,emails,needs,how_we_help,tags`;
    /// `name` is required, unknown columns are ignored, lists are separated by `;`. A bad row is
    /// reported with its line and imports nothing; the other rows go on.
    pub fn import_csv(
        &self,
        text: &str,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<ImportReport> {
        let records = csv::parse(text)?;
        let report = import::run(self, records, progress)?;
        tracing::info!(
            added = report.added,
            duplicates = report.duplicates,
            skipped = report.skipped.len(),
            "CSV import finished"
        );
        Ok(report)
    }

    /// The workspace's contacts (not archived) as vCard 4.0, with their organization, notes,
    /// the organization's location as GEO, and the Trellis-only fields as `X-TRELLIS-*`
    /// properties, so that importing the file into an empty workspace gives the same contacts.
    pub fn export_vcard(&self) -> Result<String> {
        let contacts = self.contacts()?;
        let orgs = self.organizations()?;
        let notes = import::notes_by_contact(self)?;
        Ok(vcard::write(&contacts, &orgs, &notes))
    }

    /// The workspace's contacts (not archived) as CSV, with the header
    /// `name,organization,role,category,stage,cadence_days,phones,emails,needs,how_we_help,tags`.
    pub fn export_csv(&self) -> Result<String> {
        csv::write(&self.contacts()?)
    }
}

/// What an import would read from a file, before anything is compared with the workspace or
/// written: the contacts it holds and the records that cannot be read. Nothing is stored; an
/// app can show it before the user confirms the import.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportPreview {
    /// The contacts the file holds, in file order (duplicates of existing contacts included:
    /// those are found when the import runs).
    pub contacts: Vec<crate::model::NewContact>,
    /// The records that cannot be imported, and why.
    pub skipped: Vec<Skipped>,
}

impl ImportPreview {
    fn of(records: Vec<import::Parsed>) -> ImportPreview {
        let mut preview = ImportPreview::default();
        for r in records {
            match r {
                Ok(rec) => preview.contacts.push(rec.contact),
                Err(skip) => preview.skipped.push(skip),
            }
        }
        preview
    }
}

/// Reads a vCard file the way [`Store::import_vcard`] does, without a store. The same input
/// gives the same errors and the same skipped cards.
pub fn preview_vcard(text: &str) -> Result<ImportPreview> {
    vcard::parse(text).map(ImportPreview::of)
}

/// Reads a contact CSV the way [`Store::import_csv`] does, without a store.
pub fn preview_csv(text: &str) -> Result<ImportPreview> {
    csv::parse(text).map(ImportPreview::of)
}

/// Reads a file's bytes as text the way address-book exports come: UTF-8 (with or without a
/// byte-order mark), UTF-16 with a byte-order mark (some Windows exports), and otherwise
/// Latin-1, which never fails.
pub fn text_from_bytes(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    let utf16 = |rest: &[u8], le: bool| -> String {
        let units = rest.chunks_exact(2).map(|p| {
            if le {
                u16::from_le_bytes([p[0], p[1]])
            } else {
                u16::from_be_bytes([p[0], p[1]])
            }
        });
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect()
    };
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, true);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, false);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::text_from_bytes;

    #[test]
    fn file_bytes_become_text_whatever_the_exporter_wrote() {
        assert_eq!(text_from_bytes(b"\xEF\xBB\xBFname\n"), "name\n");
        assert_eq!(text_from_bytes("Inés".as_bytes()), "Inés");
        assert_eq!(text_from_bytes(b"In\xE9s"), "Inés");
        assert_eq!(text_from_bytes(b"\xFF\xFEI\x00n\x00"), "In");
        assert_eq!(text_from_bytes(b"\xFE\xFF\x00I\x00n"), "In");
        assert_eq!(text_from_bytes(b""), "");
    }
}
