#!/usr/bin/env bash
# The hostile-input campaign at full size: runs tests/Merx.Server.Tests' HostileCampaignTests with REQUESTS
# generated requests (every endpoint; see tests/Merx.Server.Tests/Hostile/HostileRequests.cs) and writes
# the counts per endpoint and status, and per attack and status, to OUT.
# usage: bench/scripts/hostile-campaign.sh [REQUESTS=10000] [OUT=bench/results/hostile-campaign.md] [SEED=20]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
requests=${1:-10000}; out=${2:-$root/bench/results/hostile-campaign.md}; seed=${3:-20}
out=$(realpath -m "$out")   # the tests run in their bin folder
MERX_HOSTILE_REQUESTS=$requests MERX_HOSTILE_SEED=$seed MERX_HOSTILE_REPORT=$out \
  dotnet test "$root/tests/Merx.Server.Tests" -c Release --no-build --filter "FullyQualifiedName~HostileCampaignTests" > "$out.test-output" 2>&1 || true
grep -E "^\s+(Passed|Failed) |Error Message|Total tests|Passed!|Failed!" -A3 "$out.test-output" | grep -vE "^\s*(info|warn):" || true
cat "$out"
