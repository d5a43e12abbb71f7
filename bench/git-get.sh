#!/usr/bin/env bash
# Times `keyward get` (git's credential helper call) next to `git credential-store get` and
# `secret-tool lookup` for the same credential, on a private, unlocked gnome-keyring, with
# a release build. Prints the hyperfine table and the ratio keyward get / secret-tool lookup.
#
# Usage: bench/git-get.sh [extra hyperfine args]
# (builds the release binary, then re-runs itself under dbus-run-session + scripts/with-keyring.sh)
#
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

host=bench.example.com
password=bench-password-0123456789
printf 'protocol=https\nhost=%s\n' "$host" > "$tmp/get.in"
printf 'protocol=https\nhost=nothing.example.com\n' > "$tmp/miss.in"
printf 'protocol=https\nhost=%s\nusername=bench\npassword=%s\n' "$host" "$password" > "$tmp/store.in"

KEYWARD_HOME="$tmp/kw" "$kw" --backend keyring store < "$tmp/store.in"
KEYWARD_HOME="$tmp/kwfile" "$kw" --backend file store < "$tmp/store.in"
git credential-store --file "$tmp/git-credentials" store < "$tmp/store.in"

kw_keyring="$w $tmp/get.in KEYWARD_HOME=$tmp/kw $kw get"
secret_tool="$w /dev/null secret-tool lookup service keyward:@git username https://$host"
cred_store="$w $tmp/get.in git credential-store --file $tmp/git-credentials get"
kw_file="$w $tmp/get.in KEYWARD_HOME=$tmp/kwfile $kw get"
kw_miss="$w $tmp/miss.in KEYWARD_HOME=$tmp/kw $kw get"
check "keyward get (keyring)" "$password" "$kw_keyring"
check "keyward get (file)" "$password" "$kw_file"
check "git credential-store get" "$password" "$cred_store"
check "secret-tool lookup" "$password" "$secret_tool"
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
