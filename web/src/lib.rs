//! trellis-web: the Trellis core exported to JavaScript through wasm-bindgen, for the browser.
//!
//! Like `bindings/` for Kotlin and Swift, this crate is deliberately thin (docs/DESIGN.md,
//! "Parts"): it wraps [`trellis_core::Store`] in an exported class, converts plain JavaScript
//! objects to the core's inputs and the core's records back (through their serde shapes, the
//! same JSON the CLI's `--json` prints), and turns the core's error into a JavaScript `Error`
//! with a stable `code`. Every rule lives in the core; a function here that decides anything is
//! in the wrong crate.
//!
//! Files, one concern each: [`store`] (the class, records and lists), [`practice`]
//! (follow-ups, referrals, goals, reports, stock, pitches, the forms' closed lists), [`profile`]
//! (profile cards: writing this member's, reading the practice's, the vCard), [`exchange`]
//! (the regional referral exchange on a region's store, and recording its connections),
//! [`sync`] (the
//! network actions, returning promises), [`convert`] (JavaScript values to and from the core's
//! types, and the input shapes), [`error`] (the one error and its codes), `opfs` (a durable
//! store on OPFS, in a dedicated worker; browser builds only). How the browser runs it is in
//! docs/WEB.md.
//!
//! The crate also builds natively (an `rlib`), so `cargo build --workspace` and clippy check it
//! and its conversion tests run with the rest; only `wasm32-unknown-unknown` builds of it can
//! be called from JavaScript.

pub mod convert;
pub mod error;
pub mod exchange;
#[cfg(target_arch = "wasm32")]
pub mod opfs;
pub mod practice;
pub mod profile;
pub mod store;
pub mod sync;

pub use error::WebError;
pub use store::TrellisStore;
