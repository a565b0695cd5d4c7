//! trellis-ffi: the Trellis core exported to Kotlin, Swift and Python through uniffi.
//!
//! This crate is deliberately thin (docs/DESIGN.md, "Parts"): it wraps [`trellis_core::Store`] in an
//! exported object, mirrors the core's model in uniffi records and enums, and maps the core's
//! error into one enum a UI can branch on. Every rule about what may be recorded, how names
//! resolve and how sync works lives in the core, where it is tested without any foreign
//! language; a function here that does more than convert is in the wrong crate.
//!
//! Files, one concern each: [`store`] (the object, and its actions on organizations, contacts,
//! notes and activities), [`relationships`] (follow-ups, stages, cadence, archive and delete,
//! nearby, referrals), [`settings`] (goals, leave-behind stock, pitches, memberships),
//! [`profile`] (profile cards and their closed lists), [`exchange`] (the region store and the
//! referral exchange: posts, replies, closing, recording connections), [`reports`], [`sync`]
//! (the network actions, invites and joining, async on the shared tokio runtime of
//! `runtime.rs`),
//! [`members`] (roster, revoke, remove, leave, transfer, key rotation, checkpoints),
//! [`interop`] (import and export), [`live`] (listeners and background sync), [`types`]
//! (records and enums), [`error`] (the one public error).

uniffi::setup_scaffolding!();

pub mod error;
pub mod exchange;
pub mod interop;
pub mod live;
pub mod members;
pub mod profile;
pub mod relationships;
pub mod reports;
mod runtime;
pub mod settings;
pub mod store;
pub mod sync;
pub mod types;

pub use error::TrellisError;
pub use exchange::part2_notice;
pub use live::{LiveSyncHandle, SubscriptionHandle, TrellisListener};
pub use profile::profile_choices;
pub use store::TrellisStore;
pub use types::*;

/// The sentence to show wherever a free-text note is entered: keep client names and details
/// out of notes, and write about the relationship instead.
#[uniffi::export]
pub fn note_privacy_hint() -> String {
    trellis_core::NOTE_PRIVACY_HINT.to_string()
}
