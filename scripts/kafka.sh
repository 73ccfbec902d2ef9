#!/usr/bin/env bash
# Runs a real single-node Apache Kafka broker (KRaft, broker+controller in one JVM) from the
# jars published on Maven Central, for development and tests. No Docker needed.
#
#   scripts/kafka.sh start    resolve jars (first time), format storage (first time), start, wait until ready
#   scripts/kafka.sh stop     stop the broker started here (SIGTERM, then SIGKILL after a grace period)
#   scripts/kafka.sh status   exit 0 if the broker answers, 1 otherwise
#   scripts/kafka.sh reset    stop and delete the local data (topics, offsets, certificates, users)
#   scripts/kafka.sh resolve  only resolve the jars (into the cache, once per broker version)
#
# Settings (environment): KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (KAFKA_PORT+1),
# KAFKA_HOME (<repo>/.kafka, ignored by git), KAFKA_HEAP_OPTS (-Xms256m -Xmx512m),
# KAFKA_LIB_DIR (the jars, shared by every clone: $XDG_CACHE_HOME or ~/.cache, resend-relay/kafka-lib),
# KAFKA_START_TIMEOUT seconds (90). The broker version is pinned in scripts/kafka/pom.xml.
#
# Secure mode, KAFKA_SECURITY=sasl_ssl (default: plaintext): the client listener is SASL_SSL
# (TLS + SASL PLAIN/SCRAM-SHA-256/SCRAM-SHA-512) and the StandardAuthorizer enforces ACLs.
# KAFKA_SECURITY=both: the PLAINTEXT client listener on KAFKA_PORT as in plaintext mode, and a
# SASL_SSL listener as in secure mode on KAFKA_SASL_SSL_PORT (KAFKA_PORT+2), with the same
# authorizer; plaintext clients keep every right (scripts/kafka/plaintext-and-sasl-ssl.properties.template).
# With sasl_ssl or both, the first start makes, under $KAFKA_HOME/secure-<KAFKA_PORT>/ (ignored by git):
#   ca.pem            the test CA clients must trust (KAFKA_SSL_CA_FILE)
#   other-ca.pem      a CA the broker does not use (for "untrusted CA" tests)
#   client.pem/.key   a client certificate signed by the CA (mutual TLS)
#   users/<name>      the password of each user (usable as KAFKA_SASL_PASSWORD_FILE)
# Users: `admin` (super user) and those in KAFKA_SASL_USERS (default "resend-relay"), for all
# three mechanisms; they hold no ACL until one is created (kafka-acls, or an admin client).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kafka_conf_dir="$repo_root/scripts/kafka"
port=${KAFKA_PORT:-9092}
controller_port=${KAFKA_CONTROLLER_PORT:-$((port + 1))}
home=${KAFKA_HOME:-$repo_root/.kafka}
heap=${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}
start_timeout=${KAFKA_START_TIMEOUT:-90}

lib_dir=${KAFKA_LIB_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/resend-relay/kafka-lib}
data_dir="$home/data-$port"
logs_dir="$home/logs-$port"
pid_file="$home/kafka-$port.pid"
config_file="$home/server-$port.properties"
# A fixed cluster id keeps `reset` + `start` reproducible; it only has to be a base64 UUID.
cluster_id="cmVzZW5kLXJlbGF5LWxvYw"
security=${KAFKA_SECURITY:-plaintext}
sasl_ssl_port=${KAFKA_SASL_SSL_PORT:-$((port + 2))}
secure_dir="$home/secure-$port"
sasl_users="admin ${KAFKA_SASL_USERS:-resend-relay}"

log() { echo "[kafka.sh] $*" >&2; }

case "$security" in plaintext | sasl_ssl | both) ;; *)
  log "KAFKA_SECURITY must be plaintext, sasl_ssl or both"
  exit 2
  ;;
esac

# Whether the broker has a SASL_SSL listener (and so certificates, users and the authorizer).
has_sasl_ssl() { [[ "$security" != plaintext ]]; }

