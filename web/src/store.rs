//! The exported class: opening a store, setting up the device, local actions and the lists a
//! screen reads. Each method is one call of [`trellis_core::Store`], its input and output
//! converted (`convert.rs`) and its error mapped (`error.rs`).

use std::rc::Rc;

use trellis_core::{Stage, Store};
use wasm_bindgen::prelude::*;

use crate::convert::{
    from_js, name_of, to_js, ActivityInput, ContactChangesInput, ContactInput, OrgChangesInput,
    OrgInput,
};
use crate::error::WebResult;

/// A device's local store (`TrellisStore` in JavaScript).
///
/// A browser's store has no threads: its host calls [`TrellisStore::run_background`] after
/// writes and syncs, and again after the wait it returns (docs/WEB.md).
#[wasm_bindgen]
pub struct TrellisStore {
    pub(crate) store: Rc<Store>,
}

#[wasm_bindgen]
impl TrellisStore {
    /// Opens (creating if needed) the store named `name` in the SQLite VFS in use: in memory
    /// (gone when the page closes) unless the host registered a persistent one.
    pub fn open(name: &str) -> WebResult<TrellisStore> {
        Ok(TrellisStore {
            store: Rc::new(Store::open(name)?),
        })
    }

    /// Opens a new store in memory, gone when the page closes.
    #[wasm_bindgen(js_name = openInMemory)]
    pub fn open_in_memory() -> WebResult<TrellisStore> {
        TrellisStore::open(":memory:")
    }

    /// Sets up this device for the user `name`; returns the device `{id, name}`.
    pub fn init(&self, name: &str) -> WebResult<JsValue> {
        to_js(&self.store.init(name)?)
    }

    /// Creates a workspace on this device only (connect it to a relay later) and makes it
    /// current.
    #[wasm_bindgen(js_name = createWorkspace)]
    pub fn create_workspace(&self, name: &str) -> WebResult<JsValue> {
        to_js(&self.store.create_workspace(name)?)
    }

    /// The workspaces this device belongs to.
    pub fn workspaces(&self) -> WebResult<JsValue> {
        to_js(&self.store.workspaces()?)
    }

    /// Adds an organization (`{name, kind?, address?, phone?, website?, location?}`).
    #[wasm_bindgen(js_name = addOrg)]
    pub fn add_org(&self, org: JsValue) -> WebResult<JsValue> {
        let input: OrgInput = from_js(&org, "organization")?;
        to_js(&self.store.add_org(&input.into())?)
    }

    /// Adds a contact (`{name, organization?, category?, needs?, ...}`).
    #[wasm_bindgen(js_name = addContact)]
    pub fn add_contact(&self, contact: JsValue) -> WebResult<JsValue> {
        let input: ContactInput = from_js(&contact, "contact")?;
        to_js(&self.store.add_contact(&input.into())?)
    }

    /// Changes a contact's fields (`{name?, organization?, role?, category?, phones?,
    /// emails?, needs?, how_we_help?, tags?}`: a field left out stays, an empty text clears
    /// one, a list replaces the list); returns the contact.
    #[wasm_bindgen(js_name = updateContact)]
    pub fn update_contact(&self, contact: &str, changes: JsValue) -> WebResult<JsValue> {
        let input: ContactChangesInput = from_js(&changes, "contact's changes")?;
        to_js(&self.store.update_contact(contact, &input.into())?)
    }

    /// Changes an organization's fields (`{name?, kind?, address?, phone?, website?}`);
    /// returns it.
    #[wasm_bindgen(js_name = updateOrg)]
    pub fn update_org(&self, org: &str, changes: JsValue) -> WebResult<JsValue> {
        let input: OrgChangesInput = from_js(&changes, "organization's changes")?;
        to_js(&self.store.update_org(org, &input.into())?)
    }

    /// Logs an activity (`{kind?, organization?, contacts?, minutes?, note?, left_behind?,
    /// at?}`; a drop-by when `kind` is left out).
    #[wasm_bindgen(js_name = logActivity)]
    pub fn log_activity(&self, activity: JsValue) -> WebResult<JsValue> {
        let input: ActivityInput = from_js(&activity, "activity")?;
        to_js(&self.store.log_activity(&input.into())?)
    }

    /// This device: `{id, name}`.
    pub fn device(&self) -> WebResult<JsValue> {
        to_js(&self.store.device()?)
    }

