#!/usr/bin/env bash
# The test command (`npm test`): type-check and build (one tsc pass), lint, the unit tests, the
# model check and the end-to-end tests against a real Kafka broker, a real PostgreSQL and the
# provider simulator over real HTTP.
#
# The type-check and build (one tsc pass), the lint and the broker's start run in the background
# while vitest starts: the unit tests and the model check do not wait for them, the e2e files do
# (E2E_READY_DIR); a failed type-check or lint fails the run, its output shown at the end.
#
# Kafka: when KAFKA_BROKERS is not set, a throw-away broker is started on free ports with empty
# storage and stopped afterwards. It has two client listeners
# (scripts/kafka.sh KAFKA_SECURITY=both): PLAINTEXT, with every right, for the tests; and SASL_SSL
# (TLS, SASL users with random passwords, ACLs enforced) for test/infrastructure/secure-kafka.e2e-spec.ts, which
# starts a secure broker of its own only when the broker comes from KAFKA_BROKERS.
# PostgreSQL: DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432); each e2e file
# works on a database of its own, cloned from a template migrated once (test/support/e2e-context.ts).
# Every process group a test starts is noted under .run/process-groups/<run>/ and killed when the
# run ends, however it ends (test/support/process-groups.ts).
# Extra arguments go to vitest, e.g. `npm test -- test/flow/resend-flow.e2e-spec.ts`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The supported Node.js (.node-version, fetched once by scripts/node.sh when the machine's own is
# another version) first on PATH: the install, tsc, lint, vitest and every process a test spawns run on it.
PATH="$(scripts/node.sh bin-dir):$PATH"
export PATH
# V8's compiled code kept on disk: the run starts the service and the simulator as processes
# hundreds of times, each loading the same modules.
export NODE_COMPILE_CACHE=${NODE_COMPILE_CACHE:-$PWD/.run/compile-cache}

[[ -d node_modules ]] || npm ci --no-audit --no-fund

log() { echo "[test.sh] $*" >&2; }

# A port below the kernel's ephemeral range (where outgoing connections take theirs) that nobody listens on.
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 12000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

export E2E_PROCESS_GROUPS_DIR="$PWD/.run/process-groups/$$"
mkdir -p "$E2E_PROCESS_GROUPS_DIR"
kafka_port=""
kafka_starter=""

cleanup() {
  set +e
  local file pgid
  for file in "$E2E_PROCESS_GROUPS_DIR"/*; do
    [[ -f "$file" ]] || continue
    pgid=$(basename "$file")
    kill -KILL -- "-$pgid" 2>/dev/null && log "killed process group $pgid left running ($(cat "$file"))"
  done
  rm -rf "$E2E_PROCESS_GROUPS_DIR" "${E2E_READY_DIR:-}"
  if [[ -n "$kafka_starter" ]]; then kill "$kafka_starter" 2>/dev/null || true; wait "$kafka_starter" 2>/dev/null || true; fi
  if [[ -n "$kafka_port" ]]; then
    KAFKA_PORT=$kafka_port scripts/kafka.sh stop >/dev/null 2>&1 || true
    KAFKA_PORT=$kafka_port scripts/kafka.sh reset >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# What runs beside the tests writes its exit status here; the e2e files wait for the build and the
# broker (test/support/e2e-context.ts), the unit tests and the model check start at once.
export E2E_READY_DIR="$PWD/.run/ready/$$"
rm -rf "$E2E_READY_DIR"
mkdir -p "$E2E_READY_DIR"
started_in_background() { # name, command...: runs the command, then notes its exit status as <name>
  local name=$1
  shift
  (
    status=0
    "$@" || status=$?
    echo "$status" >"$E2E_READY_DIR/$name"
  ) &
}

if [[ -z "${KAFKA_BROKERS:-}" ]]; then
  kafka_port=$(free_port)
  export KAFKA_CONTROLLER_PORT; KAFKA_CONTROLLER_PORT=$(free_port)
  sasl_ssl_port=$(free_port)
  while [[ $sasl_ssl_port == "$kafka_port" || $sasl_ssl_port == "$KAFKA_CONTROLLER_PORT" ]]; do sasl_ssl_port=$(free_port); done
  # The jars are resolved first (not in the background): a broker a test starts later uses them too.
  KAFKA_PORT=$kafka_port scripts/kafka.sh resolve
  # The SASL users are those test/infrastructure/secure-kafka.e2e-spec.ts logs in as.
  KAFKA_PORT=$kafka_port KAFKA_SECURITY=both KAFKA_SASL_SSL_PORT=$sasl_ssl_port \
    KAFKA_SASL_USERS="resend-relay resend-relay-limited" started_in_background kafka scripts/kafka.sh start
  kafka_starter=$!
  export KAFKA_BROKERS="127.0.0.1:$kafka_port"
  # The secure listener and its CA, certificates and passwords, for test/support/global-setup.ts.
  export E2E_KAFKA_SASL_SSL_BROKERS="127.0.0.1:$sasl_ssl_port"
  export E2E_KAFKA_SECURE_DIR="${KAFKA_HOME:-$PWD/.kafka}/secure-$kafka_port"
else
  echo 0 >"$E2E_READY_DIR/kafka"
fi

# Type-check everything (tests included) and emit dist/ in the same pass (some e2e tests run the
# built service as real processes), and lint (ESLint, zero warnings, and Prettier's check), both
# beside the tests; their output is shown at the end when they fail.
started_in_background build bash -c 'npx tsc -p tsconfig.json >"$E2E_READY_DIR/build.log" 2>&1'
build_job=$!
started_in_background lint bash -c 'npm run -s lint >"$E2E_READY_DIR/lint.log" 2>&1'
lint_job=$!

test_status=0
npx vitest run "$@" || test_status=$?

wait "$build_job" "$lint_job"
if [[ -n "$kafka_starter" ]]; then
  wait "$kafka_starter"
  kafka_starter=""
fi
for step in build lint kafka; do
  status=$(cat "$E2E_READY_DIR/$step" 2>/dev/null || echo "?")
  [[ "$status" == 0 ]] && continue
  case "$step" in
    build) log "type-check or build failed:"; cat "$E2E_READY_DIR/build.log" >&2 ;;
    lint) log "lint failed:"; cat "$E2E_READY_DIR/lint.log" >&2 ;;
    kafka) log "the Kafka broker did not start" ;;
  esac
  ((test_status != 0)) || test_status=1
done
exit "$test_status"
