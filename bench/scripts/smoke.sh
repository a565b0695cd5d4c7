#!/usr/bin/env bash
# Runs every instrument of the performance suite (docs/PERFORMANCE.md) at a tiny size and checks
# that each prints its table, every row with figures in it: the core suite (its percentile
# tables, then criterion's estimates), the sync comparison with samod, the bootstrap, the
# relay load and the exchange's ranking. Built in the dev profile, against the dev relay, and nothing is timed: the
# figures are printed, never compared with a goal. This is what keeps the documented commands
# from rotting between measurements; the measurements themselves are the commands in
# docs/PERFORMANCE.md, in the release profile, on a quiet machine.
#
#   bash bench/scripts/smoke.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

target=${CARGO_TARGET_DIR:-$PWD/target}
# Everything is built in one workspace build, with the benches' dev-dependencies, so that each
# `cargo bench` below finds its target fresh: a `-p` build resolves other features and would
# compile the dependencies again. scripts/test.sh has done it already (TRELLIS_WORKSPACE_BUILT=1).
if [[ "${TRELLIS_WORKSPACE_BUILT:-0}" != 1 ]]; then
    echo "--- cargo build --workspace --all-targets (the instruments and the dev relay they start)"
    cargo build --quiet --workspace --all-targets
fi
export TRELLIS_RELAY_BIN=$target/debug/trellis-relay

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# run NAME COMMAND...: runs an instrument, its table to $out/NAME.txt; shows its stderr if it
# fails.
run() {
    local name=$1
    shift
    echo "--- $name: $*"
    local t0=$SECONDS
    if ! "$@" >"$out/$name.txt" 2>"$out/$name.err"; then
        echo "FAILED: $name exited with an error" >&2
        tail -n 40 "$out/$name.err" >&2
        exit 1
    fi
    echo "    done in $((SECONDS - t0)) s"
}

# row NAME CELLS...: the table NAME printed has a row whose first cells are CELLS, followed by a
# cell that starts with a figure (a failed measurement puts its reason there instead).
row() {
    local name=$1
    shift
    local prefix="|"
    for cell in "$@"; do prefix="$prefix $cell |"; done
    # Cells are padded to their column's width: compare with single spaces.
    if ! sed -E 's/ +/ /g' "$out/$name.txt" | grep -F -- "$prefix" | grep -qE -- "^$(
        printf '%s' "$prefix" | sed -E 's/[][(){}.*+?^$|\\]/\\&/g'
    ) [0-9]"; then
        echo "FAILED: $name printed no row \"$prefix\" with figures. It printed:" >&2
        cat "$out/$name.txt" >&2
        exit 1
    fi
}

# criterion: the shortest run it allows, its results not kept as a baseline (a developer's
# target/criterion holds the baselines of real measurements).
run core env BENCH_CONTACTS=50 BENCH_SAMPLES=5 BENCH_OPEN_SAMPLES=3 \
    cargo bench --quiet --profile dev --workspace --bench core -- \
    --warm-up-time 0.01 --measurement-time 0.01 --sample-size 10 --noplot --discard-baseline
for what in "log a drop-by, durable (NORMAL)" "log a drop-by, durable (FULL)" \
    "open store to first page of contacts" "contacts losing touch" "search \"couns\", top 20" \
    "weekly report (a week of the data)" "time report, a year by week" \
    "open + first page of contacts" "open + contacts losing touch" "open + search top 20"; do
    row core "$what"
done
# criterion's part: a line "NAME    time:   [low estimate high]" for each function.
for name in log_drop_by_normal log_drop_by_full open_to_first_page losing_touch search_top_20 \
    weekly_report; do
    if ! grep -qE -- "^$name +time: +\[[0-9]" "$out/core.txt"; then
        echo "FAILED: core printed no criterion estimate for $name. It printed:" >&2
        cat "$out/core.txt" >&2
        exit 1
    fi
done

run sync cargo bench --quiet --profile dev --workspace --bench sync -- \
    --sizes 12 --trellis-only 16 --runs 2 --samod-timeout 120
for n in 12 16; do
    for scenario in "(a) reconnect, nothing new" "(b) 10 changed documents" \
        "(c) bootstrap an empty device"; do
        row sync "$n" "$scenario" Trellis
    done
done
for scenario in "(a) reconnect, nothing new" "(b) 10 changed documents" \
    "(c) bootstrap an empty device"; do
    row sync 12 "$scenario" samod
done

run bootstrap cargo bench --quiet --profile dev --workspace --bench bootstrap -- \
    --contacts 50 --runs 1
row bootstrap "50 contacts / 500 activities" "bootstrap a new device from Dana's checkpoint" 1

run relay-load "$target/debug/relay-load" \
    --devices 4 --workspaces 2 --listeners 6 --changes 200 --max-seconds 60
row relay-load "1 (SQLite)" 4 2 6 1 "as fast as answered" 0 200

run exchange "$target/debug/examples/exchange" 50
row exchange "rank 50 open posts against the card, median of 10"

echo "--- every instrument printed its table"
