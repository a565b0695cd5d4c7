#!/usr/bin/env bash
# Fuzzes every decoder that reads bytes from the network or a file (fuzz/, cargo-fuzz and
# libFuzzer) for a bounded time per target, starting from the committed corpus, and prints a
# table of executions per target. Targets run side by side, one per core. A property failure or
# crash fails the run (exit 1) once the targets beside it have ended, and
# leaves the input in fuzz/artifacts/<target>/ (docs/FUZZING.md: turning it into a regression).
#
#   bash scripts/fuzz.sh                  # every target, 15 s each, debug build (CI)
#   bash scripts/fuzz.sh 600 vcard csv    # ten minutes each for two targets
#   FUZZ_RELEASE=1 bash scripts/fuzz.sh 3600   # optimized build with AddressSanitizer, an hour each
#
# cargo-fuzz needs nightly flags; on the stable toolchain RUSTC_BOOTSTRAP=1 enables them.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET=${1:-15}
shift || true
CARGO_FUZZ_VERSION=0.13.2
export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR=never

if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  echo "=== installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install --locked "cargo-fuzz@$CARGO_FUZZ_VERSION"
fi

cd fuzz
if [ "${FUZZ_RELEASE:-0}" = 1 ]; then
  BUILD=(--release --sanitizer address)
else
  # Rust decoders: AddressSanitizer adds little; a debug build keeps CI's share small.
  BUILD=(--dev --sanitizer none)
fi
if [ $# -gt 0 ]; then TARGETS=("$@"); else mapfile -t TARGETS < <(cargo fuzz list); fi

T0=$SECONDS
echo "=== cargo fuzz build ${BUILD[*]}"
cargo fuzz build "${BUILD[@]}"
echo "    built in $((SECONDS - T0)) s"

mkdir -p logs
# Targets run side by side, one per core (FUZZ_JOBS; libFuzzer itself uses one): each still gets
# its full time, and the step takes a core's share of the total.
JOBS=${FUZZ_JOBS:-$(nproc)}
fuzz_one() {
  local t=$1
  # New inputs go to a scratch folder (gitignored); the committed corpus is only read.
  mkdir -p "corpus-run/$t"
  cargo fuzz run "${BUILD[@]}" "$t" "corpus-run/$t" "corpus/$t" -- \
    -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 >"logs/$t.log" 2>&1
}
declare -A PIDS
FAILED=()
for t in "${TARGETS[@]}"; do
  while (($(jobs -rp | wc -l) >= JOBS)); do wait -n || true; done
  echo "=== fuzzing $t for ${SECONDS_PER_TARGET} s"
  fuzz_one "$t" &
  PIDS[$t]=$!
done
for t in "${TARGETS[@]}"; do
  wait "${PIDS[$t]}" || FAILED+=("$t")
done
for t in "${FAILED[@]}"; do
  tail -n 40 "logs/$t.log"
  echo "FAILED: $t found an input that breaks its property; see fuzz/artifacts/$t/ and docs/FUZZING.md"
done
((${#FAILED[@]} == 0)) || exit 1

declare -A EXECS COVER
for t in "${TARGETS[@]}"; do
  EXECS[$t]=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' | tail -1 || echo 0)
  COVER[$t]=$(grep -o 'cov: [0-9]*' "logs/$t.log" | tail -1 | grep -o '[0-9]*$' || echo "?")
done

echo
echo "| target | seconds | executions | coverage (edges) |"
echo "| --- | ---: | ---: | ---: |"
TOTAL=0
for t in "${TARGETS[@]}"; do
  echo "| $t | $SECONDS_PER_TARGET | ${EXECS[$t]} | ${COVER[$t]} |"
  TOTAL=$((TOTAL + ${EXECS[$t]:-0}))
done
echo "| all ${#TARGETS[@]} targets | $((SECONDS_PER_TARGET * ${#TARGETS[@]})) | $TOTAL | |"
echo "fuzz: ${#TARGETS[@]} passed, 0 failed ($((SECONDS - T0)) s with the build)"
