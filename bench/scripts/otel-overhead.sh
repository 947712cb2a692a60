#!/usr/bin/env bash
# Cost of OpenTelemetry per recommendation request (issue 22), interleaved: two `merx serve` processes over
# copies of one demo store, A as shipped (metrics only: /metrics through the Prometheus exporter; no tracer)
# and B with a collector configured (OTEL_EXPORTER_OTLP_ENDPOINT: every request, pipeline stage and store
# call becomes a span, exported by OTLP/HTTP to a local sink that answers 200). wrk, closed loop,
# 8 connections, ROUNDS × (A SECONDS s, B SECONDS s) after a warm-up of each; medians of requests/s and p50.
# usage: [PORT=5510] bench/scripts/otel-overhead.sh [ROUNDS=3] [SECONDS=10]   (ports PORT..PORT+2; writes bench/results/otel-overhead.log)
set -euo pipefail
rounds=${1:-3}; seconds=${2:-10}; pa=${PORT:-5510}; pb=$((pa + 1)); ps=$((pa + 2))
root=$(cd "$(dirname "$0")/../.." && pwd)
merx="dotnet $root/src/Merx.Cli/bin/Release/net10.0/merx.dll"
work=${WORK:-/tmp/merx-otel-overhead}
log=$root/bench/results/otel-overhead.log
export MERX_API_KEY=otel-bench-key USERS=2000
mkdir -p "$work"
[ -f "$work/demo/merx.db" ] || $merx demo --dir "$work/demo" --users 2000 --items 1000 --events 60000 --time-budget 0.5 --seed 7 --no-serve > "$work/demo.out" 2>&1
for s in a b; do rm -rf "$work/$s"; mkdir -p "$work/$s"; cp "$work/demo/merx.db" "$work/demo/merx.db.pseudonym.key" "$work/$s/"; done
rm -f "$work/sink.count"
python3 -c '
import http.server, sys
n = {}
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        size = len(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        n[self.path] = n.get(self.path, 0) + size
        open(sys.argv[1], "w").write(" ".join(f"{k}={v}B" for k, v in sorted(n.items())))
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), H).serve_forever()' "$work/sink.count" $ps &
sink=$!
(cd "$work/a" && exec $merx serve --db merx.db --urls http://127.0.0.1:$pa --rate-limit 1000000 > serve.out 2>&1) &
a=$!
(cd "$work/b" && OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$ps OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf exec $merx serve --db merx.db --urls http://127.0.0.1:$pb --rate-limit 1000000 > serve.out 2>&1) &
b=$!
trap 'kill $a $b $sink 2>/dev/null || true' EXIT
for port in $pa $pb; do for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/health/ready" > /dev/null && break; sleep 1; done; done
run() { wrk -t1 -c8 -d${seconds}s --latency -s "$root/bench/wrk/recommend.lua" "http://127.0.0.1:$1" | awk '/Requests\/sec/ {r=$2} /^ +50%/ {p=$2} END {print r, p}'; }
{
  echo "# otel-overhead: $(date -u +%FT%TZ), bench/scripts/otel-overhead.sh $rounds $seconds; demo store 2,000 users, 1,000 items, 60,000 events, seed 7"
  echo "# machine: $(nproc) cores shared with other work; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# A = as shipped (OTel metrics, no tracer); B = OTLP collector configured (spans per request, stage, store call, exported)"
  run $pa > /dev/null; run $pb > /dev/null   # warm-up
  for r in $(seq 1 "$rounds"); do echo "A $r $(run $pa)"; echo "B $r $(run $pb)"; done
  sleep 6   # the batch exporters send every 5 s
  echo "# bytes of OTLP the sink received from B, by signal: $(cat "$work/sink.count" 2>/dev/null || echo none)"
} | tee "$log"
