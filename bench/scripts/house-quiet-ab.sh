#!/usr/bin/env bash
# Two builds of merx, interleaved on one machine: maximum recommendation throughput (32 connections)
# and ingestion (batches of 100, 8 connections), 20 s each after a 15 s warm-up, three rounds; each run
# on a fresh copy of its store. Prints one line per run (bench/results/house-quiet-ab.log).
# usage: bench/scripts/house-quiet-ab.sh BEFORE_MERX_DLL BEFORE_DB AFTER_MERX_DLL AFTER_DB [USERS ITEMS]
set -u
before_dll=$1; before_db=$2; after_dll=$3; after_db=$4
here=$(cd "$(dirname "$0")/.." && pwd)
export MERX_PSEUDONYM_KEY=${MERX_PSEUDONYM_KEY:-"v1:bench-key-0123456789abcdef0123456789abcdef"} MERX_API_KEY=${MERX_API_KEY:-bench-key}
export USERS=${5:-50000} ITEMS=${6:-100000} BATCH=100
work=$(mktemp -d); url=http://127.0.0.1:5095
trap 'rm -rf "$work"' EXIT
for run in 1 2 3; do
  for variant in before after; do
    if [ $variant = before ]; then dll=$before_dll; db=$before_db; else dll=$after_dll; db=$after_db; fi
    cp "$db" "$work/q.db"; rm -f "$work/q.db-wal" "$work/q.db-shm"
    dotnet "$dll" serve --db "$work/q.db" --urls $url --rate-limit 1000000 > "$work/serve.out" 2>&1 &
    pid=$!
    for _ in $(seq 1 120); do curl -sf $url/health/ready > /dev/null && break; sleep 1; done
    load=$(cut -d' ' -f1 /proc/loadavg)
    wrk -t1 -c8 -d15s -s "$here/wrk/recommend.lua" $url > /dev/null 2>&1
    rec=$(wrk -t1 -c32 -d20s --latency -s "$here/wrk/recommend.lua" $url | awk '/Requests\/sec/{r=$2} / 99%/{p=$2} END{print r, p}')
    ing=$(wrk -t1 -c8 -d20s -s "$here/wrk/events.lua" $url | awk '/Requests\/sec/{print $2*100}')
    echo "run $run $variant load $load | max rec req/s, p99: $rec | ingestion events/s: $ing"
    kill $pid; wait $pid 2>/dev/null
  done
done
