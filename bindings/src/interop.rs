//! Import and export: contacts in from an address-book or spreadsheet file, contacts and
//! follow-ups out to other apps. The app reads the file (the platform's document picker) and
//! passes its text; the core parses, de-duplicates and writes. Each added contact is one local
//! transaction, so an import is synchronous: call it off the main thread for big files.

use std::sync::Arc;

use crate::error::TrellisError;
use crate::store::TrellisStore;
use crate::types::{progress_counts, ImportReport};

/// Told how far an import has got: every 100 records and once at the end. Called on the
/// thread that called the import.
#[uniffi::export(with_foreign)]
pub trait ImportProgress: Send + Sync {
    /// `done` of `total` records handled (added, duplicate or skipped).
    fn progress(&self, done: u64, total: u64);
}

/// Adapts an optional foreign progress listener to the core's callback.
fn reporter(
    listener: Option<Arc<dyn ImportProgress>>,
) -> impl FnMut(trellis_core::interop::Progress) {
    move |p| {
        if let Some(l) = &listener {
            let (done, total) = progress_counts(p);
            l.progress(done, total);
        }
    }
}

#[uniffi::export]
impl TrellisStore {
    /// Imports the contacts of a vCard file's text (2.1, 3.0 or 4.0, as Google, Apple and
    /// Outlook export them) into the current workspace, skipping duplicates. Text that holds no
    /// vCard is `InvalidInput` and changes nothing; a card that cannot be added is listed in
    /// `skipped`. Running the same import twice adds nothing the second time.
    #[uniffi::method(default(progress = None))]
    pub fn import_vcard(
        &self,
        text: String,
        progress: Option<Arc<dyn ImportProgress>>,
    ) -> Result<ImportReport, TrellisError> {
        let mut report = reporter(progress);
        Ok(self.store()?.import_vcard(&text, &mut report)?.into())
    }

    /// Imports contacts from CSV text whose header names the columns among
    /// `name,organization,role,category,stage,cadence_days,phones,emails,needs,how_we_help,tags`
    /// (`name` required; lists separated by `;`), skipping duplicates as `import_vcard` does.
    #[uniffi::method(default(progress = None))]
    pub fn import_csv(
        &self,
        text: String,
        progress: Option<Arc<dyn ImportProgress>>,
    ) -> Result<ImportReport, TrellisError> {
        let mut report = reporter(progress);
        Ok(self.store()?.import_csv(&text, &mut report)?.into())
    }

    /// The workspace's contacts (not archived) as vCard 4.0 text, for the phone's address book
    /// or another app.
    pub fn export_vcard(&self) -> Result<String, TrellisError> {
        Ok(self.store()?.export_vcard()?)
    }

    /// The workspace's contacts (not archived) as CSV text, with the header `import_csv` reads.
    pub fn export_csv(&self) -> Result<String, TrellisError> {
        Ok(self.store()?.export_csv()?)
    }

    /// Open follow-ups (as to-dos with an alarm) and the weekly networking block (a recurring
    /// event) as iCalendar text, for the phone's calendar.
    pub fn export_ics(&self) -> Result<String, TrellisError> {
        Ok(self.store()?.export_ics()?)
    }
}
