#!/usr/bin/env bash
# Runs every test of Trellis on a fresh Debian machine with rustup Rust, OpenJDK, Node/npm and
# Python: the Rust suites (unit, relay, end-to-end scenarios across real processes) and the
# bindings (Kotlin on a desktop JVM, Python, Swift header/ABI checks), the relay suites once more
# on a throwaway PostgreSQL (installed from apt if missing), and every fuzz target for
# a bounded time, and every performance instrument at a tiny size (built, run, its table checked;
# nothing timed). What the bindings need (JNA from apt, kotlinc from the npm registry, pytest
# from PyPI) and cargo-fuzz (crates.io) are installed on first run.
#
#   bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

echo "=== cargo build (the binaries the end-to-end scenarios drive)"
cargo build --workspace --bins
echo "=== cargo test --workspace"
cargo test --workspace
echo "=== the relay suites again on PostgreSQL (a throwaway server on loopback, scripts/pg.sh)"
# The relay's suites (endpoints, bad-input matrix, scale-out stories) and every end-to-end
# story that starts a relay process, with a fresh database per test; then the two-process story.
E2E_ON_RELAY=$(grep -l "Relay::start" tests/tests/*.rs | xargs -n1 basename | sed 's/\.rs$//' \
    | grep -v '^multiprocess$' | sed 's/^/--test /' | tr '\n' ' ')
bash scripts/pg.sh bash -c "cargo test -p trellis-relay -- --include-ignored \
    && cargo test -p trellis-tests $E2E_ON_RELAY \
    && cargo test -p trellis-tests --test multiprocess -- --include-ignored"
echo "=== fuzzing: every decoder, 20 s a target from the committed corpus (docs/FUZZING.md)"
bash scripts/fuzz.sh 20
echo "=== bindings: Kotlin, Python, Swift ABI"
bash scripts/bindings.sh
echo "=== the performance instruments at a tiny size: each prints its table (nothing is timed)"
bash bench/scripts/smoke.sh
