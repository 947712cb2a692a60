#!/usr/bin/env bash
# The issue-18 load matrix at one shop: for each configuration named, start it, run load-bench.sh, stop it.
#   sqlite  one `merx serve` over the SQLite file, wrk straight at it
#   pgN     N `merx serve` replicas over the PostgreSQL database, behind nginx (bench/scaleout/nginx-merx.conf
#           with this run's ports), wrk at nginx
# Logs: bench/results/scaleout-load-CONFIG.log. Ports: BASE (nginx), BASE+1… (replicas), BASE+10 (sqlite).
# Usage: load-matrix.sh SQLITE_DB PG_URL PGDATA CONFIG...   (MERX_API_KEY, MERX_PSEUDONYM_KEY, USERS, ITEMS exported)
set -uo pipefail
sqlite=$1; pg=$2; pgdata=$3; shift 3
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
merx="dotnet $root/src/Merx.Cli/bin/Release/net10.0/merx.dll"
base=${BASE:-5500}; work=${WORK:-/tmp/merx-load}; mkdir -p "$work"
. "$here/lib.sh"
for cfg in "$@"; do
  pids=()
  if [ "$cfg" = sqlite ]; then
    url=http://127.0.0.1:$((base + 10))
    $merx serve --db "$sqlite" --urls "$url" --rate-limit 1000000 > "$work/serve-sqlite.out" 2>&1 & pids+=($!)
    ready "$url" && "$here/load-bench.sh" sqlite "$url" "${pids[*]}" | tee "$root/bench/results/scaleout-load-sqlite.log"
  else
    n=${cfg#pg}; servers=""
    for i in $(seq 1 "$n"); do
      port=$((base + i))
      $merx serve --db "$pg" --urls "http://127.0.0.1:$port" --rate-limit 1000000 > "$work/serve-$cfg-$i.out" 2>&1 & pids+=($!)
      servers+="        server 127.0.0.1:$port max_fails=1 fail_timeout=10s;\n"
    done
    for i in $(seq 1 "$n"); do ready "http://127.0.0.1:$((base + i))"; done
    mkdir -p "$work/nginx-$cfg"
    sed -e '/server 127.0.0.1:528[0-9] /d' -e "s|upstream merx {|upstream merx {\n$servers|" -e "s|listen 127.0.0.1:5280;|listen 127.0.0.1:$base;|" \
      "$here/nginx-merx.conf" > "$work/nginx-$cfg/nginx.conf"
    nginx -p "$work/nginx-$cfg" -c "$work/nginx-$cfg/nginx.conf"
    sleep 1
    ngx=$(pgrep -P "$(cat "$work/nginx-$cfg/merx-nginx.pid")" | tr '\n' ' ')" $(cat "$work/nginx-$cfg/merx-nginx.pid")"
    "$here/load-bench.sh" "$cfg" "http://127.0.0.1:$base" "${pids[*]}" "$pgdata" "$ngx" | tee "$root/bench/results/scaleout-load-$cfg.log"
    nginx -p "$work/nginx-$cfg" -c "$work/nginx-$cfg/nginx.conf" -s stop
  fi
  for p in "${pids[@]}"; do kill "$p"; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
done
