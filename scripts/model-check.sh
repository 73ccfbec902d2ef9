#!/usr/bin/env bash
# Model-checks the request protocol (test/model/resend-protocol.pml) with spin.
#
#   scripts/model-check.sh              every CI check (the model holds; each bug variant is caught)
#   scripts/model-check.sh CHECK...     only the named checks (names: --list)
#   scripts/model-check.sh --full       the CI checks, plus a bit-state run of a larger configuration
#                                       (off CI: minutes)
#   scripts/model-check.sh --list       the checks, one a line
#   scripts/model-check.sh --install    only install spin if it is missing (before checks run side by side)
#
# Each check generates pan with spin, compiles it with gcc and searches the whole state space
# (safety: assertions and invalid end states; liveness: acceptance cycles of the LTL property).
# It prints one line per check: name, expectation, result, states, transitions, time.
# A check that "holds" must end with no error; a "violation" check (a bug variant) must produce a
# counterexample of the named property. Exit status 0 only when every check met its expectation.
# Installs the Debian package `spin` when it is missing (CI runs as root).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
model="$PWD/test/model/resend-protocol.pml"

# name | expectation (holds, or the property a counterexample must violate) | spin -D flags | mode
# mode: safety, liveness (acceptance cycles), fair-liveness (acceptance cycles under weak fairness),
# bitstate (safety, bit-state hashing: a partial search for larger configurations)
ci_checks=(
  "safety|holds|-DMAX_FAULTS=1|safety"
  "liveness|holds|-DMAX_FAULTS=1|fair-liveness"
  "one-key-safety|holds|-DCONFIG_ONE_KEY -DMAX_FAULTS=2|safety"
  "one-key-liveness|holds|-DCONFIG_ONE_KEY -DMAX_FAULTS=2|fair-liveness"
  "stale-call-with-name-guard|holds|-DEXPIRE_ANYWHERE -DNAME_GUARD -DNO_LOOKUP_ORDER_ASSERT -DMAX_FAULTS=1|safety"
  "stale-call-without-name-guard|ONE_TASK_PER_KEY|-DEXPIRE_ANYWHERE -DNO_LOOKUP_ORDER_ASSERT -DMAX_FAULTS=1|safety"
  "bug-no-lookup|LOOKUP_BEFORE_NEW_CALL|-DBUG_NO_LOOKUP -DMAX_FAULTS=1|safety"
  "bug-no-lookup-two-tasks|ONE_TASK_PER_KEY|-DBUG_NO_LOOKUP -DNO_LOOKUP_ORDER_ASSERT -DMAX_FAULTS=1|safety"
  "bug-no-fencing|ONE_FINAL_STATE|-DBUG_NO_FENCING -DMAX_FAULTS=1|safety"
  "bug-snapshot|DUPLICATES_ANSWERED|-DBUG_SNAPSHOT -DMAX_FAULTS=0|safety"
  "bug-snapshot-no-outcome|EVERY_REQUEST_ENDS|-DBUG_SNAPSHOT -DNO_DUPLICATES_ANSWERED_ASSERT -DMAX_FAULTS=0|safety"
  "bug-no-repeat-flag|DUPLICATES_ANSWERED|-DBUG_NO_REPEAT_FLAG -DMAX_FAULTS=0|safety"
  "bug-claim-at-intake-no-mark|LOOKUP_BEFORE_NEW_CALL|-DBUG_CLAIM_AT_INTAKE_NO_MARK -DMAX_FAULTS=1|safety"
  "bug-publish-unwritten|NO_OUTCOME_FOR_ROLLED_BACK_STATE|-DBUG_PUBLISH_UNWRITTEN -DMAX_FAULTS=1|safety"
  "bug-shared-lease-owner|ONE_TASK_PER_KEY|-DBUG_SHARED_LEASE_OWNER -DCONFIG_ONE_KEY -DMAX_FAULTS=2|safety"
  "late-call-with-settle-delay|holds|-DLATE_CALLS -DMAX_FAULTS=1|safety"
  "bug-no-settle-delay|ONE_TASK_PER_KEY|-DLATE_CALLS -DBUG_NO_SETTLE_DELAY -DMAX_FAULTS=1|safety"
  "bug-unknown-from-committed-finish|NO_FAILURE_WITH_TASK|-DBUG_UNKNOWN_FROM_COMMITTED_FINISH -DEXPIRE_ANYWHERE -DNAME_GUARD -DNO_LOOKUP_ORDER_ASSERT -DMAX_FAULTS=1|safety"
  "bug-event-per-request|ONE_OUTCOME_PER_REQUEST|-DBUG_EVENT_PER_REQUEST -DMAX_FAULTS=1|safety"
  "bug-no-key-order|EVENTS_IN_KEY_ORDER|-DBUG_NO_KEY_ORDER -DMAX_FAULTS=0|safety"
)
full_checks=(
  "large-bitstate|holds|-DCONFIG_LARGE -DMAX_FAULTS=1|bitstate"
)

