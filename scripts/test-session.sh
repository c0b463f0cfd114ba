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
if [ -n "${STREAMS_TEST_SESSION:-}" ] && [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] && [ -z "${STREAMS_KEYRING_READY:-}" ]; then
  # A throwaway login keyring, created and unlocked without a prompt (no display here), then the
  # Secret Service on this private bus; both live as long as the bus.
  export XDG_DATA_HOME=$(mktemp -d) XDG_RUNTIME_DIR=$(mktemp -d)
  chmod 700 "$XDG_RUNTIME_DIR"
  printf 'streams-test-keyring' | gnome-keyring-daemon --login >/dev/null 2>&1
  eval "$(gnome-keyring-daemon --start --components=secrets 2>/dev/null)"
  export GNOME_KEYRING_CONTROL STREAMS_KEYRING_READY=1
fi
exec "$@"