    /// Makes the workspace named (or id-prefixed) `query` current; returns it.
    #[wasm_bindgen(js_name = useWorkspace)]
    pub fn use_workspace(&self, query: &str) -> WebResult<JsValue> {
        to_js(&self.store.use_workspace(query)?)
    }

    /// One contact with its notes, the pitch for its category, open follow-ups and history.
    pub fn contact(&self, query: &str) -> WebResult<JsValue> {
        to_js(&self.store.contact(query)?)
    }

    /// One page of the active contacts in name order: at most `limit` (1 to 500) after the
    /// contact id `after` (`null` for the first page).
    #[wasm_bindgen(js_name = contactsPage)]
    pub fn contacts_page(&self, after: Option<String>, limit: u32) -> WebResult<JsValue> {
        to_js(&self.store.contacts_page(after.as_deref(), limit)?)
    }

    /// Appends a note to a contact's notes (no client details); returns the note.
    #[wasm_bindgen(js_name = appendNote)]
    pub fn append_note(&self, contact: &str, text: &str) -> WebResult<JsValue> {
        to_js(&self.store.append_note(contact, text)?)
    }

    /// Moves a contact to `stage` (`"prospect"`, `"warm"`, ...); returns the contact.
    #[wasm_bindgen(js_name = setStage)]
    pub fn set_stage(&self, contact: &str, stage: &str) -> WebResult<JsValue> {
        let stage: Stage = name_of(stage, "stage")?;
        to_js(&self.store.set_stage(contact, stage)?)
    }

    /// Sets a contact's stay-in-touch cadence in days; returns the contact.
    #[wasm_bindgen(js_name = setCadence)]
    pub fn set_cadence(&self, contact: &str, days: u32) -> WebResult<JsValue> {
        to_js(&self.store.set_cadence(contact, days)?)
    }

    /// Archives (or with `false` restores) a contact; returns it.
    #[wasm_bindgen(js_name = archiveContact)]
    pub fn archive_contact(&self, contact: &str, archived: bool) -> WebResult<JsValue> {
        to_js(&self.store.archive_contact(contact, archived)?)
    }

    /// Archives (or with `false` restores) an organization; returns it.
    #[wasm_bindgen(js_name = archiveOrg)]
    pub fn archive_org(&self, org: &str, archived: bool) -> WebResult<JsValue> {
        to_js(&self.store.archive_org(org, archived)?)
    }

    /// Records where an organization is (degrees); returns it.
    #[wasm_bindgen(js_name = setOrgLocation)]
    pub fn set_org_location(&self, org: &str, lat: f64, lon: f64) -> WebResult<JsValue> {
        to_js(&self.store.set_org_location(org, lat, lon)?)
    }

    /// Organizations within `withinKm` of a point, nearest first, with the days since the
    /// last visit.
    pub fn nearby(&self, lat: f64, lon: f64, within_km: f64) -> WebResult<JsValue> {
        to_js(&self.store.nearby(lat, lon, within_km)?)
    }

    /// Contacts past their stay-in-touch cadence, most overdue first.
    #[wasm_bindgen(js_name = losingTouch)]
    pub fn losing_touch(&self) -> WebResult<JsValue> {
        to_js(&self.store.losing_touch()?)
    }

    /// The organizations of the current workspace.
    pub fn organizations(&self) -> WebResult<JsValue> {
        to_js(&self.store.organizations()?)
    }

    /// The contacts of the current workspace.
    pub fn contacts(&self) -> WebResult<JsValue> {
        to_js(&self.store.contacts()?)
    }

    /// The activities of the current workspace, newest first.
    pub fn activities(&self) -> WebResult<JsValue> {
        to_js(&self.store.activities()?)
    }

    /// Full-text search over names and notes.
    pub fn search(&self, query: &str) -> WebResult<JsValue> {
        to_js(&self.store.search(query)?)
    }

    /// The current workspace's sync status (pending changes, last sync, cursor).
    pub fn status(&self) -> WebResult<JsValue> {
        to_js(&self.store.status()?)
    }

    /// Runs one step of the store's background work (change events, the search catch-up);
    /// returns how many milliseconds to wait before the next step, or `undefined` when nothing
    /// is left until the next write or sync.
    #[wasm_bindgen(js_name = runBackground)]
    pub fn run_background(&self) -> WebResult<Option<f64>> {
        Ok(self
            .store
            .run_background()?
            .map(|d| d.as_secs_f64() * 1000.0))
    }
}
