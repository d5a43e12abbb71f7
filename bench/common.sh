# shellcheck shell=bash disable=SC2034
# Shared set-up for the benchmarks (sourced, not run): a release build, a private unlocked
# gnome-keyring (the script re-executes itself under dbus-run-session), a temp dir, and the
# `with-stdin` wrapper.
#
# hyperfine 1.15 gives commands no stdin and has no --input; rather than a shell (whose
# start-up hyperfine cannot subtract precisely below 5 ms), commands that need stdin run
# through one tiny exec wrapper that opens it, under -N. To compare like with like, every
# row of a table goes through the wrapper.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${KEYWARD_BENCH_INNER:-}" ]; then
  cargo build --release --quiet
  export KEYWARD_BENCH_INNER=1
  exec dbus-run-session -- scripts/with-keyring.sh "$0" "$@" 2> >(grep -v 'Failed to set fd limit' >&2)
fi

kw="$PWD/target/release/keyward"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
unset KEYWARD_BACKEND KEYWARD_HOME

# with-stdin FILE [VAR=VALUE...] CMD [ARGS...]: FILE as stdin, env assignments, then exec.
cc -O2 -x c -o "$tmp/with-stdin" - <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    if (argc < 3) return 2;
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0 || dup2(fd, 0) < 0) { perror(argv[1]); return 2; }
    close(fd);
    int i = 2;
    for (; i < argc && strchr(argv[i], '=') && argv[i][0] != '/'; i++) putenv(argv[i]);
    execvp(argv[i], argv + i);
    perror(argv[i]);
    return 127;
}
C
w="$tmp/with-stdin"

# check NAME EXPECTED CMD: CMD's output must contain EXPECTED, or the timings mean nothing.
check() {
  local name=$1 expected=$2; shift 2
  if ! sh -c "$*" | grep -qF -- "$expected"; then
    echo "$(basename "$0"): $name did not return the expected value" >&2
    exit 1
  fi
}
