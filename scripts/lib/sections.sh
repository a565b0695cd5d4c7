# Sections of a long script (sourced, not run), for scripts/bindings.sh and scripts/web.sh:
# `step NAME` prints a heading and starts its clock, `done_step` prints its seconds, and a
# failing command names the section it failed in. T0 holds the script's start.

T0=$SECONDS
step() {
  STEP_NAME=$1
  STEP_T=$SECONDS
  echo
  echo "=== $1"
}
done_step() { echo "=== $STEP_NAME: $((SECONDS - STEP_T))s"; }
trap 'echo; echo "=== FAILED in step: ${STEP_NAME:-setup}"' ERR
