#!/usr/bin/env bash
# Interleaved bulk-import benchmark: SQLite vs PostgreSQL, N pairs, events/s as merx import reports it.
set -euo pipefail
M="dotnet src/Merx.Cli/bin/Release/net10.0/merx.dll"
DATA=${DATA:-/work/shared/datasets/amazon-beauty}
PG=${PG:-postgres://postgres@127.0.0.1:55432}
export MERX_PSEUDONYM_KEY="v1:h18-bench-key-0123456789abcdefghijklmnop"
for i in $(seq 1 ${PAIRS:-3}); do
  rm -f ${TMPDIR:-/tmp}/merx-bench.db*
  s=$($M import --data "$DATA" --db ${TMPDIR:-/tmp}/merx-bench.db 2>/dev/null | head -1 | sed -E 's/.*\(([0-9,]+) events\/s\).*/\1/')
  psql "$PG/postgres" -qc "drop database if exists merx_bench" 2>/dev/null
  p=$($M import --data "$DATA" --db "$PG/merx_bench" 2>/dev/null | head -1 | sed -E 's/.*\(([0-9,]+) events\/s\).*/\1/')
  echo "pair $i: sqlite $s events/s, postgres $p events/s"
done
