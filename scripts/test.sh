#!/usr/bin/env bash
# The test command (`npm test`): type-check, lint, unit tests, then end-to-end tests against a real
# Kafka broker, a real PostgreSQL and the provider simulator over real HTTP.
#
# Kafka: when KAFKA_BROKERS is not set, a throw-away broker is started on KAFKA_TEST_PORT
# (19092) with empty storage, and stopped afterwards. test/secure-kafka.e2e-spec.ts starts its own
# secure broker (SASL_SSL, ACLs) on KAFKA_SECURE_TEST_PORT (19292) and the port after it. PostgreSQL: DATABASE_URL's server
# (default postgres://postgres@127.0.0.1:5432); the e2e tests create and drop their own database.
# Extra arguments go to vitest, e.g. `npm test -- test/happy-path.e2e-spec.ts`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[[ -d node_modules ]] || npm ci --no-audit --no-fund

started_kafka=0
stop_kafka() {
  if ((started_kafka)); then KAFKA_PORT=$KAFKA_TEST_PORT scripts/kafka.sh stop || true; fi
}
trap stop_kafka EXIT

if [[ -z "${KAFKA_BROKERS:-}" ]]; then
  export KAFKA_TEST_PORT=${KAFKA_TEST_PORT:-19092}
  KAFKA_PORT=$KAFKA_TEST_PORT scripts/kafka.sh reset >/dev/null 2>&1 || true
  KAFKA_PORT=$KAFKA_TEST_PORT scripts/kafka.sh start
  started_kafka=1
  export KAFKA_BROKERS="127.0.0.1:$KAFKA_TEST_PORT"
fi

npx tsc -p tsconfig.json --noEmit
# ESLint (zero warnings) and Prettier's check: `npm run lint`.
npm run -s lint
# Some e2e tests run the service as real processes (to SIGKILL them): they need the build.
npm run -s build
npx vitest run "$@"
