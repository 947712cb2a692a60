#!/usr/bin/env bash
# Bytes and CPU the server spends per recommendation: starts `merx serve` on DB (a copy: serving writes to it), a 20 s
# warm-up with wrk (8 connections, bench/wrk/recommend.lua), then 20 s more, and divides the growth of the runtime's
# dotnet_gc_heap_total_allocated_bytes_total, and of the process's user + system CPU time (/proc/PID/stat), by the
# recommendation requests counted in between (ASP.NET Core's request histogram). Background work (the served log's
# writer, caches, the collector) is counted in, as it is in production.
# usage: USERS=N [MERX=...] bench/alloc-per-request.sh DB [PORT]     (MERX_API_KEY, MERX_PSEUDONYM_KEY exported)
set -euo pipefail
db=$1; port=${2:-5571}
here=$(cd "$(dirname "$0")" && pwd); root=$(dirname "$here")
merx=${MERX:-"dotnet $root/src/Merx.Cli/bin/Release/net10.0/merx.dll"}
url=http://127.0.0.1:$port
command -v wrk > /dev/null || { echo "alloc-per-request.sh: wrk is not installed (Debian: apt-get install wrk)" >&2; exit 2; }
$merx serve --db "$db" --urls "$url" --rate-limit 1000000 > "/tmp/alloc-per-request-$port.out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -sf "$url/health/ready" > /dev/null && break; sleep 1; done
# "allocated_bytes requests" from /metrics
sample() {
  curl -s "$url/metrics" | awk '/^dotnet_gc_heap_total_allocated_bytes_total/ {a = $2}
    /^http_server_request_duration_seconds_count/ && /recommendations/ {n += $2}
    END {printf "%.0f %.0f\n", a, n}'
}
wrk -t1 -c8 -d20s -s "$here/wrk/recommend.lua" "$url" > /dev/null
cpu() { sed 's/.*) //' "/proc/$server/stat" | awk '{print $12 + $13}'; }
read -r a0 n0 < <(sample); c0=$(cpu)
wrk -t1 -c8 -d20s -s "$here/wrk/recommend.lua" "$url" | grep -E "Requests/sec"
read -r a1 n1 < <(sample); c1=$(cpu)
echo "allocated $(( (a1 - a0) / 1048576 )) MB over $(( n1 - n0 )) recommendations: $(( (a1 - a0) / (n1 - n0) / 1024 )) KB per recommendation"
awk -v c="$(( c1 - c0 ))" -v hz="$(getconf CLK_TCK)" -v n="$(( n1 - n0 ))" 'BEGIN {printf "CPU %.1f s over %d recommendations: %.3f ms per recommendation\n", c / hz, n, 1000 * c / hz / n}'
