#!/usr/bin/env bash
# Quiet machine, before (344e91a) vs after (this session's main), interleaved: max recommendation throughput (32 conn.) and ingestion (batches of 100), 20 s each after a 15 s warm-up.
export MERX_PSEUDONYM_KEY="v1:bench-key-0123456789abcdef0123456789abcdef" MERX_API_KEY=bench-key USERS=50000 ITEMS=100000 BATCH=100
for run in 1 2 3; do
  for variant in before after; do
    if [ $variant = before ]; then bin=/tmp/before-src/src/Merx.Cli/bin/Release/net10.0/merx.dll; src=/tmp/bench/g100k-before.db; else bin=/tmp/x-with/merx.dll; src=/tmp/bench/g100k-after.db; fi
    cp $src /tmp/bench/q.db; rm -f /tmp/bench/q.db-wal /tmp/bench/q.db-shm
    dotnet $bin serve --db /tmp/bench/q.db --urls http://127.0.0.1:5095 --rate-limit 1000000 > /tmp/q-serve.out 2>&1 &
    pid=$!
    for _ in $(seq 1 120); do curl -sf http://127.0.0.1:5095/health/ready > /dev/null && break; sleep 1; done
    load=$(cut -d' ' -f1 /proc/loadavg)
    wrk -t1 -c8 -d15s -s /work/main/bench/wrk/recommend.lua http://127.0.0.1:5095 > /dev/null 2>&1
    rec=$(wrk -t1 -c32 -d20s --latency -s /work/main/bench/wrk/recommend.lua http://127.0.0.1:5095 | awk '/Requests\/sec/{r=$2} / 99%/{p=$2} END{print r, p}')
    ing=$(wrk -t1 -c8 -d20s -s /work/main/bench/wrk/events.lua http://127.0.0.1:5095 | awk '/Requests\/sec/{print $2*100}')
    echo "run $run $variant load $load | max rec req/s, p99: $rec | ingestion events/s: $ing"
    kill $pid; wait $pid 2>/dev/null
  done
done
