#!/usr/bin/env bash
# Two builds of `merx serve` over the same SQLite store, interleaved (A B A B …), each round on a fresh copy of
# the store, each run through load-bench.sh (warm-up, ≈ 500 req/s, maximum, ingestion, CPU per request): on a
# shared, noisy machine only a comparison inside one interleaved run means something. Prints one summary line
# per run (max req/s, p50/p99 at ≈ 500 req/s and at max, Merx CPU ms per request at max) and appends the full
# load-bench output to LOG.
# Usage: sqlite-ab.sh DB ROUNDS LOG LABEL_A DLL_A LABEL_B DLL_B [PORT]   (USERS, ITEMS, MERX_API_KEY, MERX_PSEUDONYM_KEY exported;
#        extra settings for one side: ENV_A / ENV_B, e.g. ENV_B="MERX__SQLITEREADCONNECTIONS=0")
set -uo pipefail
db=$1; rounds=$2; log=$3; la=$4; da=$5; lb=$6; dbb=$7; port=${8:-5870}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
work=${TMPDIR:-/tmp}/sqlite-ab.$$; mkdir -p "$work"; trap 'rm -rf "$work"' EXIT
run() { # LABEL DLL ENV
  local label=$1 dll=$2 env=$3 url=http://127.0.0.1:$port out pid
  rm -rf "$work"/store.db*; cp "$db" "$work/store.db"
  [ -d "$db.indexes" ] && { rm -rf "$work/store.db.indexes"; cp -r "$db.indexes" "$work/store.db.indexes"; }
  env $env dotnet "$dll" serve --db "$work/store.db" --urls "$url" --rate-limit 1000000 > "$work/serve-$label.out" 2>&1 &
  pid=$!
  ready "$url" || { kill "$pid"; return 1; }
  out=$("$here/load-bench.sh" "$label" "$url" "$pid")
  kill "$pid"; wait "$pid" 2>/dev/null
  echo "$out" >> "$log"
  echo "$out" | awk -v l="$label" '
    /^## fixed-500/ {ph="500"} /^## max/ {ph="max"} /^## ingest/ {ph="ingest"}
    / 50% / {p50[ph]=$2} / 99% / {p99[ph]=$2} /Requests\/sec/ {rps[ph]=$2}
    /^cpu max/ {match($0, /over [0-9]+ 2xx/); split(substr($0, RSTART, RLENGTH), o, " "); ok=o[2]; match($0, /per unit: merx [0-9.]+/); split(substr($0, RSTART, RLENGTH), a, " "); cpu=a[4]}
    /^# merx memory/ {hwm=$6; rss=$9}
    END {printf "%-10s 500: %s req/s p50 %s p99 %s | max: %d 2xx/s (%s req/s with 503s) p50 %s p99 %s, merx CPU %s ms per 2xx | ingest %s req/s | RSS %s GB (peak %s)\n", l, rps["500"], p50["500"], p99["500"], ok / 20, rps["max"], p50["max"], p99["max"], cpu, rps["ingest"], rss, hwm}'
}
echo "# sqlite-ab $(date -u +%FT%TZ): $db, $rounds rounds, A=$la ($da ${ENV_A:-}) B=$lb ($dbb ${ENV_B:-})" | tee -a "$log"
for r in $(seq 1 "$rounds"); do
  run "$la" "$da" "${ENV_A:-}"
  run "$lb" "$dbb" "${ENV_B:-}"
done
