#!/usr/bin/env bash
# Load figures of one serving set-up (issue 18): wrk (Debian's) on loopback against URL, and the CPU time
# spent by the Merx processes, the PostgreSQL cluster and nginx during each phase (from /proc: utime+stime
# of the given processes; for PostgreSQL the postmaster's own and its exited children's time plus every
# live backend's), divided by the requests (or events) answered with 2xx.
#  1. warm-up, closed loop, 8 connections, WARMUP s (default 20)
#  2. ≈ 500 requests/s: 10 connections each waiting 16 ms after every answer, 20 s, with latency percentiles
#  3. maximum throughput: 32 connections, closed loop, 20 s
#  4. ingestion: POST batches of 100 view events, 8 connections, 15 s
# Usage: load-bench.sh LABEL URL "MERX_PIDS" [PGDATA] ["NGINX_PIDS"]   (USERS, ITEMS, MERX_API_KEY from the environment)
set -uo pipefail
label=$1; url=$2; merx_pids=$3; pgdata=${4:-}; nginx_pids=${5:-}
command -v wrk > /dev/null || { echo "load-bench.sh: wrk is not installed (Debian: apt-get install wrk)" >&2; exit 2; }
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scaleout/lib.sh"
tick_ms=$((1000 / $(getconf CLK_TCK)))
ticks() { local t=0 p; for p in "$@"; do [ -r "/proc/$p/stat" ] && t=$((t + $(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12+$13}'))); done; echo "$t"; }
pg_ticks() {
  [ -n "$pgdata" ] || { echo 0; return; }
  local pm t c; pm=$(head -1 "$pgdata/postmaster.pid")
  t=$(sed 's/.*) //' "/proc/$pm/stat" | awk '{print $12+$13+$14+$15}')
  for c in $(ps -o pid= --ppid "$pm"); do t=$((t + $(ticks "$c"))); done
  echo "$t"
}
phase() { # NAME UNIT_PER_REQUEST WRK_ARGS...
  local name=$1 per=$2; shift 2
  local m0 p0 n0 m1 p1 n1 out ok
  m0=$(ticks $merx_pids); p0=$(pg_ticks); n0=$(ticks $nginx_pids)
  out=$(wrk "$@" 2>&1)
  m1=$(ticks $merx_pids); p1=$(pg_ticks); n1=$(ticks $nginx_pids)
  echo "## $name: wrk $*"
  echo "$out"
  ok=$(answered_2xx "$out")
  awk -v n="$name" -v ok="$ok" -v per="$per" -v m=$(((m1 - m0) * tick_ms)) -v p=$(((p1 - p0) * tick_ms)) -v x=$(((n1 - n0) * tick_ms)) 'BEGIN {
    u = ok * per; if (u == 0) u = 1
    printf "cpu %s: merx %d ms, postgres %d ms, nginx %d ms over %d 2xx answers (%d units); per unit: merx %.3f ms, postgres %.3f ms, nginx %.3f ms, total %.3f ms\n", n, m, p, x, ok, ok * per, m / u, p / u, x / u, (m + p + x) / u }'
}
{
  echo "# load figures $label: $(date -u +%FT%TZ), $url; merx pids $merx_pids; pgdata ${pgdata:-none}; nginx ${nginx_pids:-none}"
  echo "# machine: $(nproc) cores shared with other sessions; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  phase warm-up 1 -t1 -c8 -d"${WARMUP:-20}"s -s "$here/wrk/recommend.lua" "$url"
  DELAY_MS=16 phase fixed-500 1 -t1 -c10 -d20s --latency -s "$here/wrk/recommend.lua" "$url"
  phase max 1 -t1 -c32 -d20s --latency -s "$here/wrk/recommend.lua" "$url"
  BATCH=100 phase ingest 100 -t1 -c8 -d15s --latency -s "$here/wrk/events.lua" "$url"
  echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  for p in $merx_pids; do [ -r "/proc/$p/status" ] && echo "# merx memory $p: $(awk '/VmRSS|VmHWM/{printf "%s %.2f GB ", $1, $2 / 1048576}' "/proc/$p/status")"; done
}
