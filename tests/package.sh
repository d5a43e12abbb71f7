#!/usr/bin/env bash
# Package test: builds the .deb, unpacks it into a temporary root, and runs what it
# installed: both binaries, the man pages, and bash completion in a real bash.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
pass=0 fail=0
check() { # check NAME CMD...: runs CMD, counts the result
  local name=$1; shift
  if out=$("$@" 2>&1); then pass=$((pass+1)); echo "ok   $name"
  else fail=$((fail+1)); echo "FAIL $name"; echo "$out" | sed 's/^/     /' | tail -20; fi
}

deb=$(packaging/build-deb.sh "${PROFILE:-dev}" | tail -1)
echo "package: $deb"
root=$(mktemp -d); home=$(mktemp -d); trap 'rm -rf "$root" "$home"' EXIT
dpkg-deb -c "$deb" | awk '{print $6}' | sort > "$root.list"
check "deb lists both binaries, man pages, completions, docs" bash -c "
  for p in ./usr/bin/keyward ./usr/bin/git-credential-keyward ./usr/bin/docker-credential-keyward \
    ./usr/bin/cargo-credential-keyward ./usr/bin/terraform-credentials-keyward \
    ./usr/bin/vault-token-helper-keyward ./usr/share/man/man1/keyward.1.gz \
    ./usr/share/man/man1/keyward-login.1.gz ./usr/share/bash-completion/completions/keyward \
    ./usr/share/zsh/vendor-completions/_keyward ./usr/share/fish/vendor_completions.d/keyward.fish \
    ./usr/share/doc/keyward/README.md ./usr/share/doc/keyward/CHANGELOG.md ./usr/share/doc/keyward/copyright; do
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
check "man page is a real roff page" bash -c "zcat '$root/usr/share/man/man1/keyward.1.gz' | grep -q '^.TH keyward 1'"
check "bash completion loads and completes a subcommand" bash -c "
  source '$root/usr/share/bash-completion/completions/keyward'
  COMP_WORDS=(keyward lo); COMP_CWORD=1; COMP_LINE='keyward lo'; COMP_POINT=\${#COMP_LINE}
  _keyward keyward lo keyward
  printf '%s\n' \"\${COMPREPLY[@]}\" | grep -qx login && printf '%s\n' \"\${COMPREPLY[@]}\" | grep -qx logout"
check "PKGBUILD passes shellcheck" shellcheck packaging/aur/PKGBUILD packaging/*.sh
check "Scoop manifest is valid JSON" python3 -m json.tool packaging/scoop/keyward.json
check "Homebrew formula parses" ruby -c packaging/homebrew/keyward.rb
echo "package: $pass passed, $fail failed"
[ "$fail" = 0 ]
