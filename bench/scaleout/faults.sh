#!/usr/bin/env bash
# The issue-18 fault runs under load, with bench/scaleout/loadgen.py as the open-loop client.
#   failover PG_URL          three replicas behind nginx (ports BASE+1..3, nginx BASE), warm-up, then
#                            RATE (default 300) recommendation requests/s for 40 s; replica 2 gets SIGKILL at 15 s
#   restart  PG_URL PGDATA   one replica (port BASE+20), 20 POSTs/s of 100 events for 40 s; PostgreSQL is
#                            stopped (-m fast) at 10 s and started 5 s later (PGCTL_START: how to start it);
#                            then every acknowledged batch is looked up in the database (PSQL: how to reach it)
# Prints loadgen.py's JSON. MERX_API_KEY, MERX_PSEUDONYM_KEY, USERS exported.
set -uo pipefail
what=$1; pg=$2
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
merx="dotnet $root/src/Merx.Cli/bin/Release/net10.0/merx.dll"
base=${BASE:-5500}; work=${WORK:-/tmp/merx-load}; mkdir -p "$work"
. "$here/lib.sh"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done' EXIT
if [ "$what" = failover ]; then
  for i in 1 2 3; do
    $merx serve --db "$pg" --urls "http://127.0.0.1:$((base + i))" --rate-limit 1000000 > "$work/serve-failover-$i.out" 2>&1 & pids+=($!)
  done
  for i in 1 2 3; do ready "http://127.0.0.1:$((base + i))"; done
  mkdir -p "$work/nginx-failover"
  servers=""; for i in 1 2 3; do servers+="        server 127.0.0.1:$((base + i)) max_fails=1 fail_timeout=10s;\n"; done
  sed -e '/server 127.0.0.1:528[0-9] /d' -e "s|upstream merx {|upstream merx {\n$servers|" -e "s|listen 127.0.0.1:5280;|listen 127.0.0.1:$base;|" \
    "$here/nginx-merx.conf" > "$work/nginx-failover/nginx.conf"
  nginx -p "$work/nginx-failover" -c "$work/nginx-failover/nginx.conf"; sleep 1
  wrk -t1 -c8 -d20s -s "$root/bench/wrk/recommend.lua" "http://127.0.0.1:$base" > /dev/null   # warm-up
  python3 "$here/loadgen.py" "http://127.0.0.1:$base" recommend "${RATE:-300}" 40 --users "${USERS:-50000}" --at 15 --action "kill -9 ${pids[1]}"
  nginx -p "$work/nginx-failover" -c "$work/nginx-failover/nginx.conf" -s stop
else
  pgdata=$3; url=http://127.0.0.1:$((base + 20))
  $merx serve --db "$pg" --urls "$url" --rate-limit 1000000 > "$work/serve-restart.out" 2>&1 & pids+=($!)
  ready "$url"
  python3 "$here/loadgen.py" "$url" events 20 40 --users "${USERS:-50000}" --at 10 \
    --action "su postgres -c 'pg_ctl -D $pgdata stop -m fast' > $work/pg-stop.out 2>&1; sleep 5; ${PGCTL_START:?say how to start PostgreSQL} > $work/pg-start.out 2>&1" \
    --check-psql "${PSQL:?say how to reach the database with psql}"
fi
