#!/usr/bin/env bash
# Generates the packaged assets (man pages, shell completions, the gzipped changelog, the helper links such as
# git-credential-keyward and docker-credential-keyward) from a built keyward binary, so every package installs files made from the same clap
# definitions.
# Usage: packaging/assets.sh PATH/TO/keyward OUTDIR
set -euo pipefail
bin=$1 out=$2
rm -rf "$out"
"$bin" generate man "$out/man"
"$bin" generate completions "$out/completions"
gzip -9n "$out"/man/*.1
mkdir -p "$out/doc"
gzip -9nc "$(dirname "$0")/../CHANGELOG.md" > "$out/doc/changelog.gz"
# One binary: each client's helper is a relative link to it, as installed in usr/bin; the
# names come from the binary's own table.
"$bin" generate links "$out/bin"