# How each property's assertion reads in pan's output ("assertion violated <expression>").
property_of_violation() {
  case "$1" in
    *'evOrder'*) echo EVENTS_IN_KEY_ORDER ;;
    *'cnt<=1'*) echo ONE_TASK_PER_KEY ;;
    *'evCount'*) echo ONE_OUTCOME_PER_REQUEST ;;
    *'!((((status[r]==3)'*) echo ONE_FINAL_STATE ;;
    *'unresolved[r]'*) echo LOOKUP_BEFORE_NEW_CALL ;;
    *'dupOf[d]==(r+1)'*) echo DUPLICATES_ANSWERED ;;
    *'intakeDone'*) echo EVERY_REQUEST_ENDS ;;
    *'ev[r]=='*) echo NO_OUTCOME_FOR_ROLLED_BACK_STATE ;;
    *'onExists'*) echo NO_FAILURE_WITH_TASK ;;
    *'acceptance cycle'*) echo EVERY_REQUEST_ENDS ;;
    *'invalid end state'*) echo NO_DEADLOCK ;;
    *) echo UNKNOWN ;;
  esac
}

ensure_spin() {
  command -v spin >/dev/null && return 0
  echo "[model] spin is missing; installing the Debian package" >&2
  if [[ $(id -u) -ne 0 ]]; then
    echo "[model] cannot install spin without root: run 'sudo apt-get install spin'" >&2
    return 1
  fi
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq spin >/dev/null
}

