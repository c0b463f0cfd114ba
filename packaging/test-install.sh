#!/usr/bin/env bash
# Builds the two .deb packages and installs them into a fresh Debian 12 root made with debootstrap, letting
# apt resolve their dependencies from Debian; then, inside that root: streams-relay --version, a relay that
# answers 200 on /healthz, streams-viewer --version offscreen, and the desktop entry and metainfo validated.
# Needs root (debootstrap, chroot) and Debian's mirror. Takes a few minutes; not part of ./scripts/test.sh.
#   packaging/test-install.sh [--keep]     --keep leaves the root in place for a look around
set -euo pipefail
cd "$(dirname "$0")/.."

keep=0
[ "${1:-}" = "--keep" ] && keep=1
if [ "$(id -u)" -ne 0 ]; then echo "test-install: run as root (debootstrap and chroot need it)" >&2; exit 2; fi

scripts/install-deps.sh --packaging
build_dir=${BUILD_DIR:-build-packages}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTREAMS_BUILD_TESTS=OFF >/dev/null
cmake --build "$build_dir" -j"${JOBS:-2}"
(cd "$build_dir" && rm -f ./*.deb && cpack -G DEB)
relay_deb=$(ls "$build_dir"/streams-relay_*.deb)
viewer_deb=$(ls "$build_dir"/streams-viewer_*.deb)
echo "test-install: built $(basename "$relay_deb") and $(basename "$viewer_deb")"

echo "test-install: checking the desktop entry and the AppStream metainfo"
desktop-file-validate packaging/linux/*.desktop
appstreamcli validate --no-net "$build_dir"/packaging/*.metainfo.xml

root=$(mktemp -d -t streams-install-root.XXXXXX)
cleanup() {
  umount "$root/proc" 2>/dev/null || true
  if [ "$keep" -eq 1 ]; then echo "test-install: the root stays at $root"; else rm -rf "$root"; fi
}
trap cleanup EXIT

mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
echo "test-install: debootstrap bookworm into $root from $mirror"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 ||
  { tail -20 "$root.debootstrap.log" >&2; exit 1; }
rm -f "$root.debootstrap.log"
cat >"$root/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security} bookworm-security main
SOURCES
mount -t proc proc "$root/proc"
cp "$relay_deb" "$viewer_deb" "$root/tmp/"

echo "test-install: apt installs both packages and resolves their dependencies from Debian"
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive bash -c "
  set -e
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends /tmp/$(basename "$relay_deb") /tmp/$(basename "$viewer_deb") curl >/dev/null
  dpkg -s streams-relay streams-viewer | grep -E '^(Package|Status|Version):'
"

echo "test-install: inside the fresh root"
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root bash -c '
  set -e
  echo "\$ streams-relay --version"; streams-relay --version
  echo "the unit, the env file (a conffile) and the man page are installed"
  test -f /usr/lib/systemd/system/streams-relay.service && test -f /etc/streams-relay/streams-relay.env
  grep -q "^/etc/streams-relay/streams-relay.env$" /var/lib/dpkg/info/streams-relay.conffiles
  echo "\$ ls /usr/share/man/man1/streams-relay.1.gz"; ls /usr/share/man/man1/streams-relay.1.gz
  mkdir -p /tmp/relay-data
  TWITCH_CLIENT_ID=installtest TWITCH_CLIENT_SECRET=installtest-secret \
    TWITCH_AUTH_URL=http://127.0.0.1:9/oauth2 TWITCH_HELIX_URL=http://127.0.0.1:9/helix \
    STREAMS_RELAY_DATA_DIR=/tmp/relay-data streams-relay --listen 127.0.0.1:18080 >/tmp/relay.log 2>&1 &
  pid=$!
  for _ in $(seq 1 50); do curl -fsS http://127.0.0.1:18080/healthz >/dev/null 2>&1 && break; sleep 0.2; done
  echo "\$ curl -i http://127.0.0.1:18080/healthz"; curl -sS -i http://127.0.0.1:18080/healthz | head -1
  test "$(curl -s -o /dev/null -w "%{http_code}" http://127.0.0.1:18080/healthz)" = 200
  kill -TERM $pid; wait $pid || true
  echo "\$ QT_QPA_PLATFORM=offscreen streams-viewer --version"
  QT_QPA_PLATFORM=offscreen streams-viewer --version
  echo "\$ streams-events --version"; streams-events --version
  echo "\$ ls /usr/share/man/man1/streams-events.1.gz"; ls /usr/share/man/man1/streams-events.1.gz
  echo "\$ ls /usr/share/applications /usr/share/metainfo"
  ls /usr/share/applications/io.github.streams_events_viewer.StreamsViewer.desktop \
     /usr/share/metainfo/io.github.streams_events_viewer.StreamsViewer.metainfo.xml
'
echo "test-install: PASS"
