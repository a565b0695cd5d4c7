//! The end-to-end suites, as modules of one test binary: one link instead of one per suite
//! (linking dominates a clean build). Each module tells one story across real processes; run
//! one with `cargo test -p trellis-tests --test e2e checkpoint::` (tests/README.md lists them).

mod adversary;
mod checkpoint;
mod convergence;
mod crash;
mod crash_burst;
mod crash_sync;
mod fuzz_regressions;
mod gap;
mod invites;
mod membership;
mod metadata;
mod multiprocess;
mod practices_sync;
mod regions;
mod relay_access;
mod restore;
mod rotations;
mod security;
mod tracer;
