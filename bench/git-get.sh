#!/usr/bin/env bash
# Times `keyward get` (git's credential helper call) next to `git credential-store get` and
# `secret-tool lookup` for the same credential, on a private, unlocked gnome-keyring, with
# a release build. Prints the hyperfine table and the ratio keyward get / secret-tool lookup.
#
# Usage: bench/git-get.sh [extra hyperfine args]
# (builds the release binary, then re-runs itself under dbus-run-session + scripts/with-keyring.sh)
#
# hyperfine 1.15 gives commands no stdin and has no --input; rather than a shell (whose
# start-up hyperfine cannot subtract precisely below 5 ms), every command, secret-tool
# included, runs through the same tiny exec wrapper that opens its stdin, under -N.
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

host=bench.example.com
password=bench-password-0123456789
printf 'protocol=https\nhost=%s\n' "$host" > "$tmp/get.in"
printf 'protocol=https\nhost=nothing.example.com\n' > "$tmp/miss.in"
printf 'protocol=https\nhost=%s\nusername=bench\npassword=%s\n' "$host" "$password" > "$tmp/store.in"

# with-stdin FILE [VAR=VALUE...] CMD [ARGS...]: FILE as stdin, then exec; one exec's cost.
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

KEYWARD_HOME="$tmp/kw" "$kw" --backend keyring store < "$tmp/store.in"
KEYWARD_HOME="$tmp/kwfile" "$kw" --backend file store < "$tmp/store.in"
git credential-store --file "$tmp/git-credentials" store < "$tmp/store.in"

# Each command must really find the password, or the timings mean nothing.
check() {
  local name=$1; shift
  if ! sh -c "$*" | grep -q "$password"; then
    echo "git-get.sh: $name did not return the password" >&2
    exit 1
  fi
}
kw_keyring="$w $tmp/get.in KEYWARD_HOME=$tmp/kw $kw get"
secret_tool="$w /dev/null secret-tool lookup service keyward:@git username https://$host"
cred_store="$w $tmp/get.in git credential-store --file $tmp/git-credentials get"
kw_file="$w $tmp/get.in KEYWARD_HOME=$tmp/kwfile $kw get"
kw_miss="$w $tmp/miss.in KEYWARD_HOME=$tmp/kw $kw get"
check "keyward get (keyring)" "$kw_keyring"
check "keyward get (file)" "$kw_file"
check "git credential-store get" "$cred_store"
check "secret-tool lookup" "$secret_tool"
if sh -c "$kw_miss" | grep -q .; then echo "git-get.sh: the miss case answered" >&2; exit 1; fi

hyperfine -N --warmup 20 --runs 200 \
  --export-markdown "$tmp/table.md" --export-json "$tmp/results.json" "$@" \
  -n 'keyward get (OS keyring)' "$kw_keyring" \
  -n 'secret-tool lookup' "$secret_tool" \
  -n 'git credential-store get' "$cred_store" \
  -n 'keyward get (file backend)' "$kw_file" \
  -n 'keyward get (no match: no keyring call)' "$kw_miss"

echo
cat "$tmp/table.md"
python3 - "$tmp/results.json" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
ratio = r["keyward get (OS keyring)"] / r["secret-tool lookup"]
print(f"\nkeyward get (OS keyring) / secret-tool lookup = {ratio:.2f} (target <= 1.5: {'met' if ratio <= 1.5 else 'MISSED'})")
PY
