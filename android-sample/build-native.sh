#!/usr/bin/env bash
# Builds the Trellis core for Android and generates its Kotlin bindings, so the project opens
# and runs in Android Studio:
#
#   ./build-native.sh            # release .so files for arm64-v8a, armeabi-v7a, x86_64 + bindings
#                                # (linked for 16 KB pages, checked with the NDK's llvm-readelf)
#   ./build-native.sh --host     # only the bindings and the host library (no NDK needed):
#                                # enough for ./gradlew :core-ui:test
#
# Writes (never committed, see ../.gitignore):
#   app/src/main/jniLibs/<abi>/libtrellis_ffi.so     cargo-ndk, release, without bindgen
#   app/src/generated/kotlin/                          uniffi Kotlin, android = true (the app)
#   bindings-jvm/src/generated/kotlin/                 uniffi Kotlin, android = false (core-ui)
#
# Needs: rustup Rust; for the Android libraries also the NDK (ANDROID_NDK_HOME, or Android
# Studio's default location) and cargo-ndk (cargo install cargo-ndk). The Rust targets are
# added with rustup when missing.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case $TARGET in /*) ;; *) TARGET=$ROOT/$TARGET ;; esac
ABIS=(arm64-v8a armeabi-v7a x86_64)
RUST_TARGETS=(aarch64-linux-android armv7-linux-androideabi x86_64-linux-android)
API_LEVEL=26 # the app's minSdk

host_only=false
[[ ${1:-} == --host ]] && host_only=true

cd "$ROOT"
if ! $host_only; then
  if [[ -z ${ANDROID_NDK_HOME:-} ]]; then
    for sdk in "${ANDROID_HOME:-}" "$HOME/Library/Android/sdk" "$HOME/Android/Sdk"; do
      if [[ -n $sdk && -d $sdk/ndk ]]; then
        ANDROID_NDK_HOME="$sdk/ndk/$(ls "$sdk/ndk" | sort -V | tail -1)"
        break
      fi
    done
  fi
  if [[ -z ${ANDROID_NDK_HOME:-} || ! -d $ANDROID_NDK_HOME ]]; then
    echo "no Android NDK found: install it from Android Studio's SDK Manager (NDK, Side by side)" >&2
    echo "or set ANDROID_NDK_HOME" >&2
    exit 1
  fi
  export ANDROID_NDK_HOME
  command -v cargo-ndk >/dev/null || { echo "cargo-ndk is missing: cargo install cargo-ndk" >&2; exit 1; }
  rustup target add "${RUST_TARGETS[@]}"
  args=()
  for abi in "${ABIS[@]}"; do args+=(-t "$abi"); done
  # 16 KB pages (Android 15 devices, and Google Play for new uploads): NDK r28+ aligns shared
  # libraries to 16 KB by default, older NDKs to 4 KB. Ask the linker for 16 KB whatever the
  # NDK (cargo reads CARGO_TARGET_<TRIPLE>_RUSTFLAGS for that target only).
  for t in "${RUST_TARGETS[@]}"; do
    var="CARGO_TARGET_$(echo "$t" | tr 'a-z-' 'A-Z_')_RUSTFLAGS"
    export "$var=${!var:-} -C link-arg=-Wl,-z,max-page-size=16384"
  done
  echo "=== cargo ndk: ${ABIS[*]} (release) into app/src/main/jniLibs"
  cargo ndk "${args[@]}" --platform "$API_LEVEL" -o "$HERE/app/src/main/jniLibs" \
    build -p trellis-ffi --release --lib

  echo "=== 16 KB alignment of every LOAD segment"
  READELF=$(find "$ANDROID_NDK_HOME/toolchains/llvm/prebuilt" -name llvm-readelf \( -type f -o -type l \) | head -1)
  for abi in "${ABIS[@]}"; do
    so="$HERE/app/src/main/jniLibs/$abi/libtrellis_ffi.so"
    # Each LOAD line ends with its alignment (0x4000 = 16 KB; 0x10000 is fine too).
    bad=""
    for align in $("$READELF" -lW "$so" | awk '$1 == "LOAD" { print $NF }'); do
      if (( align < 16384 )); then bad+=" $align"; fi
    done
    if [[ -n $bad ]]; then
      echo "$so has LOAD segments aligned to $bad, not 16 KB" >&2
      exit 1
    fi
    echo "$abi: aligned to 16 KB"
  done
fi

# The bindgen reads the library's embedded metadata, the same for every target: use the host
# build, which also serves :core-ui's unit tests on the desktop JVM.
echo "=== cargo build: host library and uniffi-bindgen"
cargo build -p trellis-ffi -p trellis-bindgen --bin uniffi-bindgen
case $(uname -s) in
  Darwin) LIB=$TARGET/debug/libtrellis_ffi.dylib ;;
  *) LIB=$TARGET/debug/libtrellis_ffi.so ;;
esac

echo "=== uniffi-bindgen: Kotlin for the app (android = true) and for core-ui (android = false)"
rm -rf "$HERE/app/src/generated/kotlin" "$HERE/bindings-jvm/src/generated/kotlin"
(
  cd "$ROOT/bindings" # the bindgen finds uniffi.toml through cargo metadata
  "$TARGET/debug/uniffi-bindgen" generate "$LIB" --language kotlin --no-format \
    --out-dir "$HERE/app/src/generated/kotlin"
  "$TARGET/debug/uniffi-bindgen" generate "$LIB" --language kotlin --no-format \
    --out-dir "$HERE/bindings-jvm/src/generated/kotlin" --config ci/uniffi-jvm.toml
)
grep -q "android.os.Build" "$HERE/app/src/generated/kotlin/org/trellis/core/trellis_ffi.kt" || {
  echo "the app's bindings were not generated with android = true" >&2
  exit 1
}
echo "done: open $HERE in Android Studio and run the app configuration"
