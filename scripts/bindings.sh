#!/usr/bin/env bash
# Builds the uniffi bindings of trellis-ffi and proves them from Kotlin (desktop JVM), Python
# and, without a Swift toolchain, the Swift ABI. Used by CI; safe to run again (each tool is
# fetched once, generated code is rebuilt every time). Run from anywhere:
#
#   bash scripts/bindings.sh
#
# Needs: Debian/Ubuntu (apt), rustup Rust, OpenJDK 17+, Node/npm, Python 3, gcc.
# Generated code goes to out/ and is never committed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

KOTLIN_VERSION=2.4.20
KOTLIN_SHA1=29e70cd78d185cc7e4d5292548477984256f406f # npm view kotlin-compiler@2.4.20 dist.shasum
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case $TARGET in /*) ;; *) TARGET=$ROOT/$TARGET ;; esac
LIB=$TARGET/debug/libtrellis_ffi.so
STATIC=$TARGET/debug/libtrellis_ffi.a
BINDGEN=$TARGET/debug/uniffi-bindgen
BINDGEN_SWIFT=$TARGET/debug/uniffi-bindgen-swift
export TRELLIS_RELAY=$TARGET/debug/trellis-relay
OUT=$ROOT/out

source "$ROOT/scripts/lib/sections.sh"

step "apt: JNA (Debian libjna-java + libjna-jni), JUnit 4 for android-sample/core-ui"
if ! dpkg -s libjna-java junit4 >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libjna-java junit4 >/dev/null
fi
test -f /usr/share/java/jna.jar
test -f /usr/share/java/junit4.jar
done_step

step "kotlinc $KOTLIN_VERSION from the npm registry"
if [[ ! -x .tools/kotlinc/bin/kotlinc-jvm ]]; then
  rm -rf .tools/package .tools/kotlinc
  mkdir -p .tools
  (cd .tools && npm pack "kotlin-compiler@$KOTLIN_VERSION" --silent >/dev/null)
  echo "$KOTLIN_SHA1  .tools/kotlin-compiler-$KOTLIN_VERSION.tgz" | sha1sum -c --quiet
  tar xzf ".tools/kotlin-compiler-$KOTLIN_VERSION.tgz" -C .tools
  mv .tools/package .tools/kotlinc
  rm ".tools/kotlin-compiler-$KOTLIN_VERSION.tgz"
fi
.tools/kotlinc/bin/kotlinc-jvm -version 2>&1
done_step

step "python: .venv with pytest"
if [[ ! -x .venv/bin/pytest ]]; then
  python3 -m venv .venv
  .venv/bin/pip install -q pytest
fi
.venv/bin/pytest --version
done_step

# scripts/test.sh builds the whole workspace once (one feature resolution for every step) and
# sets TRELLIS_WORKSPACE_BUILT=1; run alone, this script builds what it needs itself.
if [[ "${TRELLIS_WORKSPACE_BUILT:-0}" != 1 ]]; then
  step "cargo build: trellis-ffi (cdylib + staticlib), the uniffi-bindgen binaries, the relay"
  cargo build -p trellis-ffi -p trellis-bindgen -p trellis-relay
  done_step

  step "cargo test: trellis-ffi unit tests"
  cargo test -p trellis-ffi --lib --quiet
  done_step
fi
ls -l "$LIB" "$STATIC" | awk '{print $5, $9}'
test -x "$TRELLIS_RELAY"

step "generate bindings (kotlin, python, swift) into out/"
rm -rf "$OUT"
# uniffi-bindgen runs `cargo metadata` to find bindings/uniffi.toml: run it inside the crate.
# --config: the desktop-JVM override (android = false), see bindings/ci/uniffi-jvm.toml.
(
  cd bindings
  "$BINDGEN" generate "$LIB" --language kotlin --out-dir "$OUT/kotlin" --no-format \
    --config ci/uniffi-jvm.toml
  "$BINDGEN" generate "$LIB" --language python --out-dir "$OUT/python" --no-format
  # The app's flavour (android = true, bindings/uniffi.toml): compiled below against stubs.
  "$BINDGEN" generate "$LIB" --language kotlin --out-dir "$OUT/kotlin-android" --no-format
  # Swift laid out as ios-sample/build-xcframework.sh lays it out: sources apart from the C
  # module TrellisCoreFFI, whose modulemap is a plain one (no --xcframework: that flag writes
  # `framework module`, which a library xcframework's -headers folder cannot serve).
  "$BINDGEN_SWIFT" "$LIB" "$OUT/swift/Sources" --swift-sources
  "$BINDGEN_SWIFT" "$LIB" "$OUT/swift/Headers" --headers --modulemap \
    --module-name TrellisCoreFFI --modulemap-filename module.modulemap
)
find out -type f | sort
if grep -q "import android" "$OUT/kotlin/org/trellis/core/trellis_ffi.kt"; then
  echo "generated Kotlin imports android.*: the desktop override was not applied" >&2
  exit 1
fi
if ! grep -q "import android.os.Build" "$OUT/kotlin-android/org/trellis/core/trellis_ffi.kt"; then
  echo "the app's Kotlin flavour was not generated with android = true" >&2
  exit 1
fi
# The modulemap the xcframework carries must declare a plain module: `framework module`
# there makes `import TrellisCoreFFI` fail in Xcode (uniffi-rs issue 2646).
grep -q "^module TrellisCoreFFI {" "$OUT/swift/Headers/module.modulemap"
if grep -q "framework module" "$OUT/swift/Headers/module.modulemap"; then
  echo "module.modulemap declares a framework module: the library xcframework cannot use it" >&2
  exit 1
fi
# build-xcframework.sh must generate it the same way.
if grep -q -- "--xcframework" ios-sample/build-xcframework.sh; then
  echo "ios-sample/build-xcframework.sh passes --xcframework (a framework modulemap)" >&2
  exit 1
fi
done_step

K=.tools/kotlinc/lib
KCP=/usr/share/java/jna.jar:$K/kotlinx-coroutines-core-jvm.jar:$K/kotlin-test.jar
JAR=$TARGET/kotlin/trellis-bindings-test.jar

step "kotlinc: generated bindings + tests/kotlin"
KT_SOURCES=("$OUT/kotlin/org/trellis/core/trellis_ffi.kt" tests/kotlin/*.kt)
# Recompile only when the generated bindings or the tests changed (kotlinc takes ~30 s).
KT_HASH=$(cat "${KT_SOURCES[@]}" | sha256sum | cut -c1-16)
if [[ -f "$JAR" && "$(cat "$JAR.sha" 2>/dev/null)" == "$KT_HASH" ]]; then
  echo "unchanged since the last compile ($KT_HASH): reusing $JAR"
else
  mkdir -p "$(dirname "$JAR")"
  rm -f "$JAR" "$JAR.sha"
  # C1-only JIT: noticeably faster for one compile on 2 cores. JAVA_OPTS replaces kotlinc's
  # default heap settings.
  JAVA_OPTS="-Xmx1g -XX:TieredStopAtLevel=1" .tools/kotlinc/bin/kotlinc-jvm -cp "$KCP" \
    "${KT_SOURCES[@]}" -d "$JAR"
  echo "$KT_HASH" >"$JAR.sha"
fi
done_step

step "java: Kotlin stories against $LIB"
java -Djna.library.path="$(dirname "$LIB")" -cp "$JAR:$KCP:$K/kotlin-stdlib.jar" TrellisBindingsTestKt
done_step

UI_JAR=$TARGET/kotlin/trellis-core-ui-test.jar
UI_CP=$JAR:$KCP:/usr/share/java/junit4.jar:/usr/share/java/hamcrest-core.jar
step "kotlinc: android-sample/core-ui (platform-free view models) and its unit tests"
UI_SOURCES=(android-sample/core-ui/src/main/kotlin/org/trellis/sample/ui/*.kt
  android-sample/core-ui/src/test/kotlin/org/trellis/sample/ui/*.kt)
# Compiled against the bindings classes already in $JAR: the module needs nothing else, and an
# android.* import anywhere in it would fail here (no Android classes on this classpath).
if grep -n "^import android" "${UI_SOURCES[@]}"; then
  echo "android-sample/core-ui must not import Android classes" >&2
  exit 1
fi
UI_HASH=$(cat "$JAR.sha" "${UI_SOURCES[@]}" | sha256sum | cut -c1-16)
if [[ -f "$UI_JAR" && "$(cat "$UI_JAR.sha" 2>/dev/null)" == "$UI_HASH" ]]; then
  echo "unchanged since the last compile ($UI_HASH): reusing $UI_JAR"
else
  rm -f "$UI_JAR" "$UI_JAR.sha"
  JAVA_OPTS="-Xmx1g -XX:TieredStopAtLevel=1" .tools/kotlinc/bin/kotlinc-jvm -cp "$UI_CP" \
    "${UI_SOURCES[@]}" -d "$UI_JAR"
  echo "$UI_HASH" >"$UI_JAR.sha"
fi
done_step

step "junit: android-sample/core-ui unit tests against $LIB"
UI_TESTS=$(cd android-sample/core-ui/src/test/kotlin && find . -name '*Test.kt' | sed 's|^\./||; s|\.kt$||; s|/|.|g' | sort)
# shellcheck disable=SC2086 # one class name per word
java -Djna.library.path="$(dirname "$LIB")" -cp "$UI_JAR:$UI_CP:$K/kotlin-stdlib.jar" \
  org.junit.runner.JUnitCore $UI_TESTS
done_step

ANDROID_JAR=$TARGET/kotlin/trellis-bindings-android.jar
STUBS=android-sample/core-ui/src/stubs/java
step "kotlinc: the app's flavour of the bindings (android = true) against CI-only Android stubs"
# The app compiles this flavour; here it compiles against $STUBS (android.os.Build,
# android.system.SystemCleaner, androidx.annotation.RequiresApi: the few Android classes it
# names), and core-ui's tests then run against it instead of the desktop flavour.
AND_SOURCES=("$OUT/kotlin-android/org/trellis/core/trellis_ffi.kt" "$STUBS"/*/*/*.java)
AND_HASH=$(cat "${AND_SOURCES[@]}" | sha256sum | cut -c1-16)
if [[ -f "$ANDROID_JAR" && "$(cat "$ANDROID_JAR.sha" 2>/dev/null)" == "$AND_HASH" ]]; then
  echo "unchanged since the last compile ($AND_HASH): reusing $ANDROID_JAR"
else
  rm -rf "$ANDROID_JAR" "$ANDROID_JAR.sha" "$TARGET/kotlin/android-stubs"
  mkdir -p "$TARGET/kotlin/android-stubs"
  javac -d "$TARGET/kotlin/android-stubs" "$STUBS"/*/*/*.java
  JAVA_OPTS="-Xmx1g -XX:TieredStopAtLevel=1" .tools/kotlinc/bin/kotlinc-jvm \
    -cp "$TARGET/kotlin/android-stubs:$KCP" "$OUT/kotlin-android/org/trellis/core/trellis_ffi.kt" -d "$ANDROID_JAR"
  echo "$AND_HASH" >"$ANDROID_JAR.sha"
fi
done_step

step "junit: android-sample/core-ui unit tests against the app's flavour of the bindings"
# UI_JAR holds only core-ui's classes: the bindings come from ANDROID_JAR this time (the
# stubs last on the classpath, for android.os.Build). TestRelay needs $TRELLIS_RELAY.
# shellcheck disable=SC2086 # one class name per word
java -Djna.library.path="$(dirname "$LIB")" \
  -cp "$UI_JAR:$ANDROID_JAR:$KCP:/usr/share/java/junit4.jar:/usr/share/java/hamcrest-core.jar:$K/kotlin-stdlib.jar:$TARGET/kotlin/android-stubs" \
  org.junit.runner.JUnitCore $UI_TESTS
done_step

step "pytest: Python stories"
cp "$LIB" "$OUT/python/" # the generated module loads lib<name>.so from its own folder
PYTHONPATH=$OUT/python .venv/bin/python -m pytest -q -p no:cacheprovider tests/python
done_step

step "swift (no Swift toolchain here): header compiles and links; checksums match the library"
# The header uses clang's _Nonnull/_Nullable; gcc needs them defined away.
gcc -std=c11 -Wall -Werror -D_Nonnull= -D_Nullable= -I"$OUT/swift/Headers" \
  tests/c/header_link_check.c "$STATIC" -lpthread -ldl -lm -o "$TARGET/header_link_check"
"$TARGET/header_link_check"
python3 tests/swift_checksums.py "$OUT/swift/Sources/TrellisCore.swift" "$LIB" \
  "$OUT/swift/Headers/module.modulemap"
done_step

step "swift (no Swift toolchain here): ios-sample's Swift, parsed, matches the generated Swift API"
# tree-sitter-swift parses both (ios-sample/check-swift-api, pinned by its lock file): calls,
# labels, try/await, enum cases, record fields, the store called off the main actor.
SWIFT_CHECK=ios-sample/check-swift-api
if ! [[ -f $SWIFT_CHECK/node_modules/.package-lock.json ]] ||
  ! cmp -s $SWIFT_CHECK/package-lock.json $SWIFT_CHECK/node_modules/.trellis-lock; then
  (cd $SWIFT_CHECK && npm ci --no-audit --no-fund --silent && cp package-lock.json node_modules/.trellis-lock)
fi
node $SWIFT_CHECK/check.mjs "$OUT/swift/Sources/TrellisCore.swift" \
  ios-sample/TrellisKit/Sources/TrellisUI ios-sample/TrellisSample
done_step

echo
echo "=== all bindings checks passed in $((SECONDS - T0))s"
