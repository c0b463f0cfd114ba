#!/bin/bash
# Checks haproxy.cfg without Docker: Debian's haproxy runs this folder's configuration in front of three
# streams-relay processes from a build folder, on one PostgreSQL and one Redis started here (Debian's
# postgresql and redis-server packages), with twitch-sim as Twitch; check_haproxy.py then talks to the
# balancer only (TLS with a throwaway certificate) and checks the routes, the WebSocket spread, that every
# client gets every webhook once and in order whichever relay stored it, and that a relay killed with
# SIGKILL is taken out while webhooks keep being acknowledged.
#
#   packaging/container/check-haproxy.sh [BUILD_DIR]      (default: build; needs streams-relay and twitch-sim)
#
# Everything runs on free local ports in a temporary folder and is stopped at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../build}" && pwd)
relay=$build/relay/streams-relay
sim=$build/tests/twitch-sim/twitch-sim
for tool in haproxy redis-server openssl python3 "$relay" "$sim"; do
  command -v "$tool" >/dev/null || { echo "check-haproxy: $tool is missing" >&2; exit 2; }
done
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || { echo "check-haproxy: PostgreSQL is not installed" >&2; exit 2; }

work=$(mktemp -d)
chmod 755 "$work"
pids=()
asPg=()
if [ "$(id -u)" = 0 ]; then # PostgreSQL refuses to run as root
  asPg=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  (cd "$work" && "${asPg[@]}" "$pgbin/pg_ctl" -D "$work/pg/data" -m immediate -w stop >/dev/null 2>&1) || true
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  rm -rf "$work"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

mkdir "$work/pg"
[ "$(id -u)" = 0 ] && chown 65534:65534 "$work/pg"
pgPort=$(port)
(cd "$work/pg" && "${asPg[@]}" "$pgbin/initdb" -D "$work/pg/data" -U streams --auth=trust --no-sync >/dev/null)
(cd "$work/pg" && "${asPg[@]}" "$pgbin/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w \
  -o "-p $pgPort -k $work/pg -c listen_addresses=127.0.0.1" start >/dev/null)
"$pgbin/psql" -h 127.0.0.1 -p "$pgPort" -U streams -d postgres -qc 'CREATE DATABASE streams'
redisPort=$(port)
redis-server --port "$redisPort" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
pids+=($!) && disown
simPort=$(port)
"$sim" --listen "127.0.0.1:$simPort" >"$work/sim.log" 2>&1 &
pids+=($!) && disown

httpPort=$(port)
httpsPort=$(port)
relayPorts=()
relayPids=()
for k in 1 2 3; do
  relayPorts+=("$(port)")
  mkdir "$work/relay$k"
  env TWITCH_AUTH_URL="http://127.0.0.1:$simPort/oauth2" TWITCH_HELIX_URL="http://127.0.0.1:$simPort/helix" \
    TWITCH_CLIENT_ID=simclient0000000000000000000001 TWITCH_CLIENT_SECRET=simsecret0000000000000000000001 \
    STREAMS_RELAY_WEBHOOK_SECRET=check-haproxy-secret-0123456789 STREAMS_RELAY_DATA_DIR="$work/relay$k" \
    STREAMS_RELAY_DATABASE_URL="postgresql://streams@127.0.0.1:$pgPort/streams" \
    STREAMS_RELAY_REDIS_URL="redis://127.0.0.1:$redisPort" STREAMS_RELAY_TRUSTED_PROXIES=127.0.0.1 \
    STREAMS_RELAY_PUBLIC_URL="https://127.0.0.1:$httpsPort" \
    "$relay" --listen "127.0.0.1:${relayPorts[$((k - 1))]}" >"$work/relay$k/out.log" 2>"$work/relay$k/err.log" &
  pids+=($!) && relayPids+=($!) && disown
  sleep 0.5 # the first one runs the migrations
done

# This folder's haproxy.cfg with local ports, a throwaway certificate and no chroot or user switch.
mkdir "$work/certs"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=relay.example.org -keyout "$work/key.pem" \
  -out "$work/cert.pem" 2>/dev/null
cat "$work/cert.pem" "$work/key.pem" >"$work/certs/relay.pem"
sed -e "s#relay1:8080#127.0.0.1:${relayPorts[0]}#; s#relay2:8080#127.0.0.1:${relayPorts[1]}#" \
  -e "s#relay3:8080#127.0.0.1:${relayPorts[2]}#; s#bind :80\$#bind 127.0.0.1:$httpPort#" \
  -e "s#bind :443 ssl crt /etc/haproxy/certs/#bind 127.0.0.1:$httpsPort ssl crt $work/certs/#" \
  -e "s#stats socket /run/haproxy/admin.sock#stats socket $work/admin.sock#" \
  -e '/^\s*chroot /d; /^\s*user haproxy/d; /^\s*group haproxy/d' \
  -e 's/maxconn 60000/maxconn 2000/' "$here/haproxy.cfg" >"$work/haproxy.cfg"
haproxy -c -q -f "$work/haproxy.cfg"
haproxy -W -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
pids+=($!) && disown

status=0
python3 "$here/check_haproxy.py" --https "$httpsPort" --http "$httpPort" --sim "$simPort" \
  --relays "$(IFS=,; echo "${relayPorts[*]}")" --kill-pid "${relayPids[1]}" \
  --secret check-haproxy-secret-0123456789 || status=$?
if [ "$status" != 0 ]; then
  echo "--- haproxy log" && tail -40 "$work/haproxy.log"
  for k in 1 2 3; do echo "--- relay$k stderr" && tail -20 "$work/relay$k/err.log"; done
fi
exit "$status"
