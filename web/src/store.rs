//! The exported class: opening a store, setting up the device, local actions and the lists a
//! screen reads. Each method is one call of [`trellis_core::Store`], its input and output
//! converted (`convert.rs`) and its error mapped (`error.rs`).

use std::rc::Rc;

use trellis_core::{FollowUpFilter, Store};
use wasm_bindgen::prelude::*;

use crate::convert::{from_js, to_js, ActivityInput, ContactInput, OrgInput};
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

    /// Logs an activity (`{kind?, organization?, contacts?, minutes?, note?, left_behind?,
    /// at?}`; a drop-by when `kind` is left out).
    #[wasm_bindgen(js_name = logActivity)]
    pub fn log_activity(&self, activity: JsValue) -> WebResult<JsValue> {
        let input: ActivityInput = from_js(&activity, "activity")?;
        to_js(&self.store.log_activity(&input.into())?)
    }

    /// Today: the open follow-ups due within a day or overdue.
    pub fn today(&self) -> WebResult<JsValue> {
        to_js(&self.store.followups(FollowUpFilter::Due)?)
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
