#!/usr/bin/env bash
# The online push-attack signal against a real `merx serve` (issue 20): a generated shop is imported, the server started on
# PORT, then genuine traffic (GENUINE established customers viewing 3 random items each, NEWCOMERS new accounts viewing 3 of
# the 20 busiest items) and an attack burst (FAKES new accounts each viewing the 3 targets and 2 random items) are posted to
# /api/events one account per request; GET /api/trust/surge is read after each phase. Prints both reports (flagged items,
# suspect accounts) and the gauge from /metrics. Seeded: SEED drives every choice.
# usage: bench/scripts/surge-signal.sh [PORT=5450] [GENUINE=400] [NEWCOMERS=60] [FAKES=60] [SEED=20]
set -euo pipefail
port=${1:-5450}; genuine=${2:-400}; newcomers=${3:-60}; fakes=${4:-60}; seed=${5:-20}
root=$(cd "$(dirname "$0")/../.." && pwd)
merx=${MERX:-"dotnet $root/src/Merx.Cli/bin/Release/net10.0/merx.dll"}
export MERX_API_KEY=${MERX_API_KEY:-bench-key}
work=$(mktemp -d /tmp/surge-signal.XXXXXX)
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT
url=http://127.0.0.1:$port
echo "# surge signal: $(date -u +%FT%TZ), $genuine established customers, $newcomers newcomers, $fakes fakes, seed $seed; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
$merx generate --users 2000 --items 1000 --events 40000 --seed "$seed" --out "$work/shop" > /dev/null
$merx import --db "$work/s.db" --data "$work/shop" > /dev/null
$merx serve --db "$work/s.db" --urls "$url" > "$work/serve.out" 2>&1 &
server=$!
for _ in $(seq 1 300); do curl -sf "$url/health/live" > /dev/null && break; sleep 1; done
surge() { curl -sf -H "X-Api-Key: $MERX_API_KEY" "$url/api/trust/surge?watch=${1:-5}"; }
for _ in $(seq 1 120); do [ "$(surge | python3 -c 'import json,sys; print(json.load(sys.stdin)["primed"])')" = True ] && break; sleep 1; done
post() {  # user item...
  local user=$1; shift
  local body; body=$(python3 -c 'import json,sys; print(json.dumps({"events": [{"user": sys.argv[1], "item": i, "kind": "view"} for i in sys.argv[2:]]}))' "$user" "$@")
  curl -sf -o /dev/null -H "X-Api-Key: $MERX_API_KEY" -H 'Content-Type: application/json' -d "$body" "$url/api/events"
}
RANDOM=$seed
start=$(date +%s.%N)
for u in $(seq 0 $((genuine - 1))); do post "u$u" "i$((RANDOM % 1000))" "i$((RANDOM % 1000))" "i$((RANDOM % 1000))"; done
for n in $(seq 0 $((newcomers - 1))); do post "newcomer-$n" "i$((RANDOM % 20))" "i$((RANDOM % 20))" "i$((RANDOM % 20))"; done
report() {
  python3 -c '
import json, sys
s = json.load(sys.stdin); r = s["report"]
print(f"window: {r[\"events\"]} events, {r[\"accounts\"]} accounts, {r[\"new_accounts\"]} new; flagged items: {sum(1 for i in r[\"items\"] if i[\"flagged\"])}")
print("| item | flagged | new accounts | accounts | new share | lift | burst |")
print("|---|---|---|---|---|---|---|")
for i in r["items"]:
    print(f"| {i[\"item\"]} | {\"yes\" if i[\"flagged\"] else \"no\"} | {i[\"new_accounts\"]} | {i[\"accounts\"]} | {i[\"new_share\"]:.2f} | {i[\"lift\"]:.2f} | {i[\"burst\"]:.2f} |")
print(f"suspect accounts: {len(r[\"suspect_accounts\"])}")'
}
echo "## after genuine traffic only ($(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')") s)"; surge 5 | report
for f in $(seq 0 $((fakes - 1))); do post "fake-$f" i991 i992 i993 "i$((RANDOM % 990))" "i$((RANDOM % 990))"; done
echo "## after the attack burst ($(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')") s)"; surge 5 | report
fakes_listed=$(surge 0 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["report"]["suspect_accounts"]))')
echo "suspect accounts listed: $fakes_listed (the fakes are $fakes accounts; the server stores pseudonyms only)"
curl -s "$url/metrics" | grep -E '^merx_trust_surge_items' || echo "no merx_trust_surge_items sample"
