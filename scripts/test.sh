#!/usr/bin/env bash
# Runs every test of Trellis on a fresh Debian machine with rustup Rust, OpenJDK, Node/npm and
# Python: the Rust suites (unit, relay, end-to-end scenarios across real processes) and the
# bindings (Kotlin on a desktop JVM, Python, Swift header/ABI checks), and every fuzz target for
# a bounded time. What the bindings need (JNA from apt, kotlinc from the npm registry, pytest
# from PyPI) and cargo-fuzz (crates.io) are installed on first run.
#
#   bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

echo "=== cargo build (the binaries the end-to-end scenarios drive)"
cargo build --workspace --bins
echo "=== cargo test --workspace"
cargo test --workspace
echo "=== fuzzing: every decoder, 20 s a target from the committed corpus (docs/FUZZING.md)"
bash scripts/fuzz.sh 20
echo "=== bindings: Kotlin, Python, Swift ABI"
bash scripts/bindings.sh
