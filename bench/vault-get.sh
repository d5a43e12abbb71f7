#!/usr/bin/env bash
# Times `vault-token-helper-keyward get` (what Vault and OpenBao run before every request
# that needs a token) next to reading `~/.vault-token`, the plaintext file they use without
# a helper, for the same token, on a private, unlocked gnome-keyring, with a release build.
# Prints the hyperfine table and the ratio helper get (OS keyring) / cat ~/.vault-token.
#
# Usage: bench/vault-get.sh [extra hyperfine args]
# (builds the release binary, then re-runs itself under dbus-run-session + scripts/with-keyring.sh)
#
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

token=hvs.bench-token-0123456789abcdef
addr=http://127.0.0.1:8200
helper="$tmp/bin/vault-token-helper-keyward"
mkdir -p "$tmp/bin"
ln -s "$kw" "$helper"
printf '%s' "$token" > "$tmp/token.in"
printf '%s' "$token" > "$tmp/.vault-token"

VAULT_ADDR=$addr KEYWARD_HOME="$tmp/kw" KEYWARD_BACKEND=keyring "$helper" store < "$tmp/token.in"
VAULT_ADDR=$addr KEYWARD_HOME="$tmp/kwfile" KEYWARD_BACKEND=file "$helper" store < "$tmp/token.in"

kw_keyring="$w /dev/null VAULT_ADDR=$addr KEYWARD_HOME=$tmp/kw $helper get"
kw_file="$w /dev/null VAULT_ADDR=$addr KEYWARD_HOME=$tmp/kwfile $helper get"
kw_miss="$w /dev/null VAULT_ADDR=http://127.0.0.1:8201 KEYWARD_HOME=$tmp/kw $helper get"
cat_file="$w /dev/null cat $tmp/.vault-token"
check "helper get (keyring)" "$token" "$kw_keyring"
check "helper get (file)" "$token" "$kw_file"
check "cat ~/.vault-token" "$token" "$cat_file"
if sh -c "$kw_miss" | grep -q .; then echo "vault-get.sh: the miss case answered" >&2; exit 1; fi

hyperfine -N --warmup 20 --runs 200 \
  --export-markdown "$tmp/table.md" --export-json "$tmp/results.json" "$@" \
  -n 'vault-token-helper-keyward get (OS keyring)' "$kw_keyring" \
  -n 'vault-token-helper-keyward get (file backend)' "$kw_file" \
  -n 'vault-token-helper-keyward get (nothing stored: no keyring call)' "$kw_miss" \
  -n 'cat ~/.vault-token' "$cat_file" \
  -n 'floor: /bin/true' "$w /dev/null /bin/true"

echo
cat "$tmp/table.md"
python3 - "$tmp/results.json" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
for x in res:
    print(f"{x['command']}: median {x['median'] * 1000:.2f} ms")
r = {x["command"]: x["median"] for x in res}
base = r["cat ~/.vault-token"]
for name in ("vault-token-helper-keyward get (OS keyring)", "vault-token-helper-keyward get (file backend)"):
    print(f"{name} / cat ~/.vault-token = {r[name] / base:.2f} by median ({(r[name] - base) * 1000:.2f} ms more per call)")
PY
