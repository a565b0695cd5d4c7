//! The convergence simulator: one seeded schedule of a practice's devices writing, going offline,
//! syncing, restored from backups, cutting checkpoints, rotating keys, removing members and
//! joining late, through a lossy, reordering network and a relay that restarts and is restored
//! from its backups; then a final full sync and the invariants a user relies on.
//!
//! A schedule has 1 or 2 workspaces and 3 to 6 devices (`trellis_core::Store`s in temporary
//! directories), plus, in half the schedules, a device that joins late: in the first workspace
//! the founder has a second device and at least one other member (sometimes an admin); the
//! second workspace, when there is one, has two members. Every device talks to the real relay
//! (on SQLite or PostgreSQL) through its own fault-injecting proxy ([`net`]). The seeded RNG
//! picks the operations (add, edit, archive and delete contacts and organizations, log
//! activities with leave-behinds in this or an earlier month, append notes, restock, add and
//! complete follow-ups, record referrals; back up and restore a device or the relay; cut a
//! checkpoint, rotate the key, remove a member; cut the power of a device or of the relay's
//! machine, through [`crate::powercut`]), which device does them, when devices sync, go offline
//! and come back, when the relay restarts, whether it keeps compacted entries for a grace
//! period, whether one device also syncs live in the background, and the network's faults. Operations that
//! would lose data by design (docs/RELIABILITY.md, section 1) are not drawn: a device is
//! restored only once the relay holds everything it wrote, and so on.
//!
//! After the final full sync (faults off, every device online, every device synced until
//! nothing moves) the schedule checks, for each workspace:
//! 1. every device shows the same thing on every screen (the JSON of every list, every
//!    contact's page and every report), not only the same automerge heads;
//! 2. every write a device acknowledged (the call returned `Ok`) is there: organizations,
//!    contacts, notes, activities, follow-ups (completed ones done), referrals; deleted
//!    contacts and organizations stay deleted whatever edits raced with the delete
//!    (`lifecycle.rs`); an edited field holds one of the values acknowledged for it;
//! 3. the stock of every item is what was restocked minus what was left behind;
//! 4. nothing is pending, waiting for missing dependencies, or set aside;
//! 5. a member never cut a checkpoint or rotated the key, and a removed member's device was
//!    told so and kept nothing.
//!
//! [`run_schedule`] returns the failure with the seed and the schedule's trace; the same seed
//! replays the same schedule.

pub mod net;
pub mod rng;
mod world;

pub use world::{run_schedule, Failure, Outcome};
