#!/usr/bin/env bash
# Installs what is missing, builds, and starts the demo: twitch-sim, the relay and the desktop app,
# wired together on 127.0.0.1. Closing the app (or Ctrl-C) stops everything.
# --no-relay: no relay; a broadcaster or moderator gets the channel's events over EventSub WebSocket.
set -euo pipefail
cd "$(dirname "$0")/.."

with_relay=1
for arg in "$@"; do
  case $arg in
    --no-relay) with_relay=0 ;;
    *) echo "usage: $0 [--no-relay]" >&2; exit 2 ;;
  esac
done

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

# --demo: every few seconds, a follow, cheer, sub, gift bomb or raid for whichever streamer is watched.
start_server twitch-sim "$build_dir/tests/twitch-sim/twitch-sim" --listen 127.0.0.1:0 --demo
sim_url=$server_url
echo "twitch-sim: $sim_url (world: $sim_url/sim/world)"

# The relay and the app talk to twitch-sim instead of Twitch through these variables.
export TWITCH_AUTH_URL="$sim_url/oauth2" TWITCH_HELIX_URL="$sim_url/helix"
export TWITCH_IRC_URL="${sim_url/http/ws}/irc" TWITCH_PLAYER_URL="$sim_url/player"
export TWITCH_EVENTSUB_WS_URL="${sim_url/http/ws}/eventsub/ws"
export TWITCH_CLIENT_ID=simclient0000000000000000000001
# twitch-sim's application secret is public; a real one goes in a file (TWITCH_CLIENT_SECRET_FILE).
export TWITCH_CLIENT_SECRET=simsecret0000000000000000000001
relay_args=()
if [ "$with_relay" = 1 ]; then
  STREAMS_RELAY_DATA_DIR="$run_dir/relay" start_server relay "$build_dir/relay/streams-relay" --listen 127.0.0.1:0
  relay_args=(--relay "$server_url")
  echo "relay: $server_url"
fi
unset TWITCH_CLIENT_SECRET # the app never needs it

launcher=()
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ "$(uname)" = Linux ]; then
  echo "demo: no display found; the app runs on a virtual one (xvfb-run). Set DISPLAY to see it." >&2
  launcher=(xvfb-run -a)
fi
if [ "$(id -u)" -eq 0 ]; then export QTWEBENGINE_DISABLE_SANDBOX=1; fi # Chromium refuses its sandbox as root

echo "demo: the app opens now. Click \"Log in with Twitch\", choose an account on twitch-sim's consent page"
echo "      (lumenwave is a broadcaster: its follows are visible), pick a streamer, and watch events arrive."
echo "      Closing the app stops twitch-sim and the relay."
"${launcher[@]}" "$build_dir/ui/streams-viewer" "${relay_args[@]}" --profile "$run_dir/profile"
