#!/usr/bin/env bash
# The database's time per recommendation (issue 18): one `merx serve` over a PostgreSQL store, wrk with 4
# connections for 15 s to warm up, pg_stat_statements reset, wrk 4 connections 20 s, then the planning and
# execution time of every statement divided by the 2xx answers, and the six costliest statements
# (calls, plans, mean plan ms, mean execution ms). The cluster needs shared_preload_libraries=pg_stat_statements,
# `CREATE EXTENSION pg_stat_statements` in the database and pg_stat_statements.track_planning=on.
# Usage: db-time.sh LABEL MERX_DLL PG_URL PORT   (MERX_API_KEY, MERX_PSEUDONYM_KEY, USERS, ITEMS exported)
set -uo pipefail
label=$1; dll=$2; db=$3; port=$4
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/bench/scaleout/lib.sh"
command -v wrk > /dev/null || { echo "db-time.sh: wrk is not installed (Debian: apt-get install wrk)" >&2; exit 2; }
P="psql $db -qAt"
dotnet "$dll" serve --db "$db" --urls "http://127.0.0.1:$port" --rate-limit 1000000 > "${TMPDIR:-/tmp}/db-time-$label.out" 2>&1 &
pid=$!
ready "http://127.0.0.1:$port" || { kill "$pid"; exit 1; }
wrk -t1 -c4 -d15s -s "$root/bench/wrk/recommend.lua" "http://127.0.0.1:$port" > /dev/null
$P -c "SELECT pg_stat_statements_reset()" > /dev/null
out=$(wrk -t1 -c4 -d20s --latency -s "$root/bench/wrk/recommend.lua" "http://127.0.0.1:$port")
ok=$(answered_2xx "$out")
mine="dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
echo "# $label $(date -u +%FT%TZ) $dll: $ok 2xx answers in 20 s"
echo "$out" | grep -E "Latency|50%|99%|Requests/sec"
$P -c "SELECT 'per request: plan ' || round((sum(total_plan_time) / $ok)::numeric, 3) || ' ms, execute ' || round((sum(total_exec_time) / $ok)::numeric, 3) || ' ms, statements ' || round(sum(calls)::numeric / $ok, 2) FROM pg_stat_statements WHERE $mine"
$P -F' | ' -c "SELECT calls, plans, round(mean_plan_time::numeric, 3), round(mean_exec_time::numeric, 3), left(regexp_replace(query, '\s+', ' ', 'g'), 90) FROM pg_stat_statements WHERE $mine ORDER BY total_plan_time + total_exec_time DESC LIMIT 6"
kill "$pid"; wait "$pid" 2>/dev/null
