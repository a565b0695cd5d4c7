# Step timing for scripts/test.sh and .ci/run (sourced, not run). `step NAME CMD...` runs a
# command under a heading and records its seconds in $STEP_LOG; `step_table` prints every
# recorded step as a Markdown table with the total. A caller that sets STEP_LOG before sourcing
# (as .ci/run does for scripts/test.sh) collects the steps of both scripts in one table.

if [[ -z "${STEP_LOG:-}" ]]; then
  STEP_LOG=$(mktemp /tmp/trellis-steps.XXXXXX)
  STEP_LOG_OWNED=1
fi
export STEP_LOG

# step NAME CMD...: runs CMD, records "NAME<TAB>seconds<TAB>status"; returns CMD's status.
step() {
  local name=$1 t0=$SECONDS status=0
  shift
  echo
  echo "=== $name"
  "$@" || status=$?
  printf '%s\t%s\t%s\n' "$name" "$((SECONDS - t0))" "$([[ $status == 0 ]] && echo ok || echo "FAILED ($status)")" >>"$STEP_LOG"
  echo "=== $name: $((SECONDS - t0)) s"
  return "$status"
}

# step_table: every step recorded so far, its seconds and outcome, and their sum.
step_table() {
  [[ -s "$STEP_LOG" ]] || return 0
  echo
  echo "| step | seconds | outcome |"
  echo "| --- | ---: | --- |"
  awk -F'\t' '{ printf "| %s | %d | %s |\n", $1, $2, $3; total += $2 }
    END { printf "| **total of the steps** | **%d** | |\n", total }' "$STEP_LOG"
}
