#!/usr/bin/env bash
# Runs a command with a private, unlocked gnome-keyring Secret Service on the current D-Bus
# session bus. Usage: dbus-run-session -- scripts/with-keyring.sh CMD [ARGS...]
set -euo pipefail
: "${DBUS_SESSION_BUS_ADDRESS:?run me under dbus-run-session}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The daemon keeps its control socket in XDG_RUNTIME_DIR and keyrings in XDG_DATA_HOME;
# HOME stays untouched (rustup needs it).
export XDG_RUNTIME_DIR="$tmp/run" XDG_DATA_HOME="$tmp/data"
mkdir -m 700 "$XDG_RUNTIME_DIR" "$XDG_DATA_HOME"
# In the foreground of a background job rather than --daemonize, so its stderr is kept: if
# the daemon dies during the run (it has, in glib's fatal-log path), its last words are shown.
echo -n "${KEYRING_PASSWORD:-ci-password}" \
  | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>"$tmp/daemon.log" &
daemon=$!
# Its start returns before it owns the bus name; a call made earlier would D-Bus-activate a
# second daemon. Wait for the name (bounded).
for _ in $(seq 1 100); do
  if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null \
      | grep -q 'boolean true'; then
    rc=0
    "$@" || rc=$?
    if ! kill -0 "$daemon" 2>/dev/null; then
      echo "with-keyring: gnome-keyring-daemon died during the run; its stderr:" >&2
      tail -n 20 "$tmp/daemon.log" >&2
    fi
    exit "$rc"
  fi
  sleep 0.05
done
echo "with-keyring: gnome-keyring-daemon did not take org.freedesktop.secrets" >&2
tail -n 20 "$tmp/daemon.log" >&2
exit 1
