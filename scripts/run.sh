#!/usr/bin/env bash
# The README's main command: builds the browser app into web/dist/ (the wasm built for size in
# the wasm-release profile; scripts/web.sh --build-only, which installs the wasm32 target,
# clang, lld, wasm-bindgen-cli and the npm packages if missing and prints the build's hash),
# then builds and runs the relay in
# release, which embeds that build and serves it at http://127.0.0.1:8787/ beside its API.
# Arguments go to the relay:
#
#   bash scripts/run.sh [--listen ADDR] [--data DIR] [--signup-secret S] ...
#
# The relay logs the same hash at start (app_hash) and answers it at GET /v1/app
# (docs/WEB.md, "Trusting the relay with the app").
set -euo pipefail
cd "$(dirname "$0")/.."
WEB_PROFILE=${WEB_PROFILE:-wasm-release} bash scripts/web.sh --build-only
exec cargo run --release --bin trellis-relay -- "$@"
