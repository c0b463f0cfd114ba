#!/usr/bin/env bash
# Runs a command the way the tests need the desktop to look: a private D-Bus session with an
# unlocked Secret Service (gnome-keyring), offscreen Qt, WebEngine allowed to run as root.
# Without dbus-run-session (a relay-only machine) it runs the command as it is.
set -euo pipefail
export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}
export QTWEBENGINE_DISABLE_SANDBOX=1
if [ -z "${STREAMS_TEST_SESSION:-}" ] && command -v dbus-run-session >/dev/null 2>&1 \
   && command -v gnome-keyring-daemon >/dev/null 2>&1; then
  export STREAMS_TEST_SESSION=1
  exec dbus-run-session -- "$0" "$@"
fi
if [ -n "${STREAMS_TEST_SESSION:-}" ] && [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
  # An empty password unlocks a fresh login keyring; the daemon lives as long as the bus.
  keyring_dir=$(mktemp -d)
  export XDG_DATA_HOME="$keyring_dir"
  eval "$(printf '' | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
  export GNOME_KEYRING_CONTROL
fi
exec "$@"
