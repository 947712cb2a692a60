#!/usr/bin/env bash
# Serving benchmark for one store: starts `merx serve`, then with wrk (Debian's package) on loopback
#  1. a warm-up (40 s),
#  2. the recommendation endpoint at about 500 requests/s (10 connections, each waiting 16 ms after
#     every answer: 10 × 1000 / (16 + latency) requests/s; wrk measures from each request's send), then the same with
#     waits drawn from an exponential distribution of mean 16 ms (ARRIVALS=poisson: independent visitors, no bursts),
#  3. the recommendation endpoint at maximum throughput (closed loop, 32 connections),
#  4. batched event ingestion (BATCH events per POST),
#  5. freshness (bench command `freshness`),
# and appends everything to bench/results/serving-LABEL.log.
# usage: bench/serve-bench.sh DB LABEL USERS ITEMS [PORT]
set -euo pipefail
db=$1; label=$2; users=$3; items=$4; port=${5:-5099}
here=$(cd "$(dirname "$0")" && pwd); root=$(dirname "$here")
merx=${MERX:-"dotnet $root/src/Merx.Cli/bin/Release/net10.0/merx.dll"}
bench=${BENCH:-"dotnet $root/bench/Merx.Benchmarks/bin/Release/net10.0/Merx.Benchmarks.dll"}
log=$root/bench/results/serving-$label.log
url=http://127.0.0.1:$port
export MERX_API_KEY=${MERX_API_KEY:-bench-key} USERS=$users ITEMS=$items
$merx serve --db "$db" --urls "$url" --rate-limit 1000000 > "/tmp/serve-$label.out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -sf "$url/health/ready" > /dev/null && break; sleep 1; done
# After each phase: the server's resident memory now and at its peak, GC pauses and collections, the thread pool's
# queue, requests in flight and shed (counters since the start).
snapshot() {
  echo "# after $1: $(awk '/VmRSS|VmHWM/{printf "%s %.2f GB ", $1, $2 / 1048576}' /proc/$server/status)$(curl -s "$url/metrics" | grep -E '^(dotnet_gc_pause_time_seconds_total|dotnet_gc_collections_total|dotnet_thread_pool_queue_length|dotnet_process_memory_working_set_bytes|merx_http_requests_in_flight|merx_requests_shed_total)' | sed -E 's/\{[^}]*gc_heap_generation="([^"]*)"[^}]*\}/[\1]/; s/\{[^}]*reason="([^"]*)"[^}]*\}/[\1]/; s/\{[^}]*\}//; s/ [0-9]{13}$//' | tr '\n' ' ')"
}
{
  echo "# serving benchmark $label: $(date -u +%FT%TZ), store $db ($users users, $items items)"
  echo "# machine: $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  curl -s "$url/health/ready"; echo
  echo "## warm-up (40 s, closed loop: the JIT's tiered compilation needs a few thousand requests to reach optimized code)"
  wrk -t1 -c8 -d40s -s "$here/wrk/recommend.lua" "$url" | tail -4
  snapshot warm-up
  echo "## fixed rate ≈ 500 req/s: 10 connections, each waiting 16 ms after every answer, 30 s"
  DELAY_MS=16 wrk -t1 -c10 -d30s --latency -s "$here/wrk/recommend.lua" "$url"
  snapshot "fixed rate"
  echo "## fixed rate ≈ 500 req/s with random waits: 10 connections, each waiting an exponential time of mean 16 ms, 30 s"
  ARRIVALS=poisson DELAY_MS=16 wrk -t1 -c10 -d30s --latency -s "$here/wrk/recommend.lua" "$url"
  snapshot "fixed rate, random waits"
  echo "## maximum throughput: 32 connections, 30 s"
  wrk -t1 -c32 -d30s --latency -s "$here/wrk/recommend.lua" "$url"
  snapshot "maximum throughput"
  echo "## event ingestion: POST batches of 100 events, 8 connections, 20 s"
  BATCH=100 wrk -t1 -c8 -d20s --latency -s "$here/wrk/events.lua" "$url"
  snapshot ingestion
  echo "## freshness"
  $bench freshness --url "$url" --key "$MERX_API_KEY" --users 200 --user-ids "$users" || true
  snapshot freshness
  echo "## paths taken (fast/fallback answers)"
  curl -s "$url/metrics" | grep -E "merx_recommendations_degraded_total|merx_events_ingested_total"
} 2>&1 | tee "$log"
