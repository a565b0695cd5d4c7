//! trellis-core: everything a Trellis app does, with no UI and no platform code.
//!
//! A therapist's referral network lives in small automerge documents ([`docs`](crate::docs):
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

mod catch_up;
pub mod checkpoint;
mod client;
pub mod crypto;
mod db;
mod docs;
mod docstore;
mod error;
pub mod events;
mod followups;
pub mod fuzzing;
mod index;
pub mod interop;
pub mod invite;
pub mod lifecycle;
pub mod live;
pub mod members;
pub mod model;
mod ops;
mod practice;
mod queries;
mod referrals;
pub mod reports;
mod snapshot;
mod space;
mod store;
mod sync;
pub mod time;

pub use crypto::WorkspaceKey;
pub use db::{Durability, SCHEMA_VERSION};
pub use error::{Error, Result};
pub use invite::InviteCode;
pub use model::*;
pub use ops::{MAX_NAME_BYTES, MAX_TEXT_BYTES};
pub use practice::DEFAULT_LOW_AT;
pub use queries::{HISTORY_LIMIT, SEARCH_LIMIT};
pub use store::{Device, Store, StoreOptions};
pub use trellis_protocol::api::Role;
