#!/bin/sh
# The fetch path with the per-project binding walk and the expiry check, before and after:
# instructions (callgrind, which load does not change) and system calls (strace -c) of
# `token` on a file-backed home, from a directory 8 levels below / with no HOME above it.
# Usage: BEFORE=old/keyward AFTER=new/keyward bench/expiry-binding.sh (release builds).

BH=${TMPDIR:-/tmp}/kw-expiry-bench
rm -rf "$BH"; mkdir -p "$BH/user" "$BH/p/a/b/c/d" "$BH/bound"
chmod 700 "$BH/user"
export HOME="$BH/user" KEYWARD_HOME="$BH/home" KEYWARD_BACKEND=file
unset DBUS_SESSION_BUS_ADDRESS
A=${AFTER:?set AFTER to the new release binary}
for p in default far soon; do echo "tok-$p-0123456789" | "$A" -s bench -p "$p" login --with-token --no-verify -q >/dev/null 2>&1; done
"$A" -s bench profiles use default -q >/dev/null 2>&1 || true
now=$(date +%s)
python3 - "$KEYWARD_HOME/index.json" "$now" <<'PY'
import json,sys
p,now=sys.argv[1],int(sys.argv[2])
d=json.load(open(p))
d["services"]["bench"]["profiles"]["far"]["expires_at"]=now+30*86400
d["services"]["bench"]["profiles"]["soon"]["expires_at"]=now+3*86400
json.dump(d,open(p,"w"),indent=2)
PY
(cd "$BH/p/a/b/c/d" && "$A" -s bench -p soon token >/dev/null 2>&1)  # warned once today
printf 'service = "bench"\nprofile = "default"\n' > "$BH/bound/.keyward.toml"; chmod 644 "$BH/bound/.keyward.toml"
ir() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null | sed -n 's/.*Collected : //p'; }
sc() { strace -f -c -o "$BH.strace" "$@" >/dev/null 2>&1; grep ' total' "$BH.strace" | awk '{print $4}'; }
row() { label=$1; dir=$2; shift 2; for b in "${BEFORE:?set BEFORE to the old release binary}" "$A"; do
  i=$(cd "$dir" && ir "$b" "$@"); s=$(cd "$dir" && sc "$b" "$@"); printf '%s|%s|%s|%s\n' "$label" "$(basename "$b")" "$i" "$s"; done; }
row "-s bench -p default token (no walk)" "$BH/p/a/b/c/d" -s bench -p default token
row "-s bench token (walk, no binding)" "$BH/p/a/b/c/d" -s bench token
BENCH_API_TOKEN=envtok-0123456789 row "-s bench token (env var, walk)" "$BH/p/a/b/c/d" -s bench token
row "token (binding in cwd)" "$BH/bound" token
row "-s bench -p far token (expiry in 30 days)" "$BH/p/a/b/c/d" -s bench -p far token
row "-s bench -p soon token (3 days, warned today)" "$BH/p/a/b/c/d" -s bench -p soon token
