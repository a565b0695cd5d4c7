//! trellis-core: everything a Trellis app does, with no UI and no platform code.
//!
//! A therapist's referral network lives in small automerge documents (`documents`:
//! one per organization and contact, a logbook per member per month, one per workspace), kept in
//! one SQLite file per device ([`Store`]). Screens read an index in the same file, written in the
//! same transaction as every document change, so lists and search never walk documents. Every
//! change is sealed with the workspace key ([`WorkspaceKey`]) and queued in an outbox; the
//! sync client pushes the outbox to a blind relay and pulls the workspace's log after a cursor.
//!
//! ```no_run
//! # async fn demo() -> trellis_core::Result<()> {
//! use trellis_core::{NewActivity, NewOrg, OrgKind, Store};
//! let store = Store::open("/tmp/trellis/store.sqlite3")?;
//! store.init("Dana")?;
//! store.create_workspace("Maple Street Counseling")?;
//! store.add_org(&NewOrg {
//!     name: "Lincoln Middle School".into(),
//!     kind: Some(OrgKind::School),
//!     ..Default::default()
//! })?;
//! store.log_activity(&NewActivity {
//!     organization: Some("Lincoln".into()),
//!     minutes: 20,
//!     ..Default::default()
//! })?;
//! # Ok(()) }
//! ```

// The layers, bottom up; a module imports only from layers below it (see README.md).
mod base;
pub mod crypto;
mod documents;
pub mod events;
mod features;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod index;
#[cfg(test)]
mod index_tests;
pub mod model;
mod read;
pub mod roster;
mod storage;
mod store;
mod sync;

pub use base::error::{Error, Result};
pub use base::time;
pub use base::validate::{MAX_NAME_BYTES, MAX_TEXT_BYTES};
pub use crypto::WorkspaceKey;
pub use features::lists::{HISTORY_LIMIT, SEARCH_LIMIT};
pub use features::settings::DEFAULT_LOW_AT;
pub use features::{interop, lifecycle, reports};
pub use model::*;
pub use storage::db::{Durability, SCHEMA_VERSION};
pub use storage::workspace::{Device, Scope};
pub use store::{Store, StoreOptions};
pub use sync::invite::InviteCode;
#[cfg(not(target_arch = "wasm32"))]
pub use sync::live;
pub use sync::live_endpoint::LiveEndpoint;
pub use sync::{checkpoint, invite, join, members, set_aside};
pub use trellis_protocol::api::Role;
