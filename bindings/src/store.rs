//! The exported store object and its local actions.
//!
//! [`TrellisStore`] wraps an `Arc<trellis_core::Store>` (the exported object delegates
//! to an inner type). Local actions are synchronous: each is one SQLite transaction in the
//! core and takes well under a millisecond, so a UI may call them on its main thread.
//!
//! The object has one owner and an explicit [`TrellisStore::close`]: a garbage
//! collector may run a finalizer late or never, and the SQLite file should be released when
//! the screen that owns it goes away. After `close()` every call fails with
//! [`TrellisError::Closed`]. A network call already under way holds its own reference and
//! finishes first; the file is released when it returns.

use std::sync::{Arc, PoisonError, RwLock};

use crate::error::TrellisError;
use crate::types::{
    Activity, Contact, ContactChanges, ContactDetail, Device, NewActivity, NewContact, NewDropBy,
    NewOrg, NoteEntry, OrgChanges, Organization, SearchHit, SetAsideEntry, Status, WorkspaceInfo,
};

/// A device's local Trellis store: one SQLite file holding every workspace this device is in.
///
/// Open it once per process and share it; all methods may be called from any thread. Call
/// `close()` when done (on Kotlin, the generated `AutoCloseable.close()` does this).
#[derive(uniffi::Object)]
pub struct TrellisStore {
    inner: RwLock<Option<Arc<trellis_core::Store>>>,
}

impl TrellisStore {
    /// Wraps an open core store (practices or regions).
    pub(crate) fn wrap(store: trellis_core::Store) -> Arc<Self> {
        Arc::new(TrellisStore {
            inner: RwLock::new(Some(Arc::new(store))),
        })
    }

    /// The open core store, or [`TrellisError::Closed`].
    pub(crate) fn store(&self) -> Result<Arc<trellis_core::Store>, TrellisError> {
        self.inner
            .read()
            // A panic elsewhere cannot leave an `Option<Arc<_>>` half-written.
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(TrellisError::closed)
    }
}

/// Converts a list of core values.
pub(crate) fn list<T, U: From<T>>(items: Vec<T>) -> Vec<U> {
    items.into_iter().map(Into::into).collect()
}

#[uniffi::export]
impl TrellisStore {
    /// Opens the store at `path` (a file path; its folder is created if needed), creating the
    /// database on first use.
    #[uniffi::constructor]
    pub fn open(path: String) -> Result<Arc<Self>, TrellisError> {
        let store = trellis_core::Store::open(path)?;
        Ok(TrellisStore::wrap(store))
    }

    /// Releases the database. Later calls on this object fail with `TrellisError.Closed`;
    /// closing twice is harmless.
    pub fn close(&self) {
        self.inner
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }

    /// Sets up this device with the user's name. Fails with `Conflict` if already set up.
    pub fn init(&self, name: String) -> Result<Device, TrellisError> {
        Ok(self.store()?.init(&name)?.into())
    }

    /// This device's identity; `NotInitialized` before `init`.
    pub fn device(&self) -> Result<Device, TrellisError> {
        Ok(self.store()?.device()?.into())
    }

    /// Creates a local workspace (a practice) with this user as owner and makes it current.
    /// It stays on this device until connected to a relay.
    pub fn create_workspace(&self, name: String) -> Result<WorkspaceInfo, TrellisError> {
        Ok(self.store()?.create_workspace(&name)?.into())
    }

    /// Every workspace on this device; the current one has `current = true`.
    pub fn workspaces(&self) -> Result<Vec<WorkspaceInfo>, TrellisError> {
        Ok(list(self.store()?.workspaces()?))
    }

    /// Makes the workspace named (or id-prefixed) by `query` current; `NotFound` or
    /// `Ambiguous` (with `candidates`) otherwise.
    pub fn use_workspace(&self, query: String) -> Result<WorkspaceInfo, TrellisError> {
        Ok(self.store()?.use_workspace(&query)?.into())
    }

    /// Adds an organization (school, clinic, congregation, ...) to the current workspace.
    pub fn add_org(&self, org: NewOrg) -> Result<Organization, TrellisError> {
        Ok(self.store()?.add_org(&org.into())?.into())
    }

    /// Organizations of the current workspace, by name (archived ones left out).
    pub fn organizations(&self) -> Result<Vec<Organization>, TrellisError> {
        Ok(list(self.store()?.organizations()?))
    }

