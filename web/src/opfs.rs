//! A durable store in the browser: SQLite's file on the Origin Private File System, through
//! the OPFS VFS of `sqlite-wasm-vfs` (a pool of sync access handles, `opfs-sahpool`). Sync
//! access handles exist only in a dedicated worker, so a durable store lives in one; the page
//! talks to it by messages (docs/WEB.md). Browser builds only.

use std::rc::Rc;

use sqlite_wasm_vfs::sahpool::{install, OpfsSAHPoolCfg};
use trellis_core::Store;
use wasm_bindgen::prelude::*;

use crate::error::WebError;
use crate::store::TrellisStore;

#[wasm_bindgen]
impl TrellisStore {
    /// Opens (creating if needed) the durable store `name` on OPFS: it survives reloads and
    /// restarts. Works only in a dedicated worker of a secure context (elsewhere it rejects
    /// with code `storage`); one worker of the origin holds the store at a time. The page
    /// should also ask for persistent storage (`navigator.storage.persist()`), so the browser
    /// does not evict it under storage pressure.
    #[wasm_bindgen(js_name = openDurable)]
    pub async fn open_durable(name: String) -> Result<TrellisStore, WebError> {
        // Registered once per worker (a second call finds it) and made SQLite's default VFS,
        // so the core opens `name` on it like any file.
        install::<sqlite_wasm_rs::WasmOsCallback>(&OpfsSAHPoolCfg::default(), true)
            .await
            .map_err(|e| WebError {
                code: "storage",
                message: format!("durable storage is not available here: {e}"),
                relay: None,
            })?;
        Ok(TrellisStore {
            store: Rc::new(Store::open(&name)?),
        })
    }
}
