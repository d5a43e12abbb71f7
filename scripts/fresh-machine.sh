#!/usr/bin/env bash
# Proves README's two commands work on a fresh machine: a minimal Debian 12 root
# (debootstrap --variant=minbase bookworm), a clean clone of the committed HEAD, the host's
# Rust toolchain mounted read-only, then README's commands exactly as its first ```sh block
# shows them, as root, with CI=true and no stdin. Prints each command's exit code and wall
# time; exits non-zero if either fails. Takes minutes (everything compiles from scratch),
# so it is not part of .ci/run. Needs root (mount, chroot).
# Usage: scripts/fresh-machine.sh [--cache-only]   (--cache-only: build the cached root, stop)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
[ "$(id -u)" = 0 ] || { echo "fresh-machine: run as root (it mounts and chroots)" >&2; exit 1; }

# Mounts made here live in a private mount namespace, so none can leak onto the host even
# if this script is killed with SIGKILL; the trap below still unmounts them in order.
if [ -z "${FRESH_MACHINE_NS:-}" ]; then
  FRESH_MACHINE_NS=1 exec unshare --mount --propagation private -- "$0" "$@"
fi

work=$repo/target/fresh-machine
tarball=$work/bookworm-minbase.tar
mkdir -p "$work"

# The Debian mirror this machine's apt already uses (deb822 `URIs:` or one-line `deb`).
mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
  awk '/^URIs:/ {print $2} /^deb / {for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; break}}' |
  grep -E '/debian/?$' | head -1) || true
[ -n "$mirror" ] || { echo "fresh-machine: no Debian mirror in /etc/apt/sources.list*; add one" >&2; exit 1; }

root=""
mounts=()
# shellcheck disable=SC2317  # invoked by the traps
cleanup() {
  local rc=$? i p
  trap - EXIT INT TERM
  # Whatever still runs inside the root (an interrupted build, a daemonized keyring or bus)
  # would keep its mounts busy: end those processes, found by their root directory.
  if [ -n "$root" ]; then
    for p in /proc/[0-9]*; do
      [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && kill -KILL "${p#/proc/}" 2>/dev/null
    done
  fi
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
    umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" 2>/dev/null || true
  done
  # --one-file-system: should a mount survive, never delete through it into the host.
  if [ -n "$root" ] && [ -d "$root" ]; then rm -rf --one-file-system "$root" "$root.rc"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ ! -f "$tarball" ]; then
  command -v debootstrap >/dev/null 2>&1 || {
    echo "fresh-machine: installing debootstrap" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  }
  root=$(mktemp -d "$work/build.XXXXXX")
  echo "fresh-machine: debootstrap --variant=minbase bookworm from $mirror (cached afterwards)" >&2
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  tar --numeric-owner -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  rm -rf --one-file-system "$root"; root=""
fi
[ "${1:-}" = --cache-only ] && { echo "fresh-machine: cached root $tarball"; exit 0; }

root=$(mktemp -d "$work/root.XXXXXX")
tar --numeric-owner -C "$root" -xf "$tarball"
chmod 755 "$root" # it becomes /, which everyone must be able to enter (tests run as nobody)

# A clean clone of the committed HEAD: nothing uncommitted or ignored comes along.
head=$(git rev-parse HEAD)
git clone --quiet --no-hardlinks "$repo" "$root/src/keyward"
git -C "$root/src/keyward" checkout --quiet --detach "$head"

# The host's toolchain, read-only; cargo's registry cache goes to a writable CARGO_HOME.
rustup_home=${RUSTUP_HOME:-$HOME/.rustup} cargo_home=${CARGO_HOME:-$HOME/.cargo}
sysroot=$(rustc --print sysroot)
case $sysroot in "$rustup_home"/*) ;; *) echo "fresh-machine: toolchain $sysroot is not under $rustup_home" >&2; exit 1 ;; esac

bind_ro() { # bind_ro SRC DEST: read-only bind mount
  mkdir -p "$2"
  mount --bind "$1" "$2"; mounts+=("$2")
  mount -o remount,bind,ro "$2"
}
mkdir -p "$root/proc" "$root/sys" "$root/dev" "$root/root"
mount -t proc proc "$root/proc"; mounts+=("$root/proc")
mount -t sysfs sysfs "$root/sys"; mounts+=("$root/sys")
mount --bind /dev "$root/dev"; mounts+=("$root/dev")
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts"; mounts+=("$root/dev/pts")
mount --bind "$root/dev/pts/ptmx" "$root/dev/ptmx"; mounts+=("$root/dev/ptmx")
mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"; mounts+=("$root/dev/shm")
bind_ro "$rustup_home" "$root$rustup_home"
bind_ro "$cargo_home" "$root$cargo_home"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
# CA certificates this machine's administrator added (a network that inspects TLS needs
# them): the root's ca-certificates, once installed, trusts them as this machine does.
if [ -d /usr/local/share/ca-certificates ]; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp -rL /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
fi

# README's commands: the non-comment lines of its first ```sh block.
mapfile -t cmds < <(awk '/^```sh$/ {n++; next} /^```/ {if (n == 1) exit} n == 1 && !/^[[:space:]]*(#|$)/' \
  "$root/src/keyward/README.md")
[ ${#cmds[@]} = 2 ] || { echo "fresh-machine: expected 2 commands in README's first sh block, found ${#cmds[@]}" >&2; exit 1; }

echo "fresh-machine: Debian $(cat "$root/etc/debian_version") minbase, keyward $(git rev-parse --short HEAD), $(rustc --version)"
failed=0 n=0
for cmd in "${cmds[@]}"; do
  n=$((n + 1))
  echo "fresh-machine: [$n] $cmd"
  start=$(date +%s)
  # In the background with `wait`, so a signal runs the trap at once, not after the command.
  {
    set +e
    chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 CI=true \
      PATH="$sysroot/bin:$cargo_home/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
      CARGO_HOME=/root/cargo-home RUSTUP_HOME="$rustup_home" \
      bash -c "cd /src/keyward && $cmd" </dev/null 2>&1
    echo $? >"$root.rc"
  } | sed -u "s/^/    [$n] /" &
  wait $! || true
  rc=$(cat "$root.rc")
  secs=$(($(date +%s) - start))
  printf 'fresh-machine: [%d] exit %d, wall %dm%02ds\n' "$n" "$rc" $((secs / 60)) $((secs % 60))
  [ "$rc" = 0 ] || failed=1
done
[ "$failed" = 0 ] && echo "fresh-machine: both README commands passed" || echo "fresh-machine: FAILED"
exit "$failed"
