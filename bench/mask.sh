#!/usr/bin/env bash
# `exec --mask` throughput: 100 MB of text through `cat`, masked (`keyward exec --mask -- cat`)
# against unmasked (`keyward exec -- cat`, which becomes cat) and plain cat, in one paired
# hyperfine run; every row's output goes into a pipe hyperfine reads, as a real consumer's
# would. The stream holds the token once (the masked row is checked to mask it) and is
# otherwise base64 lines, the worst ordinary case for the base64 patterns' prefilter.
#
# Usage: bench/mask.sh [RUNS] [MB]   (default 20 runs, 100 MB; builds release, re-runs itself
# under a keyring). Needs: hyperfine 1.14 or newer (--output=pipe), python3.
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
runs=${1:-20}
mb=${2:-100}

tok=sk_bench_0123456789abcdefghij
printf '%s\n' "$tok" > "$tmp/tok.in"
KEYWARD_HOME="$tmp/kw" "$kw" -q -s bench --backend file login --with-token < "$tmp/tok.in"
python3 - "$tmp/data" "$mb" "$tok" <<'PY'
import base64, random, sys
path, mb, tok = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(18)
block = b"".join(base64.b64encode(rng.randbytes(57)) + b"\n" for _ in range(16384))
with open(path, "wb") as f:
    f.write(b"token: " + tok.encode() + b"\n")
    for _ in range(mb * 2**20 // len(block)):
        f.write(block)
PY
cat "$tmp/data" > /dev/null  # in the page cache before the first run
# The checks run on a few lines, written in one go: `grep -q` stops at the first match, and
# a writer still busy then would fail the pipeline under pipefail.
head -n 40 "$tmp/data" > "$tmp/small"

declare -a names cmds
names=('cat' 'keyward exec -- cat' 'keyward exec --mask -- cat')
cmds=(
  "$w $tmp/data cat"
  "$w $tmp/data KEYWARD_HOME=$tmp/kw $kw -s bench exec -- cat"
  "$w $tmp/data KEYWARD_HOME=$tmp/kw $kw -s bench exec --mask -- cat"
)
small() { printf '%s' "${1/$tmp\/data/$tmp/small}"; }
check 'keyward exec -- cat' "token: $tok" "$(small "${cmds[1]}")"
check 'keyward exec --mask -- cat' 'token: ***' "$(small "${cmds[2]}")"
if sh -c "$(small "${cmds[2]}")" | grep -F -- "$tok" >/dev/null; then
  echo "mask.sh: the masked row shows the token" >&2
  exit 1
fi

args=()
for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
hyperfine -N --warmup 3 --runs "$runs" --output=pipe --export-json "$tmp/results.json" "${args[@]}" >&2

python3 - "$tmp/results.json" "$(stat -c %s "$tmp/data")" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
size = int(sys.argv[2])
med = {k: v["median"] * 1000 for k, v in res.items()}
cpu = {k: (v["user"] + v["system"]) * 1000 for k, v in res.items()}
print("| command | median [ms] | mean ± σ [ms] | min [ms] | MB/s (median) | user, mean [ms] | sys, mean [ms] |")
print("|:---|---:|---:|---:|---:|---:|---:|")
for k, v in res.items():
    print(f"| `{k}` | {med[k]:.1f} | {v['mean']*1000:.1f} ± {v['stddev']*1000:.1f} | {v['min']*1000:.1f} "
          f"| {size / 2**20 / (med[k] / 1000):.0f} | {v['user']*1000:.1f} | {v['system']*1000:.1f} |")
mins = {k: v["min"] * 1000 for k, v in res.items()}
r = med["keyward exec --mask -- cat"] / med["keyward exec -- cat"]
print()
print(f"- `keyward exec --mask -- cat` / `keyward exec -- cat` = **{r:.2f}** "
      f"(goal ≤ 1.10: {'met' if r <= 1.10 else 'MISSED'}); fastest run "
      f"{mins['keyward exec --mask -- cat'] / mins['keyward exec -- cat']:.2f}×; CPU time "
      f"{cpu['keyward exec --mask -- cat'] / cpu['keyward exec -- cat']:.2f}×")
PY
