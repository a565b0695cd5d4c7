//! The relay's integration suites, linked as one test binary (linking dominates the build; one
//! binary links once). Each suite stays in a file of its own, named by what it checks;
//! [`common`] holds the fixtures they share. Test names carry their suite
//! (`membership::an_invite_...`), so `cargo test -p trellis-relay membership::` runs one suite.
//!
//! The suites run on SQLite, or on PostgreSQL when `TRELLIS_TEST_POSTGRES` names a server
//! (`scripts/pg.sh` sets it); the scale-out stories need PostgreSQL and are `#[ignore]`d
//! without it, so `-- --include-ignored` under `scripts/pg.sh` runs everything.

mod common;

mod checkpoints;
mod errors;
mod group_commit;
mod live;
mod matrix;
mod members;
mod membership;
mod operations;
mod operations_process;
mod process;
mod roster;
mod scale_out;
mod security;
mod sync_log;
mod web_app;
