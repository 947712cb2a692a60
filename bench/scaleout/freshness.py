#!/usr/bin/env python3
"""Cross-replica freshness (issue 18): an event accepted by replica A, how soon replica B's recommendation reflects it.

Per trial: a new user asks B for recommendations (cold start: B caches the empty history), posts one purchase
to A, and as soon as A acknowledges asks B again, repeating until B's answer is no longer the cold-start path.
Reports how often B's first answer after the acknowledgement already reflected the event (read-your-writes
across replicas) and the time from A's acknowledgement to B's first reflecting answer (median, p99, max).
Usage: freshness.py A_URL B_URL API_KEY [TRIALS] [ITEM]
"""
import json, statistics, sys, time, urllib.request, uuid

a, b, key = sys.argv[1], sys.argv[2], sys.argv[3]
trials = int(sys.argv[4]) if len(sys.argv) > 4 else 200
item = sys.argv[5] if len(sys.argv) > 5 else "7"

def get(base, user):
    with urllib.request.urlopen(f"{base}/api/users/{user}/recommendations?n=3&explore=false") as r:
        return json.load(r)["path"]

def post(base, user):
    body = json.dumps({"events": [{"user": user, "item": item, "kind": "purchase"}]}).encode()
    req = urllib.request.Request(f"{base}/api/events", data=body, headers={"X-Api-Key": key, "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        r.read()

first_hit, lags = 0, []
for t in range(trials):
    user = "fresh-" + uuid.uuid4().hex[:12]
    assert get(b, user) == "cold-start"
    post(a, user)
    acked = time.perf_counter()
    reads = 0
    while True:
        reads += 1
        if get(b, user) != "cold-start":
            lags.append((time.perf_counter() - acked) * 1000)
            first_hit += reads == 1
            break
        if time.perf_counter() - acked > 10:
            lags.append(float("inf"))
            break
lags.sort()
p = lambda q: lags[min(len(lags) - 1, int(q * len(lags)))]
print(json.dumps({"trials": trials, "first_read_reflected": first_hit, "median_ms": round(statistics.median(lags), 2),
                  "p99_ms": round(p(0.99), 2), "max_ms": round(lags[-1], 2)}))
