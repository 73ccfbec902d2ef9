#!/usr/bin/env bash
# The run command (`npm start`): everything on the local defaults, on this machine, no Docker.
# Starts Kafka (scripts/kafka.sh), migrates PostgreSQL, starts the provider simulator and the
# service, publishes one sample request and prints the outcome event that came back. Then keeps
# running (logs in .run/) until Ctrl-C, and stops everything it started.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/resend_relay}
export KAFKA_BROKERS=${KAFKA_BROKERS:-127.0.0.1:9092}
export HTTP_PORT=${HTTP_PORT:-3000}
export SIMULATOR_PORT=${SIMULATOR_PORT:-8090}
# Local, throw-away credentials shared by the simulator and the service. For the real provider,
# set ITNIOTECH_BASE_URL, ITNIOTECH_API_KEY and ITNIOTECH_API_SECRET in the environment instead.
export SIMULATOR_API_KEY=${SIMULATOR_API_KEY:-local-api-key}
export SIMULATOR_API_SECRET=${SIMULATOR_API_SECRET:-local-api-secret}
export ITNIOTECH_BASE_URL=${ITNIOTECH_BASE_URL:-http://127.0.0.1:$SIMULATOR_PORT}
export ITNIOTECH_API_KEY=${ITNIOTECH_API_KEY:-$SIMULATOR_API_KEY}
export ITNIOTECH_API_SECRET=${ITNIOTECH_API_SECRET:-$SIMULATOR_API_SECRET}

say() { echo -e "\033[1m[run]\033[0m $*"; }
mkdir -p .run
pids=()
started_kafka=0

cleanup() {
  trap - EXIT INT TERM
  say "stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if ((started_kafka)); then scripts/kafka.sh stop; fi
  say "stopped"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for_http() {
  local url=$1 name=$2 deadline=$((SECONDS + 120))
  until curl -fs "$url" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then say "$name did not become ready; see .run/"; exit 1; fi
    sleep 0.5
  done
}

# The supported Node.js (.node-version), fetched once by scripts/node.sh when the machine's own is another version.
PATH="$(scripts/node.sh bin-dir):$PATH"
export PATH
[[ -d node_modules ]] || { say "installing dependencies"; npm ci --no-audit --no-fund; }
say "building"
npm run -s build

if [[ "$KAFKA_BROKERS" == "127.0.0.1:9092" ]] && ! scripts/kafka.sh status >/dev/null 2>&1; then
  scripts/kafka.sh start
  started_kafka=1
fi

say "migrating $DATABASE_URL"
node dist/scripts/migrate.js

say "starting the provider simulator on 127.0.0.1:$SIMULATOR_PORT (log: .run/simulator.log)"
node --enable-source-maps dist/apps/itniotech-simulator/src/main.js >.run/simulator.log 2>&1 &
pids+=($!)

say "starting resend-service on 127.0.0.1:$HTTP_PORT (log: .run/service.log)"
DATABASE_MIGRATIONS_RUN=false node --enable-source-maps dist/apps/resend-service/src/main.js >.run/service.log 2>&1 &
pids+=($!)

wait_for_http "http://127.0.0.1:$HTTP_PORT/health" "resend-service"
say "health: $(curl -s "http://127.0.0.1:$HTTP_PORT/health")"

say "publishing a sample request"
node dist/scripts/publish-sample.js || say "the sample request did not complete (see above and .run/service.log)"

say "running: service http://127.0.0.1:$HTTP_PORT/health, simulator ledger http://127.0.0.1:$SIMULATOR_PORT/__simulator/ledger"
say "publish another: node dist/scripts/publish-sample.js    stop: Ctrl-C"
wait "${pids[@]}"
