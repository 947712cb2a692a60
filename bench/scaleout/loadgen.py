#!/usr/bin/env python3
"""Open-loop load for the scale-out fault runs (issue 18): RATE requests/s for SECONDS against URL, each
request sent at its scheduled time by a pool of keep-alive connections (a late answer does not slow the
schedule), with an action at AT seconds (e.g. `kill -9 PID` or a PostgreSQL stop/start script).

  recommend mode: GET /api/users/u<random>/recommendations?n=10
  events mode:    POST /api/events, a batch of BATCH view events whose item is "ack-<run>-<request>", so that
                  afterwards every acknowledged batch can be looked up in the store (--check-psql).

Prints one JSON object: counts per status, client failures (connection errors, timeouts, 5xx), 503s with and
without Retry-After, per-second success/failure/p99 timeline, and seconds from the action to the first second
after which every request succeeded again with p99 back under twice the p99 before the action ("absorbed").
Usage: loadgen.py URL recommend|events RATE SECONDS [--at S --action CMD] [--users N] [--batch N]
       [--check-psql 'psql … -d DB'] [--threads N]
"""
import argparse, http.client, json, os, queue, random, shlex, subprocess, sys, threading, time, urllib.parse, uuid

p = argparse.ArgumentParser()
p.add_argument("url"); p.add_argument("mode", choices=["recommend", "events"])
p.add_argument("rate", type=float); p.add_argument("seconds", type=float)
p.add_argument("--at", type=float); p.add_argument("--action")
p.add_argument("--users", type=int, default=50000); p.add_argument("--items", type=int, default=100000)
p.add_argument("--batch", type=int, default=100); p.add_argument("--threads", type=int, default=32)
p.add_argument("--timeout", type=float, default=10); p.add_argument("--check-psql")
a = p.parse_args()
u = urllib.parse.urlparse(a.url)
key = os.environ.get("MERX_API_KEY", "")
run = uuid.uuid4().hex[:8]
jobs = queue.Queue(); results = []; lock = threading.Lock()

def worker():
    conn = None
    rng = random.Random()
    while True:
        job = jobs.get()
        if job is None: return
        n, at = job
        delay = at - time.time()
        if delay > 0: time.sleep(delay)
        if a.mode == "recommend":
            method, path, body = "GET", f"/api/users/u{rng.randrange(a.users)}/recommendations?n=10", None
        else:
            item = f"ack-{run}-{n}"
            body = json.dumps({"events": [{"user": f"u{rng.randrange(a.users)}", "item": item, "kind": "view"} for _ in range(a.batch)]})
            method, path = "POST", "/api/events"
        start = time.time(); status = None; retry_after = None
        try:
            if conn is None: conn = http.client.HTTPConnection(u.hostname, u.port, timeout=a.timeout)
            conn.request(method, path, body=body, headers={"X-Api-Key": key, "Content-Type": "application/json"})
            r = conn.getresponse(); r.read(); status = r.status; retry_after = r.getheader("Retry-After")
            if r.getheader("Connection", "").lower() == "close": conn.close(); conn = None
        except Exception as e:
            status = "error:" + type(e).__name__
            try: conn.close()
            except Exception: pass
            conn = None
        with lock: results.append((n, at, start, time.time(), status, retry_after))

threads = [threading.Thread(target=worker, daemon=True) for _ in range(a.threads)]
for t in threads: t.start()
t0 = time.time() + 0.5
total = int(a.rate * a.seconds)
action_at = None
for n in range(total):
    at = t0 + n / a.rate
    jobs.put((n, at))
if a.action is not None:
    while time.time() < t0 + a.at: time.sleep(0.005)
    action_at = time.time()
    subprocess.Popen(a.action, shell=True)
    action_note = {"action": a.action, "at_s": a.at}
else:
    action_note = {}
for _ in threads: jobs.put(None)
for t in threads: t.join()

def p99(xs):
    xs = sorted(xs); return round(xs[min(len(xs) - 1, int(0.99 * len(xs)))] * 1000, 1) if xs else None
def failed(s): return not (isinstance(s, int) and s < 500)
counts = {}
for r in results: counts[str(r[4])] = counts.get(str(r[4]), 0) + 1
timeline = {}
for n, at, s, e, st, ra in results:
    sec = int(at - t0)
    d = timeline.setdefault(sec, {"ok": 0, "failed": 0, "lat": []})
    if failed(st): d["failed"] += 1
    else: d["ok"] += 1; d["lat"].append(e - at)  # from the scheduled send: a late start counts
out = {"url": a.url, "mode": a.mode, "rate": a.rate, "seconds": a.seconds, "sent": len(results), "statuses": counts,
       "client_failures": sum(1 for r in results if failed(r[4])),
       "503_with_retry_after": sum(1 for r in results if r[4] == 503 and r[5]),
       "503_without_retry_after": sum(1 for r in results if r[4] == 503 and not r[5]), **action_note,
       "timeline": [{"s": s, "ok": d["ok"], "failed": d["failed"], "p99_ms": p99(d["lat"])} for s, d in sorted(timeline.items())]}
if action_at is not None:
    before = [e - at for n, at, s, e, st, ra in results if at < action_at and not failed(st)]
    base = p99(before) or 0
    out["p99_before_ms"] = base
    secs = sorted(timeline)
    act = int(action_at - t0)
    absorbed = None
    for s in secs:
        if s < act: continue
        if all(timeline[x]["failed"] == 0 and (p99(timeline[x]["lat"]) or 0) <= 2 * base for x in secs if x >= s):
            absorbed = s; break
    out["absorbed_after_s"] = None if absorbed is None else max(0, absorbed - (action_at - t0))
    out["failures_after_action"] = sum(1 for r in results if r[1] >= action_at - 1 and failed(r[4]))
if a.mode == "events" and a.check_psql:
    acked = {f"ack-{run}-{r[0]}" for r in results if r[4] == 200}
    sql = f"SELECT i.ext_id, count(*) FROM events e JOIN items i ON i.id = e.item_id WHERE i.ext_id LIKE 'ack-{run}-%' GROUP BY 1"
    rows = subprocess.run(shlex.split(a.check_psql) + ["-At", "-F", " ", "-c", sql], capture_output=True, text=True, check=True).stdout.split()
    stored = dict(zip(rows[0::2], map(int, rows[1::2])))
    out["acknowledged_batches"] = len(acked)
    out["acknowledged_events"] = len(acked) * a.batch
    out["acknowledged_events_lost"] = sum(max(0, a.batch - stored.get(i, 0)) for i in acked)
    out["stored_events_of_unacknowledged_batches"] = sum(c for i, c in stored.items() if i not in acked)
print(json.dumps(out, indent=1))
