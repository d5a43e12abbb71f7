#!/usr/bin/env bash
# docker's `get` side by side, in one run on one private Secret Service:
# `docker-credential-keyward get` next to Debian's `docker-credential-secretservice get`,
# each answering for the same registry with the same value, and `secret-tool lookup` of the
# very item keyward stored. Reports median wall time and the target ratio.
#
# Usage: bench/docker-get.sh [RUNS]   (default 200; builds release, re-runs itself under a keyring)
# Needs: hyperfine, libsecret-tools, golang-docker-credential-helpers.
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
runs=${1:-200}

tok=dkr_bench_0123456789abcdefghij
url=https://registry.bench.example:5000
ln -s "$kw" "$tmp/docker-credential-keyward"
dk="$tmp/docker-credential-keyward"
printf '{"ServerURL":"%s","Username":"bench","Secret":"%s"}' "$url" "$tok" > "$tmp/store.in"
printf '%s' "$url" > "$tmp/get.in"
KEYWARD_HOME="$tmp/kw" KEYWARD_BACKEND=keyring "$dk" store < "$tmp/store.in"
docker-credential-secretservice store < "$tmp/store.in"

declare -a names cmds
row() { names+=("$1"); cmds+=("$2"); check "$1" "$tok" "$2"; }
row 'docker-credential-keyward get'       "$w $tmp/get.in KEYWARD_HOME=$tmp/kw $dk get"
row 'docker-credential-secretservice get' "$w $tmp/get.in docker-credential-secretservice get"
row 'secret-tool lookup'                  "$w /dev/null secret-tool lookup service keyward:@docker username $url"

args=()
for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
hyperfine -N --warmup 10 --runs "$runs" --export-json "$tmp/results.json" "${args[@]}" >&2

python3 - "$tmp/results.json" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
med = {k: v["median"] * 1000 for k, v in res.items()}
print("| command | median [ms] | mean ± σ [ms] |")
print("|:---|---:|---:|")
for k, v in res.items():
    print(f"| `{k}` | {med[k]:.2f} | {v['mean']*1000:.2f} ± {v['stddev']*1000:.2f} |")
r = med["docker-credential-keyward get"] / med["docker-credential-secretservice get"]
print()
print(f"- `docker-credential-keyward get` / `docker-credential-secretservice get` = **{r:.2f}** (target ≤ 0.7: {'met' if r <= 0.7 else 'MISSED'})")
r = med["docker-credential-keyward get"] / med["secret-tool lookup"]
print(f"- `docker-credential-keyward get` / `secret-tool lookup` = **{r:.2f}**")
PY
