#!/usr/bin/env bash
# Builds the project against Qt 6.8 and runs the relay's tests there, on this Debian 12 machine: Debian 13
# (trixie) ships Qt 6.8.2, so a trixie system is bootstrapped into a directory and the source tree is
# bind-mounted into it. Needs root (debootstrap, chroot, mount) and deb.debian.org.
#
#   sudo ./scripts/check-qt68.sh          relay, twitch-sim and the relay tests (ctest) on Qt 6.8
#   sudo ./scripts/check-qt68.sh --app    also the desktop app and every test, the UI ones included (Qt
#                                         WebEngine 6.8, a Secret Service: a larger download)
# Warnings are errors here (Qt 6.8 deprecates calls 6.4 still needs, e.g. Qt::TimeSpec arguments). The
# fuzz tests (label fuzz) are left out: they run scripts/fuzz.sh's clang build, which is not made here.
#
# STREAMS_QT68_ROOT chooses where the trixie system lives (default /srv/streams-trixie); it is kept between
# runs, so the second run only rebuilds.
set -euo pipefail

root=$(realpath -m "${STREAMS_QT68_ROOT:-/srv/streams-trixie}")
src=$(cd "$(dirname "$0")/.." && pwd)
with_app=OFF
[ "${1:-}" = "--app" ] && with_app=ON

if [ "$(id -u)" != 0 ]; then
  echo "check-qt68: needs root (debootstrap, chroot and bind mounts)" >&2
  exit 2
fi
if ! command -v debootstrap >/dev/null; then
  apt-get install -y -q debootstrap
fi

if [ ! -x "$root/usr/bin/apt-get" ]; then
  echo "check-qt68: bootstrapping Debian 13 into $root (a few minutes)"
  mkdir -p "$root"
  debootstrap --variant=minbase --include=ca-certificates trixie "$root" http://deb.debian.org/debian
fi

cleanup() {
  # Whatever still runs inside (servers a crashed test left behind, the test session's keyring) holds the
  # mounts: stop it first.
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && kill "${p#/proc/}" 2>/dev/null || true
  done
  sleep 1
  for m in "$root/src" "$root/sys" "$root/proc"; do
    mountpoint -q "$m" && umount "$m" || true
  done
  mountpoint -q "$root/dev" && umount -R "$root/dev" || true
}
trap cleanup EXIT
mkdir -p "$root/src"
mountpoint -q "$root/proc" || mount --bind /proc "$root/proc"
mountpoint -q "$root/dev" || mount --rbind /dev "$root/dev" # with /dev/shm, for WebEngine
mountpoint -q "$root/sys" || mount -t sysfs sysfs "$root/sys"
mountpoint -q "$root/src" || mount --bind -o ro "$src" "$root/src"
cp /etc/resolv.conf "$root/etc/resolv.conf"

# The relay: Qt Core/Network/SQL, Boost.Asio + Beast (headers; libboost-dev is 1.83 on Debian 13), OpenSSL's
# libcrypto, SQLite, libpq and hiredis (the event log on PostgreSQL, fan-out through Redis); twitch-sim and the
# tests: Qt HTTP Server and WebSockets, and the PostgreSQL and Redis servers the relay suites start.
packages="cmake ninja-build g++ pkg-config qt6-base-dev libqt6sql6-sqlite libqt6sql6-psql libboost1.83-dev \
libssl-dev libsqlite3-dev libpq-dev libhiredis-dev qt6-httpserver-dev qt6-websockets-dev postgresql redis-server"
if [ "$with_app" = ON ]; then
  packages="$packages qt6-webengine-dev qt6-svg-dev qtkeychain-qt6-dev qt6-tools-dev qt6-tools-dev-tools \
qt6-l10n-tools libgl-dev dbus dbus-x11 gnome-keyring xauth libsecret-1-0 fonts-dejavu-core"
fi
echo "check-qt68: installing $packages"
# Packages install, services do not start: the tests start their own servers.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
chroot "$root" bash -c "apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends $packages >/dev/null"

chroot "$root" bash -euo pipefail -c "
  qmake6 -query QT_VERSION 2>/dev/null || true
  cmake -S /src -B /build-qt68 -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTREAMS_BUILD_APP=$with_app \
    -DCMAKE_COMPILE_WARNING_AS_ERROR=ON >/dev/null
  cmake --build /build-qt68 -j2
  cd /build-qt68
  if [ $with_app = ON ]; then
    # Everything, in a private D-Bus session with an unlocked Secret Service, as on Debian 12.
    /src/scripts/test-session.sh ctest -j2 --output-on-failure -LE fuzz
  else
    QT_QPA_PLATFORM=offscreen ctest -j2 --output-on-failure -LE fuzz
  fi
"
version() { chroot "$root" dpkg-query -W -f='${Version}' "$1"; }
echo "check-qt68: built with Qt $(version qt6-base-dev), Boost $(version libboost1.83-dev)," \
  "OpenSSL $(version libssl-dev) and passed"
