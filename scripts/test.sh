#!/usr/bin/env bash
# The whole test suite. Works on a fresh Debian machine: installs the packages it needs
# (as root, or through sudo), then runs `cargo test` inside a private D-Bus session bus
# with an unlocked gnome-keyring, so the keyring tests talk to a real Secret Service and
# never to the developer's own keyring. Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pair in gnome-keyring-daemon:gnome-keyring dbus-run-session:dbus dbus-daemon:dbus-daemon \
            dbus-send:dbus-bin secret-tool:libsecret-tools git:git python3:python3; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "test.sh: installing ${need[*]}" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Build first, so compile time never counts against the keyring's lifetime or test timeouts.
cargo build --all-targets --quiet
# dbus-daemon's "Failed to set fd limit" notice is harmless noise in containers.
dbus-run-session -- scripts/with-keyring.sh cargo test --all-targets "$@" 2> >(grep -v 'Failed to set fd limit' >&2)
cargo test --doc --quiet
# The Debian package: build it with cargo-deb, install into a temp root, run what it installed.
tests/package.sh
