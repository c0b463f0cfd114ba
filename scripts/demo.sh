#!/usr/bin/env bash
# Installs what is missing, builds, and starts the demo: twitch-sim, the relay and the desktop app,
# wired together on 127.0.0.1. Closing the app (or Ctrl-C) stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" -j"${JOBS:-2}"

run_dir=$(mktemp -d -t streams-demo.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$run_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts a server in the background and waits for its "listening on URL" line; sets $server_url.
start_server() {
  local name=$1; shift
  local log="$run_dir/$name.log"
  "$@" >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do
    local url
    url=$(sed -n 's/.* listening on \([^ ]*\).*/\1/p' "$log" | head -n 1)
    if [ -n "$url" ]; then server_url=$url; return 0; fi
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "demo: $name did not start; its log:" >&2
  cat "$log" >&2
  exit 1
}

start_server twitch-sim "$build_dir/tests/twitch-sim/twitch-sim" --listen 127.0.0.1:0
sim_url=$server_url
echo "twitch-sim: $sim_url (world: $sim_url/sim/world)"

if [ -x "$build_dir/relay/streams-relay" ]; then
  export TWITCH_AUTH_URL="$sim_url/oauth2" TWITCH_HELIX_URL="$sim_url/helix"
  export TWITCH_IRC_URL="${sim_url/http/ws}/irc" TWITCH_PLAYER_URL="$sim_url/player"
  export TWITCH_CLIENT_ID=simclient0000000000000000000001 TWITCH_CLIENT_SECRET=simsecret0000000000000000000001
  STREAMS_RELAY_DATA_DIR="$run_dir/relay" start_server relay "$build_dir/relay/streams-relay" --listen 127.0.0.1:0
  relay_url=$server_url
  echo "relay: $relay_url"
else
  echo "demo: the relay is not built yet (issue 3)."
fi

if [ -x "$build_dir/ui/streams-viewer" ]; then
  "$build_dir/ui/streams-viewer" --relay "$relay_url" --profile "$run_dir/profile"
else
  echo "demo: the desktop app is not built yet (issues 4 and 5); twitch-sim and the relay keep running."
  echo "      Try: curl $relay_url/metrics   or   curl -X POST $sim_url/sim/trigger -d '{\"type\":\"stream.online\",\"broadcaster_user_id\":\"1001\"}'"
  echo "      Ctrl-C stops everything."
  wait "${pids[0]}"
fi
