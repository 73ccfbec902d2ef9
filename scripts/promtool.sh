#!/usr/bin/env bash
# Runs Prometheus's promtool (the one from Debian's `prometheus` package) without installing the
# package: the .deb is fetched once with `apt-get download` and unpacked into a cache shared by
# every clone, like the broker's jars (scripts/kafka.sh).
#
#   scripts/promtool.sh check rules docs/alerts/resend-relay.rules.yaml
#   scripts/promtool.sh test rules docs/alerts/resend-relay.rules.test.yaml
#   scripts/promtool.sh --resolve      only fetch it (into the cache, once); prints the binary's path
#
# Settings (environment): PROMTOOL_DIR (the cache: $XDG_CACHE_HOME or ~/.cache, resend-relay/promtool).
# Needs apt (a Debian or Ubuntu machine) and a reachable mirror the first time. When the machine's
# package lists do not know `prometheus` (a fresh container has none), the lists are fetched into
# the cache, not into /var/lib/apt: nothing is installed and no root is needed.
set -euo pipefail

cache_dir=${PROMTOOL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/resend-relay/promtool}
binary="$cache_dir/root/usr/bin/promtool"

log() { echo "[promtool.sh] $*" >&2; }

# apt options that keep the lists and the download lock inside the cache.
private_lists() {
  local lists="$cache_dir/apt-lists"
  mkdir -p "$lists/partial"
  echo "-o Dir::State::Lists=$lists"
}

# The machine's package lists first; when they do not know the package, or name a version the
# mirror no longer has (lists older than a security update), fresh lists in the cache.
download_deb() {
  local into=$1 options
  if apt-cache show prometheus >/dev/null 2>&1 && apt_download "$into" ""; then return 0; fi
  options=$(private_lists)
  log "fetching the package lists into $cache_dir/apt-lists (the machine's do not serve prometheus)"
  # shellcheck disable=SC2086 # options are words on purpose
  apt-get update -qq $options >&2
  apt_download "$into" "$options"
}

apt_download() {
  # shellcheck disable=SC2086
  # apt's note that root downloads outside its sandbox is left out; its status is the pipeline's (pipefail).
  (cd "$1" && apt-get download -qq $2 prometheus) 2>&1 >&2 | { grep -v 'Download is performed unsandboxed' >&2 || true; }
}

# Unpacked beside the cache and renamed into place, so that a run never sees half a binary; a lock
# keeps two first runs (the test script's and a spec's) from fetching it twice.
resolve() {
  [[ -x "$binary" ]] && return 0
  command -v apt-get >/dev/null || { log "apt-get is required to fetch Debian's prometheus package"; exit 1; }
  mkdir -p "$cache_dir"
  exec 9>"$cache_dir/.lock"
  flock 9
  [[ -x "$binary" ]] && return 0
  local staging="$cache_dir/staging.$$" started=$SECONDS
  rm -rf "$staging"
  mkdir -p "$staging/deb"
  log "fetching Debian's prometheus package for promtool into $cache_dir"
  download_deb "$staging/deb"
  dpkg-deb -x "$staging"/deb/prometheus_*.deb "$staging/root"
  # Only promtool is kept (the server binary and the web assets are not needed).
  find "$staging/root" -mindepth 1 -maxdepth 1 ! -name usr -exec rm -rf {} +
  find "$staging/root/usr/bin" -mindepth 1 ! -name promtool -delete
  rm -rf "$staging/root/usr/share" "$staging/deb"
  rm -rf "$cache_dir/root"
  mv "$staging/root" "$cache_dir/root"
  rmdir "$staging"
  rm -rf "$cache_dir/apt-lists"
  log "$("$binary" --version 2>&1 | head -n1) in $((SECONDS - started)) s"
}

resolve
if [[ "${1:-}" == "--resolve" ]]; then
  echo "$binary"
  exit 0
fi
exec "$binary" "$@"
