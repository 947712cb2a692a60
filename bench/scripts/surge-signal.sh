#!/usr/bin/env bash
# The online push-attack signal against a real `merx serve` (issue 20): a generated shop is imported, the server started on
# PORT, then genuine traffic (GENUINE established customers and NEWCOMERS new accounts, each viewing 3 items: with probability
# HEAD one of the 20 busiest i0-i19, else any; CONCENTRATED=1 sends the newcomers only to i0-i19 instead) and an attack burst
# (FAKES new accounts each viewing the 3 targets i991-i993, or with ONE_ITEM=1 the one target i991, and 2 items drawn like a
# customer's) are
# posted to /api/events, one account per request; GET /api/trust/surge is read after each phase. Prints both reports
# (flagged items, suspect accounts) and the gauge from /metrics. Seeded: SEED drives every choice.
# usage: [CONCENTRATED=0] [HEAD=0.5] [ONE_ITEM=0] bench/scripts/surge-signal.sh [PORT=5450] [GENUINE=400] [NEWCOMERS=60] [FAKES=60] [SEED=20]
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
python3 - "$url" "$MERX_API_KEY" "$genuine" "$newcomers" "$fakes" "$seed" "${CONCENTRATED:-0}" "${HEAD:-0.5}" "${ONE_ITEM:-0}" <<'PY'
import json, random, sys, time, urllib.request
url, key, genuine, newcomers, fakes, seed, concentrated = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:8])
head = float(sys.argv[8]); targets = ["i991"] if sys.argv[9] == "1" else ["i991", "i992", "i993"]
rng = random.Random(seed)
def pick(): return f"i{rng.randrange(20)}" if rng.random() < head else f"i{rng.randrange(990)}"
def call(path, body=None):
    req = urllib.request.Request(url + path, data=None if body is None else json.dumps(body).encode(),
                                 headers={"X-Api-Key": key, "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)
def post(user, items):
    call("/api/events", {"events": [{"user": user, "item": i, "kind": "view"} for i in items]})
def report(title):
    s = call("/api/trust/surge?watch=5"); r = s["report"]
    print(f"## {title}\n")
    print(f"window: {r['events']} events, {r['accounts']} accounts, {r['new_accounts']} new; flagged items: {r['flagged_items']}; suspect accounts: {len(r['suspect_accounts'])}\n")
    print("| item | flagged | new accounts | accounts | new share | lift | burst | co-pushed with |")
    print("|---|---|---|---|---|---|---|---|")
    for i in r["items"]:
        print(f"| {i['item']} | {'yes' if i['flagged'] else 'no'} | {i['new_accounts']} | {i['accounts']} | {i['new_share']:.2f} | {i['lift']:.2f} | {i['burst']:.2f} | {'alone (one-item push)' if i['alone'] else ', '.join(i['co_pushed'])} |")
    print()
    return r
for _ in range(120):
    if call("/api/trust/surge")["primed"]: break
    time.sleep(1)
start = time.time()
for u in range(genuine): post(f"u{u}", [pick() for _ in range(3)])
for n in range(newcomers): post(f"newcomer-{n}", [f"i{rng.randrange(20)}" if concentrated else pick() for _ in range(3)])
report(f"after genuine traffic only ({genuine} customers, {newcomers} newcomers, {time.time() - start:.1f} s)")
for f in range(fakes): post(f"fake-{f}", targets + [pick() for _ in range(2)])
r = report(f"after the attack burst ({fakes} fakes, {time.time() - start:.1f} s since the start)")
print(f"suspect accounts: {len(r['suspect_accounts'])}, each on {sorted(set(a['flagged_items'] for a in r['suspect_accounts']))} flagged items (pseudonyms; the fakes are {fakes} accounts pushing {', '.join(targets)})")
PY
curl -s "$url/metrics" | grep -E '^merx_trust_surge_items' || echo "no merx_trust_surge_items sample"
