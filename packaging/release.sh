#!/usr/bin/env bash
# Makes the release's source archive with `git archive` and the Homebrew, Scoop and AUR
# recipes filled in for it: the archive's URL and its real sha256 (the committed recipes hold
# @URL@, @SHA256@ and @HOMEPAGE@ where those go, since a checksum of the tagged tree cannot be
# committed inside it).
# Usage: packaging/release.sh --base-url URL [--ref REF] [--out DIR]
#   URL   where keyward-VERSION.tar.gz will be served (the archive is fetched from URL/NAME)
#   REF   what to archive (default: the tag vVERSION)
#   DIR   where the archive and the filled recipes go (default: target/release-packages)
# Prints the archive's path on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
base_url="" ref="" out=target/release-packages
while [ $# -gt 0 ]; do
  case $1 in
    --base-url) base_url=${2%/}; shift 2 ;;
    --ref) ref=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "release.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$base_url" ] || { echo "release.sh: --base-url URL is required (where the archive will be served)" >&2; exit 2; }
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
ref=${ref:-v$version}
git rev-parse --verify --quiet "$ref^{commit}" >/dev/null || { echo "release.sh: no $ref to archive (tag the release first, or pass --ref)" >&2; exit 2; }
name=keyward-$version
mkdir -p "$out"
# The tree as committed at REF, under keyward-VERSION/ (what the recipes cd into); gzip -n so
# the same REF always gives the same bytes, hence the same checksum.
git archive --format=tar --prefix="$name/" "$ref" | gzip -9n > "$out/$name.tar.gz"
sha=$(sha256sum "$out/$name.tar.gz" | cut -d' ' -f1)
url=$base_url/$name.tar.gz
fill() { sed -e "s|@URL@|$url|g" -e "s|@SHA256@|$sha|g" -e "s|@HOMEPAGE@|$base_url|g" -e "s|@VERSION@|$version|g" "$1" > "$2"; }
fill packaging/homebrew/keyward.rb "$out/keyward.rb"
fill packaging/scoop/keyward.json "$out/keyward.json"
mkdir -p "$out/aur"
fill packaging/aur/PKGBUILD "$out/aur/PKGBUILD"
# .SRCINFO, as `makepkg --printsrcinfo` writes it for this PKGBUILD's fields (the AUR needs it).
# shellcheck disable=SC2154  # the PKGBUILD's own variables
(
  # shellcheck disable=SC1091
  source "$out/aur/PKGBUILD"
  printf 'pkgbase = %s\n\tpkgdesc = %s\n\tpkgver = %s\n\tpkgrel = %s\n\turl = %s\n' \
    "$pkgname" "$pkgdesc" "$pkgver" "$pkgrel" "$url"
  for a in "${arch[@]}"; do printf '\tarch = %s\n' "$a"; done
  for l in "${license[@]}"; do printf '\tlicense = %s\n' "$l"; done
  for d in "${makedepends[@]}"; do printf '\tmakedepends = %s\n' "$d"; done
  for d in "${depends[@]}"; do printf '\tdepends = %s\n' "$d"; done
  for d in "${optdepends[@]}"; do printf '\toptdepends = %s\n' "$d"; done
  for s in "${source[@]}"; do printf '\tsource = %s\n' "$s"; done
  for s in "${sha256sums[@]}"; do printf '\tsha256sums = %s\n' "$s"; done
  printf '\npkgname = %s\n' "$pkgname"
) > "$out/aur/.SRCINFO"
echo "$out/$name.tar.gz"
