#!/usr/bin/env bash
# The fetch path side by side, in one run on one private Secret Service: `keyward token`
# (keyring, file, env var, an OAuth profile with a valid access token), `keyward get`, the
# anchors (secret-tool, git credential-store, docker-credential-secretservice, python keyring,
# gh auth token) and the floor (a minimal Rust binary, /bin/true). Reports median wall time, peak RSS, and the target ratios.
#
# Usage: bench/fetch.sh [RUNS]   (default 200; builds release, re-runs itself under a keyring)
# Needs: hyperfine, GNU time, libsecret-tools, golang-docker-credential-helpers, gh, and
# python3 with the keyring package (`pip install keyring`).
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
runs=${1:-200}

tok=sk_bench_0123456789abcdefghij
printf '%s\n' "$tok" > "$tmp/tok.in"
printf 'protocol=https\nhost=bench.example.com\nusername=bench\npassword=%s\n' "$tok" > "$tmp/store.in"
printf 'protocol=https\nhost=bench.example.com\n' > "$tmp/get.in"
printf 'https://bench.example.com' > "$tmp/docker.in"

# The floor: a process that prints a constant.
printf 'fn main() { println!("%s"); }\n' "$tok" > "$tmp/floor.rs"
rustc -O -C strip=symbols -C panic=abort -o "$tmp/floor-rs" "$tmp/floor.rs"

# keyward: a keyring-held token, a file-held token, a token in the env, a git credential.
KEYWARD_HOME="$tmp/kw" "$kw" -q -s bench --backend keyring login --with-token < "$tmp/tok.in"
KEYWARD_HOME="$tmp/kwf" "$kw" -q -s bench --backend file login --with-token < "$tmp/tok.in"
KEYWARD_HOME="$tmp/kw" "$kw" --backend keyring store < "$tmp/store.in"
# An OAuth profile (file backend: the least noisy pair) whose access token is valid for a day:
# the same stored token plus the grant record a login writes (the fetch path must take no lock and make no request for it).
KEYWARD_HOME="$tmp/kwf" "$kw" -q -s bench -p oauth --backend file login --with-token < "$tmp/tok.in"
python3 - "$tmp/kwf/index.json" <<'PY'
import json, sys, time
p = sys.argv[1]; idx = json.load(open(p))
idx["services"]["bench"]["profiles"]["oauth"]["oauth"] = {
    "grant_id": "bench001", "client_id": "bench", "token_endpoint": "https://auth.bench.example.com/token",
    "expires_at": int(time.time()) + 86400, "lifetime": 86400}
json.dump(idx, open(p, "w"), indent=2)
PY
# Anchors, each holding the same value.
git credential-store --file "$tmp/git-credentials" store < "$tmp/store.in"
printf '{"ServerURL":"https://bench.example.com","Username":"bench","Secret":"%s"}' "$tok" \
  | docker-credential-secretservice store
python3 -c "import keyring, sys; keyring.set_password('benchsvc', 'bench', sys.argv[1])" "$tok"
mkdir -p "$tmp/gh"
printf 'github.com:\n    oauth_token: %s\n    user: bench\n    git_protocol: https\n' "$tok" > "$tmp/gh/hosts.yml"

declare -a names cmds
row() { names+=("$1"); cmds+=("$2"); check "$1" "$tok" "$2"; }
row 'keyward token (OS keyring)'       "$w /dev/null KEYWARD_HOME=$tmp/kw $kw -s bench token"
row 'keyward token (file, OAuth, valid access token)' "$w /dev/null KEYWARD_HOME=$tmp/kwf $kw -s bench -p oauth token"
row 'keyward token (file)'             "$w /dev/null KEYWARD_HOME=$tmp/kwf $kw -s bench token"
row 'keyward token (env var)'          "$w /dev/null KEYWARD_HOME=$tmp/empty BENCH_API_TOKEN=$tok $kw -s bench token"
row 'keyward get (OS keyring)'         "$w $tmp/get.in KEYWARD_HOME=$tmp/kw $kw get"
row 'secret-tool lookup'               "$w /dev/null secret-tool lookup service keyward:bench username default"
row 'git credential-store get'         "$w $tmp/get.in git credential-store --file $tmp/git-credentials get"
row 'docker-credential-secretservice get' "$w $tmp/docker.in docker-credential-secretservice get"
row 'python keyring get'               "$w /dev/null python3 -m keyring get benchsvc bench"
row 'gh auth token'                    "$w /dev/null GH_CONFIG_DIR=$tmp/gh gh auth token"
row 'floor: minimal Rust binary'       "$w /dev/null $tmp/floor-rs"
names+=('floor: /bin/true'); cmds+=("$w /dev/null /bin/true")

args=()
for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
hyperfine -N --warmup 10 --runs "$runs" --export-json "$tmp/results.json" "${args[@]}" >&2

# Peak RSS: the largest of 20 runs, from GNU time (KiB).
: > "$tmp/rss.tsv"
for i in "${!names[@]}"; do
  max=0
  for _ in $(seq 1 20); do
    # shellcheck disable=SC2086 # the command string is split on purpose
    /usr/bin/time -f '%M' -o "$tmp/rss" ${cmds[$i]} >/dev/null 2>&1
    kib=$(tail -1 "$tmp/rss")
    [ "$kib" -gt "$max" ] && max=$kib
  done
  printf '%s\t%s\n' "${names[$i]}" "$max" >> "$tmp/rss.tsv"
done

python3 - "$tmp/results.json" "$tmp/rss.tsv" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
rss = dict(line.rstrip("\n").split("\t") for line in open(sys.argv[2]))
med = {k: v["median"] * 1000 for k, v in res.items()}
print("| command | median [ms] | mean ± σ [ms] | peak RSS [MiB] |")
print("|:---|---:|---:|---:|")
for k, v in res.items():
    print(f"| `{k}` | {med[k]:.2f} | {v['mean']*1000:.2f} ± {v['stddev']*1000:.2f} | {int(rss[k])/1024:.1f} |")
floor = med["floor: minimal Rust binary"]
st = med["secret-tool lookup"]
def line(name, base, basename, target):
    r = med[name] / base
    print(f"- `{name}` / {basename} = **{r:.2f}** (target ≤ {target}: {'met' if r <= target else 'MISSED'})")
print()
line("keyward token (OS keyring)", st, "`secret-tool lookup`", 1.2)
line("keyward get (OS keyring)", st, "`secret-tool lookup`", 1.5)
line("keyward token (file, OAuth, valid access token)", med["keyward token (file)"], "`keyward token (file)`", 1.05)
line("keyward token (file)", floor, "floor", 1.5)
line("keyward token (env var)", floor, "floor", 1.5)
peak = max(int(rss[k]) for k in rss if k.startswith("keyward token")) / 1024
print(f"- peak RSS of `keyward token`: **{peak:.1f} MiB** (target ≤ 8: {'met' if peak <= 8 else 'MISSED'})")
PY
