#!/usr/bin/env bash
# Measures streams-relay against the plain Node relay of issue 10 (tests/bench/nodepeer) on this machine, back
# to back with the same relay-bench options: machines differ from day to day, the ratio between the two does
# not as much. Prints both of relay-bench's outputs, then the key figures side by side with the ratios.
#   scripts/bench-node-peer.sh [--rebuild] [relay-bench options]     e.g. scripts/bench-node-peer.sh --runs 3
# --rebuild brings relay-bench, streams-relay and twitch-sim in BUILD_DIR up to date first (otherwise they are
# built only when missing). Environment: BUILD_DIR (default build-release: a Release build, -DSTREAMS_BUILD_APP=
# OFF if it has to configure one), BENCH_LOCK (default /tmp/bench.lock: every build and benchmark holds it, so
# benchmarks sharing the machine do not overlap).
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${BUILD_DIR:-build-release}
lock=${BENCH_LOCK:-/tmp/bench.lock}
peer_dir=tests/bench/nodepeer
rebuild=0
if [ "${1:-}" = "--rebuild" ]; then
  rebuild=1
  shift
fi
for arg in "$@"; do
  case $arg in
  --relay | --relay=*)
    echo "bench-node-peer: --relay is chosen by this script (the peer, then $build_dir's streams-relay)" >&2
    exit 2
    ;;
  esac
done

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "bench-node-peer: needs Node 20 or later (apt-get install nodejs npm)" >&2
  exit 1
fi

# The peer's dependencies, as the lock file pins them. better-sqlite3 is compiled from source (no prebuilt
# binary is fetched): about 2 minutes on 2 cores.
if ! (cd "$peer_dir" && node -e 'require("ws"); new (require("better-sqlite3"))(":memory:")' 2>/dev/null); then
  echo "bench-node-peer: installing the Node peer's dependencies (npm ci, better-sqlite3 from source)"
  nodedir=()
  [ -f /usr/include/node/node.h ] && nodedir=(npm_config_nodedir=/usr)
  (cd "$peer_dir" && flock "$lock" env "${nodedir[@]}" npm_config_build_from_source=true \
    npm ci --no-audit --no-fund)
fi

bench=$build_dir/tests/bench/relay-bench
relay=$build_dir/relay/streams-relay
if [ "$rebuild" = 1 ] || [ ! -x "$bench" ] || [ ! -x "$relay" ]; then
  if [ ! -f "$build_dir/CMakeCache.txt" ]; then
    cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTREAMS_BUILD_APP=OFF
  fi
  flock "$lock" ninja -C "$build_dir" -j2 relay-bench streams-relay twitch-sim
fi
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build_dir/CMakeCache.txt")
if [ "$build_type" != "Release" ]; then
  echo "bench-node-peer: WARNING: $build_dir is a ${build_type:-default} build, not Release" >&2
fi

logs=$(mktemp -d "${TMPDIR:-/tmp}/bench-node-peer.XXXXXX")
status=0
# Both under one hold of the lock: nobody else's benchmark runs between the two.
flock "$lock" bash -c '
  status=0
  echo "=== the Node peer ($2/streams-relay-node) ==="
  "$1" --relay "$2/streams-relay-node" "${@:5}" | tee "$4/peer.log" || status=1
  echo
  echo "=== streams-relay ($3) ==="
  "$1" --relay "$3" "${@:5}" | tee "$4/relay.log" || status=1
  exit $status
' bench "$bench" "$PWD/$peer_dir" "$relay" "$logs" "$@" || status=$?

echo
echo "=== side by side (logs in $logs) ==="
node "$peer_dir/compare.js" "$logs/peer.log" "$logs/relay.log"
exit "$status"