run_check() {
  local name=$1 expect=$2 flags=$3 mode=$4
  local dir="$work/$name" gcc_flags pan_flags
  mkdir -p "$dir"
  cp "$model" "$dir/"
  case "$mode" in
    # No state compression (-DCOLLAPSE): the largest check stores 8.4 million states in about 2 GiB
    # uncompressed, and searching without compression takes a fifth less CPU (liveness: 152 s
    # against 192 s on the CI machine); a larger hash table (-w26) for as many states.
    safety) gcc_flags="-DNOCLAIM -DSAFETY"; pan_flags="-m1000000 -w26" ;;
    liveness) gcc_flags="-DNFAIR=3"; pan_flags="-a -m1000000 -w26" ;;
    fair-liveness) gcc_flags="-DNFAIR=3"; pan_flags="-a -f -m1000000 -w26" ;;
    bitstate) gcc_flags="-DNOCLAIM -DBITSTATE -DSAFETY"; pan_flags="-m1000000 -w30 -k3" ;;
  esac
  # A check that must find a counterexample stops at the first one: compiling fast beats running fast.
  local optimise=-O2
  [[ "$expect" == holds ]] || optimise=-O0
  local started=$SECONDS output cpu
  local TIMEFORMAT='%U %S'
  # In `npm test` the checks share the machine with the end-to-end tests and their deadlines, so
  # they run niced — but for the liveness searches: each is a single-threaded search of minutes,
  # the longest task of the run, and niced it would only start once every end-to-end file had
  # ended, and end the run minutes after them.
  local priority=(nice)
  [[ "$mode" == *liveness ]] && priority=()
  # shellcheck disable=SC2086 # the flag lists are word lists
  cpu=$( { time (cd "$dir" && spin $flags -a resend-protocol.pml >spin.log 2>&1 \
      && "${priority[@]}" gcc $optimise -w $gcc_flags -o pan pan.c 2>>spin.log \
      && { "${priority[@]}" ./pan $pan_flags >pan.log 2>&1 || true; }) ; } 2>&1 ) || true
  if [[ ! -x "$dir/pan" ]]; then
    echo "$name: expected $expect -> MODEL DID NOT COMPILE"; cat "$dir/spin.log"; return 1
  fi
  output=$(cat "$dir/pan.log")
  cpu=$(awk '{ printf "%.1f", $1 + $2 }' <<<"$cpu")
  local elapsed=$((SECONDS - started))
  local errors states transitions result violated search
  search=$(grep -oE 'elapsed time [0-9.e+]+' <<<"$output" | grep -oE '[0-9.e+]+$' || echo "?")
  errors=$(grep -oE 'errors: [0-9]+' <<<"$output" | grep -oE '[0-9]+' || echo "?")
  states=$(grep -oE '^ *[0-9.e+]+ states, stored' <<<"$output" | grep -oE '[0-9.e+]+' | head -n1 || echo "?")
  transitions=$(grep -oE '^ *[0-9.e+]+ transitions' <<<"$output" | grep -oE '[0-9.e+]+' | head -n1 || echo "?")
  if [[ "$errors" == 0 ]]; then
    result=holds
  else
    violated=$(property_of_violation "$(grep -m1 -E 'assertion violated|acceptance cycle|invalid end state' <<<"$output" || true)")
    result=$violated
  fi
  echo "$name: expected $expect -> $result (errors: $errors, states: $states, transitions: $transitions, search ${search}s, cpu ${cpu}s, wall ${elapsed}s; $flags, $mode)"
  if grep -q 'error: max search depth too small\|out of memory' <<<"$output"; then
    echo "$name: the search was cut short"; echo "$output" | tail -n 20; return 1
  fi
  if [[ "$result" != "$expect" ]]; then
    echo "$output" | tail -n 30
    if [[ -f "$dir/resend-protocol.pml.trail" ]]; then
      echo "--- counterexample (spin -t -p):"
      # shellcheck disable=SC2086
      (cd "$dir" && spin $flags -t -p -g resend-protocol.pml 2>&1 | grep -E '^ *[0-9]+:' | tail -n 60) || true
    fi
    return 1
  fi
}

checks=("${ci_checks[@]}")
case "${1:-}" in
  --list) for c in "${ci_checks[@]}" "${full_checks[@]}"; do echo "${c%%|*}"; done; exit 0 ;;
  --install) ensure_spin; exit ;;
  --full) checks+=("${full_checks[@]}"); shift ;;
  "") ;;
  *)
    checks=()
    for wanted in "$@"; do
      found=0
      for c in "${ci_checks[@]}" "${full_checks[@]}"; do
        if [[ "${c%%|*}" == "$wanted" ]]; then checks+=("$c"); found=1; fi
      done
      ((found)) || { echo "unknown check: $wanted (see --list)" >&2; exit 2; }
    done
    ;;
esac

ensure_spin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "[model] $(spin -V)"
failed=0
total_started=$SECONDS
for check in "${checks[@]}"; do
  IFS='|' read -r name expect flags mode <<<"$check"
  run_check "$name" "$expect" "$flags" "$mode" || failed=$((failed + 1))
done
echo "[model] ${#checks[@]} checks, $failed not as expected, wall $((SECONDS - total_started))s"
((failed == 0))