    /// Adds a contact (a referral source) to the current workspace. Its organization is
    /// given by name or id prefix and must exist.
    pub fn add_contact(&self, contact: NewContact) -> Result<Contact, TrellisError> {
        Ok(self.store()?.add_contact(&contact.into())?.into())
    }

    /// Changes a contact's fields (those given in `changes`); returns the contact. Edits of
    /// different fields on two devices both hold.
    pub fn update_contact(
        &self,
        contact: String,
        changes: ContactChanges,
    ) -> Result<Contact, TrellisError> {
        Ok(self
            .store()?
            .update_contact(&contact, &changes.into())?
            .into())
    }

    /// Changes an organization's fields (those given in `changes`); returns it.
    pub fn update_org(
        &self,
        org: String,
        changes: OrgChanges,
    ) -> Result<Organization, TrellisError> {
        Ok(self.store()?.update_org(&org, &changes.into())?.into())
    }

    /// Appends a dated entry to the notes of the contact named (or id-prefixed) by `contact`.
    /// Entries added on two devices at once both survive. Keep client details out (see
    /// `note_privacy_hint()`).
    pub fn append_note(&self, contact: String, text: String) -> Result<NoteEntry, TrellisError> {
        Ok(self.store()?.append_note(&contact, &text)?.into())
    }

    /// Logs a drop-by in this member's logbook: the organization and contacts are given by
    /// name or id prefix; an unknown one fails with `NotFound` (its `candidates` are the close
    /// matches) and nothing is recorded. It also creates a thank-you follow-up, and takes what
    /// was left behind out of stock for items in the catalog.
    pub fn log_drop_by(&self, drop_by: NewDropBy) -> Result<Activity, TrellisError> {
        Ok(self.store()?.log_activity(&drop_by.into())?.into())
    }

    /// Logs an activity of any kind (a talk with its audience and attendance, a call, a
    /// thank-you note, ...) in this member's logbook, as `log_drop_by` does. A drop-by or
    /// meeting creates a thank-you follow-up; any activity with a contact resets its
    /// stay-in-touch clock.
    pub fn log_activity(&self, activity: NewActivity) -> Result<Activity, TrellisError> {
        Ok(self.store()?.log_activity(&activity.into())?.into())
    }

    /// Contacts of the current workspace, by name (archived ones left out).
    pub fn contacts(&self) -> Result<Vec<Contact>, TrellisError> {
        Ok(list(self.store()?.contacts()?))
    }

    /// One page of the contacts of the current workspace, by name (archived ones left out):
    /// at most `limit` (1 to 500) after the contact whose id is `after` (`None` for the first
    /// page). For long lists: a page costs the page, not the whole list.
    pub fn contacts_page(
        &self,
        after: Option<String>,
        limit: u32,
    ) -> Result<Vec<Contact>, TrellisError> {
        Ok(list(self.store()?.contacts_page(after.as_deref(), limit)?))
    }

    /// One contact, by name or id prefix, with what to know before a visit: its notes (oldest
    /// first), the pitch for its category, its open follow-ups and the days since the last
    /// touch.
    pub fn contact(&self, query: String) -> Result<ContactDetail, TrellisError> {
        Ok(self.store()?.contact(&query)?.into())
    }

    /// Activities of the current workspace (every member's), newest first.
    pub fn activities(&self) -> Result<Vec<Activity>, TrellisError> {
        Ok(list(self.store()?.activities()?))
    }

    /// Full-text search over contacts (names, needs, notes), organizations and activity
    /// notes; every word matches as a prefix, best matches first.
    pub fn search(&self, query: String) -> Result<Vec<SearchHit>, TrellisError> {
        Ok(list(self.store()?.search(&query)?))
    }

    /// Documents whose full-text rows are still being written in the background after this
    /// device joined a large practice (usually seconds). Above zero, an app may say that
    /// search is getting ready; `search` writes what is left first, so it never misses
    /// anything.
    pub fn search_backlog(&self) -> Result<u64, TrellisError> {
        Ok(self.store()?.search_backlog()?)
    }

    /// Pending changes, last sync and cursor of the current workspace.
    pub fn status(&self) -> Result<Status, TrellisError> {
        Ok(self.store()?.status()?.into())
    }

    /// The current workspace's entries set aside, oldest first: pulled from the relay, they
    /// could not be applied (they do not open, do not match their hash, or automerge refused
    /// them). None of them stops a sync; a device holding any does not cut a checkpoint.
    pub fn set_aside(&self) -> Result<Vec<SetAsideEntry>, TrellisError> {
        Ok(self
            .store()?
            .set_aside()?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}
