#!/usr/bin/env bash
# The crash harness at full size: runs tests/Merx.Cli.Tests' CrashHarnessTests with ROUNDS rounds per
# operation (SIGKILL during HTTP ingestion, model publish, forget, key rotation, import) and writes the
# table of outcomes to OUT (markdown rows: operation, rounds, killed mid-way, integrity, outcome).
# usage: bench/scripts/crash-harness.sh [ROUNDS=20] [OUT=bench/results/crash-harness.log] [SEED=20] [PORT=5420]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-20}; out=${2:-$root/bench/results/crash-harness.log}; seed=${3:-20}; port=${4:-5420}
out=$(realpath -m "$out")   # the tests run in their bin folder
{
  echo "# crash harness: $(date -u +%FT%TZ), $rounds rounds per operation, seed $seed; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "| operation | rounds | killed mid-way | integrity_check | outcome |"
  echo "|---|---|---|---|---|"
} > "$out"
MERX_CRASH_ROUNDS=$rounds MERX_CRASH_SEED=$seed MERX_CRASH_PORT=$port MERX_CRASH_REPORT=$out \
  dotnet test "$root/tests/Merx.Cli.Tests" -c Release --no-build --filter "FullyQualifiedName~CrashHarnessTests" --logger "console;verbosity=normal" > "$out.test-output" 2>&1 || true
grep -E "^\s+(Passed|Failed) |Error Message" -A3 "$out.test-output" | grep -vE "^\s*(info|warn):" || true
cat "$out"
