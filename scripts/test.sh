#!/usr/bin/env bash
# Runs every test of Trellis on a fresh Debian machine with rustup Rust, OpenJDK, Node/npm and
# Python: the Rust suites (unit, relay, end-to-end scenarios across real processes), the relay
# suites and the stories that need a second backend once more on a throwaway PostgreSQL
# (installed from apt if missing), every fuzz target for a bounded time, the bindings (Kotlin on
# a desktop JVM, Python, Swift header/ABI checks), the core built for the browser and its story
# in headless Chromium (scripts/web.sh), and every performance instrument at a tiny size (built,
# run, its table checked; nothing timed). What the bindings need (JNA from apt,
# kotlinc from the npm registry, pytest from PyPI) and cargo-fuzz (crates.io) are installed on
# first run. Ends with a table of each step's seconds.
#
#   bash scripts/test.sh
#
# Time goes to compiling, so everything Rust is compiled once: one `cargo build --workspace
# --all-targets` makes every binary, test and bench in one feature resolution, and every later
# step reuses it (TRELLIS_WORKSPACE_BUILT, TRELLIS_BIN_DIR). A `-p` build in between would
# resolve features without the dev-dependencies and compile the dependency tree a second time.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/steps.sh
[[ -n "${STEP_LOG_OWNED:-}" ]] && trap step_table EXIT

TARGET=${CARGO_TARGET_DIR:-$PWD/target}
case $TARGET in /*) ;; *) TARGET=$PWD/$TARGET ;; esac

step "build: every binary, test and bench of the workspace" \
  cargo build --workspace --all-targets
export TRELLIS_WORKSPACE_BUILT=1 TRELLIS_BIN_DIR=$TARGET/debug

# nextest runs the tests of every binary side by side (cargo test runs one binary at a time);
# the one doc example is compiled by rustdoc, which nextest does not run.
step "tests: every Rust suite, relays on SQLite" \
  cargo nextest run --workspace --no-fail-fast --final-status-level slow
step "tests: the doc example compiles" \
  cargo test --workspace --doc

# On PostgreSQL: the relay's own suites (endpoints, bad-input matrix, storage, scale-out
# stories, with a fresh database per test) and the end-to-end stories that exercise what the
# backends do differently (compaction, restarts, backups put back, two relay processes on one
# database), and 150 schedules of the convergence simulator. The other stories drive the same
# relay code over the same storage trait.
PG_FILTER='package(trellis-relay) | (package(trellis-tests) & (test(/^checkpoint::/) | test(/^tracer::/) | test(/^crash_sync::/) | test(/^membership::/) | test(/^multiprocess::/) | test(/^restore::/) | test(/^rotations::/) | test(=convergence::every_device_converges_on_postgresql)))'
step "tests: the relay suites and backend stories on PostgreSQL" \
  bash scripts/pg.sh cargo nextest run --workspace --no-fail-fast --run-ignored all \
    --final-status-level slow -E "$PG_FILTER"

step "fuzzing: every decoder, 20 s a target from the committed corpus" \
  bash scripts/fuzz.sh 20
step "bindings: Kotlin, Python, Swift ABI" \
  bash scripts/bindings.sh
step "web: the app in headless Chromium against a relay and CLI devices (wasm build, wasm clippy, stories)" \
  bash scripts/web.sh
step "performance instruments at a tiny size (each prints its table; nothing timed)" \
  bash bench/scripts/smoke.sh
