#!/usr/bin/env python3
"""Added latency of each explore/exploit policy at the recommendation endpoint.

Starts `merx serve` on a store once per policy, sends REQUESTS recommendation requests for random
users with debug=true, sending impression/click feedback on every list so the learning policies
update, and reports the median and p99 of the pipeline's explore stage and of the whole request
(server-side elapsed_ms). usage: policy_cost.py MERX_DLL DB USERS [REQUESTS] [POLICIES]
"""
import json, random, statistics, subprocess, sys, time, urllib.request

dll, db, users = sys.argv[1], sys.argv[2], int(sys.argv[3])
requests = int(sys.argv[4]) if len(sys.argv) > 4 else 400
policies = (sys.argv[5] if len(sys.argv) > 5 else "discovery,greedy,egreedy,ucb,thompson,linucb,lints,dynamic:0.2").split(",")
port, key = 5187, "policy-cost-key"

def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"X-Api-Key": key, "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())

def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]

print(f"| policy | explore stage median ms | p99 ms | whole request median ms | p99 ms | explored slots |")
print(f"|---|---|---|---|---|---|")
for policy in policies:
    server = subprocess.Popen(["dotnet", dll, "serve", "--db", db, "--urls", f"http://127.0.0.1:{port}", "--api-key", key, "--policy", policy],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready"); break
            except Exception:
                time.sleep(0.5)
        rng = random.Random(42)
        stage, whole, explored, slots = [], [], 0, 0
        for i in range(requests):
            r = call("GET", f"/api/users/u{rng.randrange(users)}/recommendations?n=10&debug=true")
            if i >= 50:  # after warm-up
                stage += [s["ms"] for s in r["stages"] if s["stage"].startswith("explore:")]
                whole.append(r["elapsed_ms"])
            items = [x["item"] for x in r["items"]]
            explored += sum(1 for x in r["items"] if x["explored"]); slots += len(items)
            clicked = rng.randrange(len(items)) if items and rng.random() < 0.3 else -1
            call("POST", "/api/feedback", {"feedback": [{"recommendation_id": r["recommendation_id"], "item": it, "kind": "click" if k == clicked else "impression"} for k, it in enumerate(items)]})
        print(f"| {policy} | {statistics.median(stage):.3f} | {pct(stage, 0.99):.3f} | {statistics.median(whole):.3f} | {pct(whole, 0.99):.3f} | {explored / max(1, slots):.1%} |", flush=True)
    finally:
        server.terminate(); server.wait()
