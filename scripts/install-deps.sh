#!/usr/bin/env bash
# Installs the Debian 12 packages that building and testing Streams & Events Viewer needs.
# Idempotent: installs only what is missing and prints what it installs. Works as root or via sudo.
#   scripts/install-deps.sh            everything (app, relay, tests)
#   scripts/install-deps.sh --relay    only what the relay and its tests need (no Widgets/WebEngine)
#   scripts/install-deps.sh --packaging  everything, plus what packaging/test-install.sh needs
set -euo pipefail

relay_only=0
packaging=0
for arg in "$@"; do
  case "$arg" in
    --relay) relay_only=1 ;;
    --packaging) packaging=1 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "install-deps: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake ninja-build pkg-config git clang-format clang-tidy clang-tools
  qt6-base-dev qt6-base-dev-tools libqt6sql6-sqlite qt6-websockets-dev qt6-httpserver-dev
  libboost1.81-dev libssl-dev libsqlite3-dev clang libclang-rt-14-dev
  postgresql libpq-dev libqt6sql6-psql redis-server libhiredis-dev
  curl ca-certificates procps
)
if [ "$relay_only" -eq 0 ]; then
  packages+=(
    qt6-webengine-dev qt6-webengine-dev-tools qtkeychain-qt6-dev qt6-tools-dev qt6-tools-dev-tools
    qt6-l10n-tools qt6-svg-dev libqt6svg6
    xvfb xauth dbus-x11 gnome-keyring libsecret-tools
  )
fi

if [ "$packaging" -eq 1 ]; then
  packages+=(debootstrap desktop-file-utils appstream dpkg-dev file)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo_cmd=()
elif command -v sudo >/dev/null 2>&1; then
  sudo_cmd=(sudo)
else
  echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# apt-cache knows nothing until the lists exist; refresh them when they are missing or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages' -mtime -1 2>/dev/null | head -n 1)" ]; then
  "${sudo_cmd[@]}" apt-get update -q
fi
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "install-deps: done"
