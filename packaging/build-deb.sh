#!/usr/bin/env bash
# Builds the Debian package: binaries, generated man pages and completions, docs.
# Usage: packaging/build-deb.sh [PROFILE]   (default release; the test suite uses dev)
# Prints the path of the .deb on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-release}
command -v cargo-deb >/dev/null 2>&1 || cargo install --locked cargo-deb >&2
cargo build --profile "$profile" --bins --quiet >&2
dir=target/$([ "$profile" = dev ] && echo debug || echo "$profile")
packaging/assets.sh "$dir/keyward" target/assets >&2
cargo deb --no-build --profile "$profile" --fast --output target/debian/ 2>&1 | tail -1
