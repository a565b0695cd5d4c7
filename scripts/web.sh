#!/usr/bin/env bash
# Builds the browser app (trellis-web for wasm32, its JavaScript glue, the app's script bundled
# from web/app/, the page, the workers) into web/dist/, prints the build's hash, and runs its
# stories in headless Chromium against a real relay on loopback that serves the app itself, with
# CLI devices (web/tests/; docs/WEB.md). Installs what it needs on first run: the
# wasm32-unknown-unknown target (rustup), clang and lld (SQLite's C for wasm), Node and npm (the
# app's build) and Chromium (apt), wasm-bindgen-cli at the version Cargo.lock pins for the
# wasm-bindgen crate (crates.io, into .tools/), and the npm packages web/package-lock.json pins
# (Preact, the QR encoder, esbuild, wasm-opt, playwright-core, axe-core). Run from anywhere:
#
#   bash scripts/web.sh                 # build, wasm clippy, story
#   bash scripts/web.sh --build-only    # build web/dist/ and print its hash (scripts/run.sh)
#   bash scripts/web.sh --bench         # build for shipping, then the browser benchmark
#
# Run by scripts/test.sh after its workspace build (TRELLIS_WORKSPACE_BUILT=1 and
# TRELLIS_BIN_DIR set: the relay is already built; a debug relay reads web/dist/ when it starts,
# so it needs no rebuild after this build); run alone, it builds the relay itself.
# Also runs clippy on the browser build of trellis-core and trellis-web (WEB_CLIPPY=0 skips it;
# the native clippy of .ci/run covers their native builds). WEB_PROFILE=wasm-release (what
# scripts/run.sh ships) builds the wasm for size, without function names, through wasm-opt,
# and minifies the JavaScript; the stories do not need it. `--bench` builds that, then runs the
# browser benchmark (web/bench/app.mjs) against it. The module goes
# to $TARGET/web/pkg, the app to web/dist/ (TRELLIS_WEB_DIST, relative to the repository's root,
# names another directory; the relay's build reads the same variable); neither is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case $TARGET in /*) ;; *) TARGET=$ROOT/$TARGET ;; esac
PROFILE=${WEB_PROFILE:-dev}
PROFILE_DIR=$([[ $PROFILE == dev ]] && echo debug || echo "$PROFILE")
PKG=$TARGET/web/pkg
DIST=${TRELLIS_WEB_DIST:-web/dist}
case $DIST in /*) ;; *) DIST=$ROOT/$DIST ;; esac
BUILD_ONLY=0
BENCH=0
case "${1:-}" in
  --build-only) BUILD_ONLY=1 ;;
  --bench) BUILD_ONLY=1 BENCH=1 PROFILE=${WEB_PROFILE:-wasm-release} ;;
  "") ;;
  *) echo "usage: bash scripts/web.sh [--build-only | --bench]" >&2; exit 2 ;;
esac
PROFILE_DIR=$([[ $PROFILE == dev ]] && echo debug || echo "$PROFILE")

source "$ROOT/scripts/lib/sections.sh"

step "tools: wasm32 target, clang, lld, Node$( ((BUILD_ONLY)) || echo ', Chromium')"
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
missing=()
command -v clang >/dev/null || missing+=(clang)
command -v wasm-ld >/dev/null || command -v lld >/dev/null || missing+=(lld)
command -v npm >/dev/null || missing+=(nodejs npm)
((BUILD_ONLY)) || [[ -x /usr/bin/chromium ]] || missing+=(chromium)
if ((${#missing[@]})); then
  SUDO=$([[ $(id -u) == 0 ]] || echo sudo)
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
done_step

step "tools: wasm-bindgen-cli (the version of the wasm-bindgen crate in Cargo.lock)"
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
[[ -n $WB_VERSION ]] || { echo "wasm-bindgen is not in Cargo.lock"; exit 1; }
WASM_BINDGEN=$ROOT/.tools/bin/wasm-bindgen
if ! [[ -x $WASM_BINDGEN && $("$WASM_BINDGEN" --version) == "wasm-bindgen $WB_VERSION" ]]; then
  if command -v wasm-bindgen >/dev/null && [[ $(wasm-bindgen --version) == "wasm-bindgen $WB_VERSION" ]]; then
    WASM_BINDGEN=$(command -v wasm-bindgen)
  else
    cargo install --quiet --root "$ROOT/.tools" wasm-bindgen-cli --version "=$WB_VERSION"
  fi
fi
echo "$("$WASM_BINDGEN" --version)"
done_step

step "npm: the app's packages and the story's (web/package-lock.json)"
if ! [[ -f web/node_modules/.package-lock.json ]] || ! cmp -s web/package-lock.json web/node_modules/.trellis-lock; then
  (cd web && npm ci --no-audit --no-fund --silent && cp package-lock.json node_modules/.trellis-lock)
fi
done_step

if ((!BUILD_ONLY)); then
  if [[ "${TRELLIS_WORKSPACE_BUILT:-0}" != 1 ]]; then
    step "cargo build: the relay"
    cargo build -p trellis-relay
    done_step
  fi
fi
export TRELLIS_BIN_DIR=${TRELLIS_BIN_DIR:-$TARGET/debug}

step "cargo build: trellis-web for wasm32 ($PROFILE)"
cargo build -p trellis-web --target wasm32-unknown-unknown --profile "$PROFILE"
done_step

if ((!BUILD_ONLY)) && [[ "${WEB_CLIPPY:-1}" == 1 ]]; then
  step "cargo clippy -D warnings, wasm32: trellis-core and trellis-web"
  cargo clippy -p trellis-core -p trellis-web --target wasm32-unknown-unknown -- -D warnings
  done_step
fi

step "wasm-bindgen: the JS module"
rm -rf "$PKG"
# A build that ships drops the function names (1 MB of the module) and the producers section.
SHIP_FLAGS=()
[[ $PROFILE == dev ]] || SHIP_FLAGS=(--remove-name-section --remove-producers-section)
"$WASM_BINDGEN" --target web --no-typescript "${SHIP_FLAGS[@]}" --out-dir "$PKG" \
  "$TARGET/wasm32-unknown-unknown/$PROFILE_DIR/trellis_web.wasm"
ls -l "$PKG"/trellis_web_bg.wasm
done_step

if [[ $PROFILE != dev ]]; then
  # Binaryen's optimizer for size (npm's build of wasm-opt, pinned in web/package-lock.json):
  # 9% smaller again, in about a minute (docs/WEB.md, "Size").
  step "wasm-opt -Oz: the module for shipping"
  node web/node_modules/binaryen/bin/wasm-opt -Oz --strip-debug --strip-producers \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
    "$PKG/trellis_web_bg.wasm" -o "$PKG/trellis_web_bg.opt.wasm"
  mv "$PKG/trellis_web_bg.opt.wasm" "$PKG/trellis_web_bg.wasm"
  ls -l "$PKG"/trellis_web_bg.wasm
  done_step
fi

# The app, as the relay serves it (web/build.mjs): the page's script bundled from web/app/,
# the static files of web/www/, the module with its glue under pkg/, and the service worker.
# The hash is the one the relay reports (GET /v1/app, and its start log): SHA-256 of
# sha256sum's list of the files, sorted by path (docs/WEB.md).
step "the app: web/app, web/www and the module into $DIST"
(cd web && node build.mjs "$PKG" "$DIST" $([[ $PROFILE == dev ]] || echo --minify))
APP_HASH=$(cd "$DIST" && find . -type f -printf '%P\n' | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1)
(cd "$DIST" && find . -type f -printf '%P\n' | LC_ALL=C sort | xargs sha256sum)
echo "app build: $APP_HASH"
done_step

if ((BENCH)); then
  step "benchmark: the $PROFILE build in Chromium (web/bench/app.mjs)"
  [[ -x /usr/bin/chromium ]] || { echo "Chromium is needed: apt-get install chromium"; exit 1; }
  if [[ "${TRELLIS_WORKSPACE_BUILT:-0}" != 1 ]]; then
    cargo build -p trellis-relay -p trellis-cli
  fi
  (cd web && TRELLIS_WEB_DIST=$DIST CHROMIUM=/usr/bin/chromium node bench/app.mjs)
  done_step
fi

if ((BUILD_ONLY)); then
  echo
  echo "=== web: built $DIST in $((SECONDS - T0))s; app build $APP_HASH"
  exit 0
fi

step "story: two browsers and a relay that serves the app (headless Chromium)"
(cd web && APP_HASH=$APP_HASH CHROMIUM=/usr/bin/chromium node tests/story.mjs)
done_step

step "story: the app on a phone offline and back, and axe-core on every screen (headless Chromium)"
(cd web && CHROMIUM=/usr/bin/chromium node tests/app.mjs)
done_step

echo
echo "=== web: all passed in $((SECONDS - T0))s; app build $APP_HASH"
