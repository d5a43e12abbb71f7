#!/usr/bin/env bash
# Builds the Debian package: binaries, generated man pages and completions, docs.
# Usage: packaging/build-deb.sh [PROFILE [OUTDIR]]  (default release, $CARGO_TARGET_DIR/debian;
#                                                   the test suite uses dev and its own OUTDIR)
#        packaging/build-deb.sh --tools            (only install the pinned cargo-deb)
# Honours CARGO_TARGET_DIR. Prints the path of the .deb on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
# cargo-deb is pinned so the package's layout does not change under us; it is installed once
# into target/tools. A developer's own `cargo deb` on PATH is used when the pinned one is absent.
cargo_deb_version=3.8.0
tools=$PWD/target/tools
install_cargo_deb() {
  if ! "$tools/bin/cargo-deb" --version 2>/dev/null | grep -qw "$cargo_deb_version"; then
    echo "build-deb.sh: installing cargo-deb $cargo_deb_version into target/tools" >&2
    cargo install --quiet --locked --version "$cargo_deb_version" cargo-deb --root "$tools" >&2
  fi
}
if [ "${1:-}" = --tools ]; then install_cargo_deb; exit 0; fi
if [ -x "$tools/bin/cargo-deb" ] || ! command -v cargo-deb >/dev/null 2>&1; then
  install_cargo_deb
  export PATH="$tools/bin:$PATH"
fi
profile=${1:-release}
target_dir=${CARGO_TARGET_DIR:-target}
out=${2:-$target_dir/debian}
cargo build --profile "$profile" --bins --quiet >&2
dir=$target_dir/$([ "$profile" = dev ] && echo debug || echo "$profile")
# Beside the binary: cargo-deb reads `target/release/…` assets from the profile's directory.
packaging/assets.sh "$dir/keyward" "$dir/assets" >&2
mkdir -p "$out"
cargo deb --no-build --profile "$profile" --fast --output "$out/" 2>&1 | tail -1
