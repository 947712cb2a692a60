#!/usr/bin/env bash
# HTTP event ingestion with and without the HMAC (issue #7): one `merx serve` on a generated shop,
# wrk POSTing batches of BATCH view events, alternating between the shop's ids ("u<N>": hashed by the
# server) and their pseudonyms (already in the stored form: passed through without an HMAC), ROUNDS
# rounds of SECONDS each. Everything else (JSON, validation, scrubbing, the store append) is the same
# in both. Appends the wrk summaries to bench/results/pseudonymize-http.log.
# usage: bench/scripts/pseudonymize-http.sh [USERS] [ITEMS] [EVENTS] [PORT]
set -euo pipefail
users=${1:-20000}; items=${2:-10000}; events=${3:-200000}; port=${4:-5097}
here=$(cd "$(dirname "$0")" && pwd); root=$(dirname "$(dirname "$here")")
merx="dotnet $root/src/Merx.Cli/bin/Release/net10.0/merx.dll"
rounds=${ROUNDS:-3}; seconds=${SECONDS_PER_RUN:-15}; batch=${BATCH:-100}
work=$(mktemp -d /tmp/merx-pseudonymize-http-XXXXXX)
log=$root/bench/results/pseudonymize-http.log
url=http://127.0.0.1:$port
export MERX_API_KEY=bench-key ITEMS=$items BATCH=$batch
unset MERX_PSEUDONYM_KEY
$merx generate --users "$users" --items "$items" --events "$events" --seed 42 --out "$work/shop" > /dev/null
$merx import --data "$work/shop" --db "$work/shop.db" > /dev/null 2>&1   # development mode: key file beside the store
seq 0 $((users - 1)) | sed 's/^/u/' > "$work/raw.txt"
$merx pseudonym --db "$work/shop.db" --ids "$work/raw.txt" | cut -f2 > "$work/pseudonyms.txt"
$merx serve --db "$work/shop.db" --urls "$url" --rate-limit 1000000 > "$work/serve.out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 300); do curl -sf "$url/health/live" > /dev/null && break; sleep 1; done
{
  echo "# HTTP ingestion with and without the HMAC: $(date -u +%FT%TZ); shop of $users users, $items items, $events events; batches of $batch; $rounds rounds of $seconds s, 8 connections"
  echo "# command: bench/scripts/pseudonymize-http.sh $users $items $events $port (ROUNDS=$rounds SECONDS_PER_RUN=$seconds BATCH=$batch)"
  echo "# machine: $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "## warm-up (shop ids, 10 s)"
  USER_FILE=$work/raw.txt wrk -t1 -c8 -d10s -s "$root/bench/wrk/events.lua" "$url" | grep -E "Requests/sec"
  for r in $(seq 1 "$rounds"); do
    echo "## round $r: shop ids (hashed by the server)"
    USER_FILE=$work/raw.txt wrk -t1 -c8 -d${seconds}s --latency -s "$root/bench/wrk/events.lua" "$url" | grep -E "Requests/sec|50%|99%|Non-2xx"
    echo "## round $r: pseudonyms (no HMAC)"
    USER_FILE=$work/pseudonyms.txt wrk -t1 -c8 -d${seconds}s --latency -s "$root/bench/wrk/events.lua" "$url" | grep -E "Requests/sec|50%|99%|Non-2xx"
  done
  curl -s "$url/metrics" | grep -E "^merx_events_ingested_total"
} 2>&1 | tee -a "$log"
