#!/usr/bin/env bash
# Builds the Trellis core for iOS and generates its Swift bindings into the local package
# TrellisKit, so the sample opens and runs in Xcode (macOS with Xcode only):
#
#   ./build-xcframework.sh
#
# 1. cargo builds the static library for aarch64-apple-ios (devices), aarch64-apple-ios-sim
#    and x86_64-apple-ios (simulators on Apple silicon and Intel), release, without bindgen;
# 2. lipo joins the two simulator slices into one library;
# 3. uniffi-bindgen-swift (built for the host, reading the host library's metadata, which is
#    the same for every target) writes the Swift bindings, the C header and a plain
#    (non-framework) modulemap, `module TrellisCoreFFI`;
# 4. xcodebuild -create-xcframework makes TrellisKit/TrellisCoreFFI.xcframework from the
#    device library and the simulator library, each with the header and modulemap.
#
# Writes (never committed, see .gitignore): TrellisKit/TrellisCoreFFI.xcframework,
# TrellisKit/Sources/TrellisCore/TrellisCore.swift.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case $TARGET in /*) ;; *) TARGET=$ROOT/$TARGET ;; esac
DEVICE=aarch64-apple-ios
SIMULATORS=(aarch64-apple-ios-sim x86_64-apple-ios)
BUILD=$TARGET/ios-xcframework
KIT=$HERE/TrellisKit

[[ $(uname -s) == Darwin ]] || { echo "this script needs macOS with Xcode" >&2; exit 1; }
command -v xcodebuild >/dev/null || { echo "xcodebuild not found: install Xcode" >&2; exit 1; }

cd "$ROOT"
rustup target add "$DEVICE" "${SIMULATORS[@]}"
export IPHONEOS_DEPLOYMENT_TARGET=17.0
for t in "$DEVICE" "${SIMULATORS[@]}"; do
  echo "=== cargo build --release --target $t"
  cargo build -p trellis-ffi --release --lib --target "$t"
done

echo "=== lipo: one simulator library (arm64 + x86_64)"
rm -rf "$BUILD"
mkdir -p "$BUILD/device" "$BUILD/simulator" "$BUILD/Headers"
cp "$TARGET/$DEVICE/release/libtrellis_ffi.a" "$BUILD/device/"
lipo -create \
  "$TARGET/aarch64-apple-ios-sim/release/libtrellis_ffi.a" \
  "$TARGET/x86_64-apple-ios/release/libtrellis_ffi.a" \
  -output "$BUILD/simulator/libtrellis_ffi.a"
lipo -info "$BUILD/simulator/libtrellis_ffi.a"

echo "=== uniffi-bindgen-swift: Swift sources, header and modulemap"
cargo build -p trellis-ffi -p trellis-bindgen --bin uniffi-bindgen-swift
HOST_LIB=$TARGET/debug/libtrellis_ffi.dylib
mkdir -p "$KIT/Sources/TrellisCore"
(
  cd "$ROOT/bindings" # the bindgen finds uniffi.toml (module TrellisCore) through cargo metadata
  "$TARGET/debug/uniffi-bindgen-swift" "$HOST_LIB" "$KIT/Sources/TrellisCore" --swift-sources
  # A plain `module TrellisCoreFFI` modulemap: the xcframework below is made of libraries
  # (-library ... -headers), and Xcode reads a library's modulemap from its Headers folder.
  # (the bindgen's xcframework flag would write `framework module`, which only a .framework bundle can serve:
  # `import TrellisCoreFFI` then fails; uniffi-rs issue 2646.)
  "$TARGET/debug/uniffi-bindgen-swift" "$HOST_LIB" "$BUILD/Headers" --headers --modulemap \
    --module-name TrellisCoreFFI --modulemap-filename module.modulemap
)
grep -q "^module TrellisCoreFFI {" "$BUILD/Headers/module.modulemap" || {
  echo "module.modulemap does not declare a plain module TrellisCoreFFI" >&2
  exit 1
}

echo "=== xcodebuild -create-xcframework"
rm -rf "$KIT/TrellisCoreFFI.xcframework"
xcodebuild -create-xcframework \
  -library "$BUILD/device/libtrellis_ffi.a" -headers "$BUILD/Headers" \
  -library "$BUILD/simulator/libtrellis_ffi.a" -headers "$BUILD/Headers" \
  -output "$KIT/TrellisCoreFFI.xcframework"
echo "done: cd $HERE && xcodegen generate && open TrellisSample.xcodeproj"
