#!/usr/bin/env bash
# Scale: `keyward token` and `keyward get` with an index of 10,000 profiles and 10,000
# secrets next to the same with one profile, plus `status --offline` and `secrets list` on
# the large index.
# Both homes hold the file-backed token of profile `default` of service `big`; the large
# one adds profiles p1…p9999 (p9999, the worst case because it sorts last, with a token of
# its own) and secrets s0…s9999. keyward itself writes both index files, so they are in the format
# every build writes.
#
# Usage: bench/scale.sh [RUNS]       (default 100; builds release, prints the table)
#        bench/scale.sh --make DIR   (only creates DIR/small and DIR/big)
# With BASELINE=/path/to/another/keyward, each row is also run with that binary, in the
# same hyperfine run (rows marked "[baseline]"), for before/after tables.
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

tok=sk_scale_0123456789abcdef

make_homes() {
  local dir=$1
  rm -rf "$dir/small" "$dir/big"
  mkdir -p "$dir"
  # (`big` has no verify endpoint: login says so, which is expected here.)
  login() { KEYWARD_HOME="$1" "$kw" -q -s big --backend file login --with-token "${@:2}" 2> >(grep -v 'Not verified' >&2); }
  printf '%s\n' "$tok" > "$tmp/tok.in"
  printf '%s\n' "${tok}_last" > "$tmp/last.in"
  login "$dir/small" < "$tmp/tok.in"
  login "$dir/big" < "$tmp/tok.in"
  login "$dir/big" -p p9999 < "$tmp/last.in"
  python3 - "$dir/big/index.json" <<'PY'
import json, sys
path = sys.argv[1]
idx = json.load(open(path))
svc = idx["services"]["big"]
stamp = "2026-11-24T05:00:00Z"
for i in range(1, 9999):
    svc["profiles"][f"p{i}"] = {
        "backend": "file", "hint": "sk_…1234", "identity": f"user{i}@example.com",
        "api_url": f"https://api{i}.example.com", "created_at": stamp, "updated_at": stamp,
    }
for i in range(10000):
    svc["secrets"][f"s{i}"] = {"backend": "file", "hint": "ghp_…xxxx", "created_at": stamp, "updated_at": stamp}
svc["active_profile"] = None
json.dump(idx, open(path, "w"))
PY
  # Changes made through keyward, so keyward rewrites the file in its own format and order;
  # `big`, as the only configured service, is also the default one without -s.
  for h in small big; do
    KEYWARD_HOME="$dir/$h" "$kw" -q services add big --api-url https://api.big.example
    KEYWARD_HOME="$dir/$h" "$kw" -q -s big profiles use default
  done
}

if [ "${1:-}" = "--make" ]; then
  make_homes "${2:?usage: bench/scale.sh --make DIR}"
  exit 0
fi
runs=${1:-100}
make_homes "$tmp/scale"
small="KEYWARD_HOME=$tmp/scale/small" big="KEYWARD_HOME=$tmp/scale/big"

declare -a names cmds
row() {
  names+=("$1"); cmds+=("$2"); check "$1" "$3" "$2"
  if [ -n "${BASELINE:-}" ]; then
    names+=("$1 [baseline]"); cmds+=("${2//$kw/$BASELINE}"); check "$1 [baseline]" "$3" "${2//$kw/$BASELINE}"
  fi
}
printf 'protocol=https\nhost=api.big.example\n' > "$tmp/get.in"
row 'token, 1 profile'                       "$w /dev/null $small $kw -s big token" "$tok"
row 'token, 10k profiles (default: first)'   "$w /dev/null $big $kw -s big token" "$tok"
row 'token, 10k profiles (-p p9999: last)'   "$w /dev/null $big $kw -s big -p p9999 token" "${tok}_last"
row 'token, 10k profiles, no -s (whole index)' "$w /dev/null $big $kw token" "$tok"
row 'get, 1 profile'                         "$w $tmp/get.in $small $kw get" "password=$tok"
row 'get, 10k profiles'                      "$w $tmp/get.in $big $kw get" "password=$tok"
row 'status --offline, 10k profiles'         "$w /dev/null $big $kw -s big status --offline" "p9999"
row 'secrets list, 10k secrets'              "$w /dev/null $big $kw -s big secrets list" "s9999"

args=()
for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
hyperfine -N --warmup 5 --runs "$runs" --export-json "$tmp/results.json" "${args[@]}" >&2

python3 - "$tmp/results.json" "$(stat -c %s "$tmp/scale/big/index.json")" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
med = {k: v["median"] * 1000 for k, v in res.items()}
print(f"index.json: {int(sys.argv[2]) / 1e6:.1f} MB with 10,000 profiles and 10,000 secrets\n")
print("| command | median [ms] | mean ± σ [ms] |")
print("|:---|---:|---:|")
for k, v in res.items():
    print(f"| `{k}` | {med[k]:.2f} | {v['mean']*1000:.2f} ± {v['stddev']*1000:.2f} |")
print()
for base, k, target in [
    ("token, 1 profile", "token, 10k profiles (default: first)", 3),
    ("token, 1 profile", "token, 10k profiles (-p p9999: last)", 3),
    ("get, 1 profile", "get, 10k profiles", 3),
]:
    d = med[k] - med[base]
    print(f"- `{k}` − `{base}` = **{d:+.2f} ms** (target ≤ {target}: {'met' if d <= target else 'MISSED'})")
for k in ["status --offline, 10k profiles", "secrets list, 10k secrets"]:
    print(f"- `{k}` = **{med[k]:.1f} ms** (target ≤ 100: {'met' if med[k] <= 100 else 'MISSED'})")
PY
