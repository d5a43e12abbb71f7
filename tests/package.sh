#!/usr/bin/env bash
# Package test: builds the .deb (under target/package-test, never where README's install
# command looks), runs lintian on it, unpacks it into a temporary root, and runs what it
# installed: both binaries, the man pages, and bash completion in a real bash. Then makes a
# release archive with packaging/release.sh, serves it on 127.0.0.1 and checks that every
# recipe's URL and checksum match what is served.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
pass=0 fail=0
check() { # check NAME CMD...: runs CMD, counts the result
  local name=$1; shift
  if out=$("$@" 2>&1); then pass=$((pass+1)); echo "ok   $name"
  else fail=$((fail+1)); echo "FAIL $name"; echo "$out" | sed 's/^/     /' | tail -20; fi
}

deb=$(packaging/build-deb.sh "${PROFILE:-dev}" target/package-test/debian | tail -1)
echo "package: $deb"
root=$(mktemp -d); home=$(mktemp -d); rel=$(mktemp -d)
server=""
trap 'rm -rf "$root" "$home" "$rel"; [ -n "$server" ] && kill "$server" 2>/dev/null' EXIT
check "the test .deb is not where README tells users to install from" bash -c "
  case '$deb' in target/package-test/debian/*.deb) ;; *) echo '$deb'; exit 1 ;; esac"
check "lintian: no errors, no warnings" bash -c "
  out=\$(lintian --fail-on error,warning '$deb' 2>&1) || { echo \"\$out\"; exit 1; }
  echo \"\$out\" | grep -v '^running with root privileges' | grep . && exit 1; true"
dpkg-deb -c "$deb" | awk '{print $6}' | sort > "$root.list"
check "deb lists both binaries, man pages, completions, docs" bash -c "
  for p in ./usr/bin/keyward ./usr/bin/git-credential-keyward ./usr/bin/docker-credential-keyward \
    ./usr/bin/cargo-credential-keyward ./usr/bin/terraform-credentials-keyward \
    ./usr/bin/vault-token-helper-keyward ./usr/share/man/man1/keyward.1.gz \
    ./usr/share/man/man1/keyward-login.1.gz ./usr/share/man/man1/git-credential-keyward.1.gz \
    ./usr/share/man/man1/docker-credential-keyward.1.gz ./usr/share/man/man1/cargo-credential-keyward.1.gz \
    ./usr/share/man/man1/terraform-credentials-keyward.1.gz ./usr/share/man/man1/vault-token-helper-keyward.1.gz \
    ./usr/share/bash-completion/completions/keyward \
    ./usr/share/zsh/vendor-completions/_keyward ./usr/share/fish/vendor_completions.d/keyward.fish \
    ./usr/share/doc/keyward/README.md ./usr/share/doc/keyward/changelog.gz \
    ./usr/share/doc/keyward/changelog.Debian.gz ./usr/share/doc/keyward/copyright; do
    grep -qx \"\$p\" '$root.list' || { echo \"missing \$p\"; exit 1; }
  done"
rm -f "$root.list"
dpkg -x "$deb" "$root"
check "each helper name is a link to the one keyward binary" bash -c "
  for h in git-credential docker-credential cargo-credential terraform-credentials vault-token-helper; do
    [ \"\$(readlink '$root/usr/bin/'\$h-keyward)\" = keyward ] || { echo \"\$h-keyward is not a link to keyward\"; exit 1; }
  done
  [ -f '$root/usr/bin/keyward' ] && [ \"\$(find '$root/usr/bin' -type f | wc -l)\" = 1 ]"
check "installed git-credential-keyward --help and --version answer as that program" bash -c "
  '$root/usr/bin/git-credential-keyward' --help | grep -q 'Usage: git-credential-keyward' &&
  '$root/usr/bin/git-credential-keyward' --version | grep -qx 'git-credential-keyward [0-9.]*'"
check "installed keyward --version" bash -c "'$root/usr/bin/keyward' --version | grep -qx 'keyward [0-9.]*'"
check "installed keyward stores and reads a token" bash -c "
  export KEYWARD_HOME='$home/kw' KEYWARD_BACKEND=file
  echo sk_pkg_0123456789abcdef | '$root/usr/bin/keyward' -q -s pkg login --with-token &&
  [ \"\$('$root/usr/bin/keyward' -s pkg token)\" = sk_pkg_0123456789abcdef ]"
check "installed git-credential-keyward answers get (nothing stored: empty, exit 0)" bash -c "
  export KEYWARD_HOME='$home/kw2' KEYWARD_BACKEND=file
  out=\$(printf 'protocol=https\nhost=example.com\n' | '$root/usr/bin/git-credential-keyward' get) && [ -z \"\$out\" ]"
check "installed docker-credential-keyward answers get (nothing stored: docker's not-found, exit 1)" bash -c "
  export KEYWARD_HOME='$home/kw3' KEYWARD_BACKEND=file
  out=\$(printf 127.0.0.1:5000 | '$root/usr/bin/docker-credential-keyward' get); rc=\$?
  [ \$rc = 1 ] && [ \"\$out\" = 'credentials not found in native keychain' ]"
check "installed cargo-credential-keyward says hello and answers not-found" bash -c "
  export KEYWARD_HOME='$home/kw4' KEYWARD_BACKEND=file
  out=\$(printf '{\"v\":1,\"registry\":{\"index-url\":\"sparse+http://127.0.0.1:1/i/\"},\"kind\":\"get\",\"operation\":\"read\"}\n' |
    '$root/usr/bin/cargo-credential-keyward' --cargo-plugin)
  [ \"\$out\" = \"\$(printf '{\"v\":[1]}\n{\"Err\":{\"kind\":\"not-found\"}}')\" ]"
check "installed terraform-credentials-keyward answers get (nothing stored: {}, exit 0)" bash -c "
  export KEYWARD_HOME='$home/kw5' KEYWARD_BACKEND=file
  [ \"\$('$root/usr/bin/terraform-credentials-keyward' get app.terraform.io)\" = '{}' ]"
check "installed vault-token-helper-keyward answers get (nothing stored: empty, exit 0)" bash -c "
  export KEYWARD_HOME='$home/kw6' KEYWARD_BACKEND=file VAULT_ADDR=http://127.0.0.1:8200
  out=\$('$root/usr/bin/vault-token-helper-keyward' get) && [ -z \"\$out\" ]"
check "man page is a real roff page" bash -c "zcat '$root/usr/share/man/man1/keyward.1.gz' | grep -q '^.TH KEYWARD 1'"
check "installed helper man pages render with every section" bash -c "
  for h in git-credential docker-credential cargo-credential terraform-credentials vault-token-helper; do
    out=\$(MANWIDTH=80 man --warnings -l '$root/usr/share/man/man1/'\$h-keyward.1.gz 2>&1 | sed 's/.\x08//g')
    for s in NAME SYNOPSIS DESCRIPTION OPTIONS EXAMPLES 'EXIT STATUS' ENVIRONMENT FILES 'SEE ALSO'; do
      echo \"\$out\" | grep -qx \"\$s\" || { echo \"\$h-keyward.1: no \$s\"; exit 1; }
    done
  done"
check "bash completion loads and completes a subcommand (calling the installed keyward)" bash -c "
  export PATH='$root/usr/bin':\$PATH KEYWARD_HOME='$home/kw7'
  source '$root/usr/share/bash-completion/completions/keyward'
  COMP_WORDS=(keyward lo); COMP_CWORD=1; COMP_LINE='keyward lo'; COMP_POINT=\${#COMP_LINE}
  _clap_complete_keyward keyward lo keyward
  printf '%s\n' \"\${COMPREPLY[@]}\" | grep -qx login && printf '%s\n' \"\${COMPREPLY[@]}\" | grep -qx logout"
check "PKGBUILD passes shellcheck" shellcheck packaging/aur/PKGBUILD packaging/*.sh
check "Scoop manifest is valid JSON" python3 -m json.tool packaging/scoop/keyward.json
check "Homebrew formula parses" ruby -c packaging/homebrew/keyward.rb

# The release archive, served on 127.0.0.1 from the directory release.sh writes into.
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$rel" > "$rel.log" 2>&1 &
server=$!
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/.* port \([0-9]*\).*/\1/p' "$rel.log" | head -1)
  [ -n "$port" ] && break
  kill -0 "$server" 2>/dev/null || break
  sleep 0.1  # polling the log for the port, at most 10 s
