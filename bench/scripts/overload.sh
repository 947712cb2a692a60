#!/usr/bin/env bash
# Overload shedding: the recommendation endpoint of `merx serve` (wrk on loopback) is measured
#   1. unloaded: 4 connections, each waiting 20 ms after every answer (the p99 to keep),
#   2. at its maximum: closed loop, 16 connections (max req/s),
#   3. at 3 × that offered: C connections each sending D = 10 ms after every answer, C chosen by Little's
#      law for 3 × max (C = 3 × max × (D + 16 / max)); what was offered is measured and printed, with the admission gate at --max-in-flight LIMIT, then without it (0),
#   4. recovery: the unloaded rate again right after the overload;
# while /health/live is probed every 200 ms and the server's RSS is sampled every 0.5 s.
# usage: bench/scripts/overload.sh STORE USERS [PORT=5430] [LIMIT=16] [SECONDS=20]
set -euo pipefail
store=$1; users=$2; port=${3:-5430}; limit=${4:-16}; secs=${5:-20}
here=$(cd "$(dirname "$0")/.." && pwd); root=$(dirname "$here")
merx=${MERX:-"dotnet $root/src/Merx.Cli/bin/Release/net10.0/merx.dll"}
export USERS=$users WRK_DIR=$here/wrk MERX_API_KEY=${MERX_API_KEY:-bench-key}
url=http://127.0.0.1:$port
server=; sampler=; prober=
cleanup() { for p in $prober $sampler $server; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
work=$(mktemp -d /tmp/overload.XXXXXX)

start() {  # start LIMIT
  $merx serve --db "$store" --urls "$url" --rate-limit 1000000 --max-in-flight "$1" > "$work/serve.out" 2>&1 &
  server=$!
  for _ in $(seq 1 300); do curl -sf "$url/health/ready" > /dev/null && break; sleep 1; done
}
stop() { kill "$server"; wait "$server" 2>/dev/null || true; server=; }
watch() {  # watch NAME: probes /health/live and samples RSS until unwatch
  (while :; do curl -s -o /dev/null -m 5 -w "%{http_code} %{time_total}\n" "$url/health/live" >> "$work/$1.health" || echo "000 5" >> "$work/$1.health"; sleep 0.2; done) &
  prober=$!
  (while :; do awk '/VmRSS/ {print $2}' "/proc/$server/status" >> "$work/$1.rss" 2>/dev/null; sleep 0.5; done) &
  sampler=$!
}
unwatch() {  # unwatch NAME: prints the probe and RSS summary
  kill "$prober" "$sampler" 2>/dev/null || true; wait "$prober" "$sampler" 2>/dev/null || true; prober=; sampler=
  awk '{n++; if ($1 != "200") bad++; if ($2 > max) max = $2} END {printf "  /health/live: %d probes, %d not 200, slowest %.0f ms\n", n, bad, max * 1000}' "$work/$1.health"
  sort -n "$work/$1.rss" | awk '{a[NR] = $1} END {printf "  RSS: max %.0f MiB over %d samples\n", a[NR] / 1024, NR}'
}
run() {  # run NAME CONNECTIONS DELAY_MS
  watch "$1"
  echo "## $1: $2 connections, ${3} ms between requests per connection, ${secs} s"
  DELAY_MS=$3 wrk -t"$(( $2 < 2 ? 1 : 2 ))" -c"$2" -d"${secs}s" --latency --timeout 10s -s "$here/wrk/overload.lua" "$url" | grep -E "offered|Latency  |99%|Non-2xx"
  unwatch "$1"
}

echo "# overload: $(date -u +%FT%TZ), store $store, gate $limit, ${secs} s per phase; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
start "$limit"
wrk -t1 -c8 -d20s -s "$here/wrk/recommend.lua" "$url" > /dev/null   # warm-up (tiered JIT)
run unloaded 4 20
watch max
echo "## maximum: closed loop, 16 connections, ${secs} s"
out=$(wrk -t2 -c16 -d"${secs}s" --latency -s "$here/wrk/overload.lua" "$url"); echo "$out" | grep -E "offered|99%"
unwatch max
max=$(echo "$out" | awk '/^offered/ {print $2}')
# Little's law: a connection spends DELAY plus the answer's latency (16 / max s at the maximum) per request.
delay=10; conns=$(awk -v m="$max" -v d="$delay" 'BEGIN {c = int(3 * m * d / 1000 + 3 * 16 + 0.999); print (c < 1 ? 1 : c)}')
echo "# 3 x max = $(awk -v m="$max" 'BEGIN {printf "%.0f", 3 * m}') req/s offered: $conns connections every $delay ms"
run "overload-gate-$limit" "$conns" "$delay"
run "recovery-gate-$limit" 4 20
stop
start 0
wrk -t1 -c8 -d20s -s "$here/wrk/recommend.lua" "$url" > /dev/null
run "overload-no-gate" "$conns" "$delay"
run "recovery-no-gate" 4 20
stop