# The ports the broker's client listeners take.
client_ports() {
  case "$security" in
    plaintext | sasl_ssl) echo "$port" ;;
    both) echo "$port $sasl_ssl_port" ;;
  esac
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running_pid() {
  [[ -f "$pid_file" ]] || return 1
  local pid
  pid=$(cat "$pid_file")
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

# The classpath is resolved once into $lib_dir; a changed pom (new version) resolves it again.
# It is made beside $lib_dir and renamed into place, so a broker never starts on half a classpath.
resolve_jars() {
  local stamp="$lib_dir/.pom.sha256" want staging
  want=$(sha256sum "$kafka_conf_dir/pom.xml" | cut -d' ' -f1)
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return 0; fi
  command -v mvn >/dev/null || { log "Maven (mvn) is required to fetch the Kafka jars"; exit 1; }
  command -v java >/dev/null || { log "Java 17+ is required to run Kafka"; exit 1; }
  log "resolving Kafka jars from Maven Central into $lib_dir"
  staging="$lib_dir.$$"
  rm -rf "$staging"
  mkdir -p "$staging"
  mvn -q -B -f "$kafka_conf_dir/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$staging" >&2
  echo "$want" >"$staging/.pom.sha256"
  rm -rf "$lib_dir"
  mv "$staging" "$lib_dir"
}

write_config() {
  mkdir -p "$data_dir" "$logs_dir"
  local templates=("$kafka_conf_dir/server.properties.template")
  has_sasl_ssl && templates+=("$kafka_conf_dir/sasl-ssl.properties.template")
  [[ "$security" == both ]] && templates+=("$kafka_conf_dir/plaintext-and-sasl-ssl.properties.template")
  cat "${templates[@]}" | sed -e "s|@PORT@|$port|g" -e "s|@CONTROLLER_PORT@|$controller_port|g" \
    -e "s|@SASL_SSL_PORT@|$sasl_ssl_port|g" -e "s|@DATA_DIR@|$data_dir|g" -e "s|@SECURE_DIR@|$secure_dir|g" >"$config_file"
  if has_sasl_ssl; then
    local plain_users="username=\"admin\" password=\"$(password_of admin)\"" user
    for user in $sasl_users; do plain_users+=" user_$user=\"$(password_of "$user")\""; done
    # Passwords are hex: safe inside sed replacements and JAAS quotes.
    sed -i -e "s|@STORE_PASSWORD@|$(cat "$secure_dir/store-password")|g" -e "s|@ADMIN_PASSWORD@|$(password_of admin)|g" \
      -e "s|@PLAIN_USERS@|$plain_users|g" "$config_file"
    chmod 600 "$config_file"
  fi
}

password_of() { cat "$secure_dir/users/$1"; }

# A CA, a broker certificate for 127.0.0.1/localhost, a client certificate, a second CA nobody
# uses, and one random password per user: made once per port, deleted by `reset`.
make_secrets_once() {
  has_sasl_ssl && [[ ! -f "$secure_dir/broker.p12" ]] || return 0
  command -v openssl >/dev/null || { log "openssl is required for KAFKA_SECURITY=$security"; exit 1; }
  log "making a test CA, certificates and SASL users in $secure_dir"
  rm -rf "$secure_dir"
  mkdir -p "$secure_dir/users"
  chmod 700 "$secure_dir"
  (
    cd "$secure_dir"
    local days=30 user
    for ca in ca other-ca; do
      openssl req -x509 -newkey rsa:2048 -nodes -keyout "$ca.key" -out "$ca.pem" -days "$days" \
        -subj "/CN=resend-relay test $ca" 2>/dev/null
    done
    issue() { # name, subject, extensions
      openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
      openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$1.pem" -days "$days" \
        -extfile <(printf '%s\n' "$3") 2>/dev/null
      rm -f "$1.csr"
    }
    issue broker "/CN=127.0.0.1" "subjectAltName=IP:127.0.0.1,DNS:localhost"
    issue client "/CN=resend-relay-client" "extendedKeyUsage=clientAuth"
    openssl rand -hex 16 >store-password
    openssl pkcs12 -export -in broker.pem -inkey broker.key -certfile ca.pem -name broker \
      -out broker.p12 -passout "file:store-password"
    for user in $sasl_users; do openssl rand -hex 16 >"users/$user"; done
    chmod 600 ./*.key store-password users/*
  )
}

format_storage_once() {
  [[ -f "$data_dir/meta.properties" ]] && return 0
  log "formatting KRaft storage in $data_dir"
  local scram=() user
  if has_sasl_ssl; then
    for user in $sasl_users; do
      for mechanism in SCRAM-SHA-256 SCRAM-SHA-512; do
        scram+=(--add-scram "$mechanism=[name=$user,password=$(password_of "$user")]")
      done
    done
  fi
  java $heap -cp "$lib_dir/*" -Dlog4j2.configurationFile="$kafka_conf_dir/log4j2.properties" \
    -Dkafka.logs.dir="$logs_dir" kafka.tools.StorageTool format \
    --cluster-id "$cluster_id" --config "$config_file" --ignore-formatted "${scram[@]}" >"$logs_dir/format.log" 2>&1 ||
    { cat "$logs_dir/format.log" >&2; exit 1; }
}

all_ports_open() {
  local each
  for each in "$@"; do port_open "$each" || return 1; done
}

# "Ready" means the broker has finished starting (it logs so) and its client ports accept connections.
wait_until_ready() {
  local deadline=$((SECONDS + start_timeout)) pid=$1
  # shellcheck disable=SC2046 # one word per port
  until grep -q "Kafka Server started" "$logs_dir/server.log" 2>/dev/null && all_ports_open $(client_ports); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "broker exited during start-up; last lines of $logs_dir/server.log:"
      tail -n 30 "$logs_dir/server.log" >&2 || true
      rm -f "$pid_file"
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      log "broker not ready after ${start_timeout}s; see $logs_dir/server.log"
      exit 1
    fi
    sleep 0.5
  done
}

start() {
  if pid=$(running_pid); then
    log "already running (pid $pid) on 127.0.0.1:$port"
    return 0
  fi
  local each
  for each in $(client_ports); do
    if port_open "$each"; then
      log "port $each is taken by another process; set KAFKA_PORT (KAFKA_SASL_SSL_PORT) or stop it"
      exit 1
    fi
  done
  resolve_jars
  make_secrets_once
  write_config
  format_storage_once
  : >"$logs_dir/server.log"
  log "starting Kafka $(ls "$lib_dir" | sed -n 's/^kafka_2.13-\(.*\)\.jar$/\1/p') ($security) on 127.0.0.1:$port"
  # setsid: the broker must not receive the Ctrl-C meant for the script that started it.
  setsid java $heap -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$kafka_conf_dir/log4j2.properties" -Dkafka.logs.dir="$logs_dir" \
    -cp "$lib_dir/*" kafka.Kafka "$config_file" >"$logs_dir/stdout.log" 2>&1 </dev/null &
  echo $! >"$pid_file"
  wait_until_ready "$!"
  if [[ "$security" == both ]]; then log "ready on 127.0.0.1:$port (PLAINTEXT) and 127.0.0.1:$sasl_ssl_port (SASL_SSL)"; else log "ready on 127.0.0.1:$port"; fi
}

stop() {
  local pid
  if ! pid=$(running_pid); then
    log "not running"
    rm -f "$pid_file"
    return 0
  fi
  log "stopping pid $pid"
  kill -TERM "$pid"
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "did not stop within 30s; killing"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  rm -f "$pid_file"
  log "stopped"
}

status() {
  if pid=$(running_pid) && port_open "$port"; then
    echo "running (pid $pid) on 127.0.0.1:$port"
  else
    echo "not running"
    return 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  resolve) resolve_jars ;;
  reset) stop && rm -rf "$data_dir" "$logs_dir" "$config_file" "$secure_dir" && log "local data deleted" ;;
  *) echo "usage: $0 start|stop|status|reset|resolve" >&2; exit 2 ;;
esac
