#!/usr/bin/env bash
# Issue 18's bulk-import figure: generate a 10M-event shop (1M items, 200k users, seed 42), import it into a
# fresh SQLite file and then a fresh PostgreSQL database, time both, and check that `merx stats` gives the same
# users / items / events for both. Needs `dotnet build src/Merx.Cli -c Release` first.
#   WORK=/tmp/merx-import10m PG=postgres://postgres@127.0.0.1:55432 bench/scaleout/import-10m.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
W=${WORK:-/tmp/merx-import10m}
PG=${PG:-postgres://postgres@127.0.0.1:55432}
M="dotnet src/Merx.Cli/bin/Release/net10.0/merx.dll"
export MERX_PSEUDONYM_KEY="v1:import10m-bench-key-0123456789abcdefghijk"
mkdir -p "$W"
echo "load at start: $(cat /proc/loadavg) ($(date -u))"
[ -d "$W/gen10m" ] || /usr/bin/time -f "generate: wall %e s, peak RSS %M KB" $M generate --users 200000 --items 1000000 --events 10000000 --seed 42 --out "$W/gen10m"
echo "load: $(cat /proc/loadavg) ($(date -u))"
rm -f "$W"/gen10m.db*
/usr/bin/time -f "sqlite import: wall %e s, user %U s, sys %S s, peak RSS %M KB" $M import --data "$W/gen10m" --db "$W/gen10m.db"
echo "load: $(cat /proc/loadavg) ($(date -u))"
psql "$PG/postgres" -qc "drop database if exists gen10m"
/usr/bin/time -f "postgres import: wall %e s, user %U s, sys %S s, peak RSS %M KB" $M import --data "$W/gen10m" --db "$PG/gen10m"
echo "load at end: $(cat /proc/loadavg) ($(date -u))"
$M stats --db "$W/gen10m.db" --json "$W/stats-sqlite.json" >/dev/null
$M stats --db "$PG/gen10m" --json "$W/stats-pg.json" >/dev/null
python3 -c "import json,sys; a,b=(json.load(open(f)) for f in sys.argv[1:]); k=('users','items','events'); print('counts', {x:a[x] for x in k}, 'same' if all(a[x]==b[x] for x in k) else 'DIFFER', {x:b[x] for x in k})" "$W/stats-sqlite.json" "$W/stats-pg.json"
echo "sizes: SQLite $(du -h "$W/gen10m.db" | cut -f1), PostgreSQL $(psql "$PG/postgres" -tAc "select pg_size_pretty(pg_database_size('gen10m'))")"
