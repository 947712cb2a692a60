#!/usr/bin/env bash
# Durable acknowledgements: HTTP ingestion (batches of BATCH events, 8 connections, wrk) against
#   today   - a build given as TODAY_MERX (before group commit: synchronous=NORMAL, one commit per request)
#   normal  - this build, merx serve --durability normal (group commit, no fsync per commit)
#   full    - this build, merx serve --durability full (the default: group commit, fsync per commit)
# interleaved ROUNDS times, each run on a fresh copy of the store STORE after a 5 s warm-up. Prints one line per run
# (events ingested: counted by the server during the measured seconds).
# usage: TODAY_MERX="dotnet /path/merx.dll" bench/scripts/durability-ab.sh STORE USERS ITEMS [PORT] [ROUNDS] [SECONDS]
set -euo pipefail
store=$1; users=$2; items=$3; port=${4:-5400}; rounds=${5:-3}; secs=${6:-15}
here=$(cd "$(dirname "$0")/.." && pwd); root=$(dirname "$here")
merx=${MERX:-"dotnet $root/src/Merx.Cli/bin/Release/net10.0/merx.dll"}
today=${TODAY_MERX:?set TODAY_MERX to the merx command of the build to compare with}
export MERX_API_KEY=${MERX_API_KEY:-bench-key} USERS=$users ITEMS=$items BATCH=${BATCH:-100}
work=$(mktemp -d /tmp/durability-ab.XXXXXX)
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT
url=http://127.0.0.1:$port
echo "# durability A/B: $(date -u +%FT%TZ), store $store, batches of $BATCH, 8 connections, ${secs} s per run, $rounds rounds; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$rounds"); do
  for variant in today normal full; do
    cp "$store" "$work/s.db"; rm -f "$work/s.db-wal" "$work/s.db-shm"
    case $variant in
      today) cmd="$today serve --db $work/s.db --urls $url --rate-limit 1000000" ;;
      *) cmd="$merx serve --db $work/s.db --urls $url --rate-limit 1000000 --durability $variant --max-in-flight 0" ;;
    esac
    $cmd > "$work/serve.out" 2>&1 &
    server=$!
    for _ in $(seq 1 300); do curl -sf "$url/health/live" > /dev/null && break; sleep 1; done
    wrk -t1 -c8 -d5s -s "$here/wrk/events.lua" "$url" > /dev/null   # warm-up (JIT tiers, page cache)
    curl -s "$url/metrics" | awk '/^merx_events_ingested_total/ {print $2}' > "$work/warm"
    out=$(wrk -t1 -c8 -d"${secs}s" --latency -s "$here/wrk/events.lua" "$url")
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
    non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
    ingested=$(( $(curl -s "$url/metrics" | awk '/^merx_events_ingested_total/ {print $2}') - $(cat "$work/warm") ))
    kill "$server"; wait "$server" 2>/dev/null || true; server=
    echo "round $round $variant: requests/s $rps, events/s $(awk -v r="$rps" -v b="$BATCH" 'BEGIN {printf "%.0f", r * b}'), p99 $p99, non-2xx ${non2xx:-0}, events ingested $ingested, load $(cut -d' ' -f1 /proc/loadavg)"
  done
done