done
rm -f "$rel.log"
base=http://127.0.0.1:$port
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
check "release.sh makes the archive and the filled recipes" packaging/release.sh --ref HEAD --base-url "$base" --out "$rel"
served_sha() { curl -fsS --max-time 10 "$1" | sha256sum | cut -d' ' -f1; }
want=$(git archive --format=tar --prefix="keyward-$version/" HEAD | gzip -9n | sha256sum | cut -d' ' -f1)
check "the archive is git archive of the tree, under keyward-VERSION/ with Cargo.lock" bash -c "
  [ \"\$(sha256sum '$rel/keyward-$version.tar.gz' | cut -d' ' -f1)\" = $want ] &&
  tar tzf '$rel/keyward-$version.tar.gz' | grep -qx 'keyward-$version/Cargo.lock' &&
  [ \"\$(tar tzf '$rel/keyward-$version.tar.gz' | cut -d/ -f1 | sort -u)\" = keyward-$version ]"
check "no placeholder is left in the filled recipes" bash -c "! grep -n '@[A-Z0-9]*@' '$rel/keyward.rb' '$rel/keyward.json' '$rel/aur/PKGBUILD' '$rel/aur/.SRCINFO'"
check "Homebrew: url serves the archive, sha256 is its checksum" bash -c "
  url=\$(sed -n 's/^  url \"\(.*\)\"$/\\1/p' '$rel/keyward.rb'); sha=\$(sed -n 's/^  sha256 \"\(.*\)\"$/\\1/p' '$rel/keyward.rb')
  [ \"\$url\" = '$base/keyward-$version.tar.gz' ] && [ \"\$sha\" = $want ] &&
  [ \"\$($(declare -f served_sha); served_sha \"\$url\")\" = \"\$sha\" ] && ruby -c '$rel/keyward.rb'"
check "Scoop: url serves the archive, hash is its checksum, extract_dir its top directory" bash -c "
  read -r url sha dir < <(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); a=m[\"architecture\"][\"64bit\"]; print(a[\"url\"], a[\"hash\"], m[\"extract_dir\"])' '$rel/keyward.json')
  [ \"\$url\" = '$base/keyward-$version.tar.gz' ] && [ \"\$sha\" = $want ] && [ \"\$dir\" = keyward-$version ] &&
  [ \"\$($(declare -f served_sha); served_sha \"\$url\")\" = \"\$sha\" ]"
check "AUR: source serves the archive, sha256sums is its checksum, .SRCINFO agrees" bash -c "
  source '$rel/aur/PKGBUILD'
  [ \"\$pkgver\" = '$version' ] && [ \${#source[@]} = \${#sha256sums[@]} ] &&
  [ \"\${source[0]%%::*}\" = \"\$pkgname-\$pkgver.tar.gz\" ] && [ \"\${sha256sums[0]}\" = $want ] &&
  [ \"\$($(declare -f served_sha); served_sha \"\${source[0]#*::}\")\" = $want ] &&
  grep -qx \"\$(printf '\\tpkgver = %s' '$version')\" '$rel/aur/.SRCINFO' &&
  grep -qx \"\$(printf '\\tsource = %s' \"\${source[0]}\")\" '$rel/aur/.SRCINFO' &&
  grep -qx \"\$(printf '\\tsha256sums = %s' $want)\" '$rel/aur/.SRCINFO' &&
  if command -v makepkg >/dev/null; then (cd '$rel/aur' && diff <(makepkg --printsrcinfo) .SRCINFO); fi &&
  shellcheck '$rel/aur/PKGBUILD'"
echo "package: $pass passed, $fail failed"
[ "$fail" = 0 ]
