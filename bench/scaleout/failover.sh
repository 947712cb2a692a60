#!/usr/bin/env bash
# Failover through the load balancer (issue 18): N sequential recommendation requests through nginx
# (bench/scaleout/nginx-merx.conf), one replica killed with SIGKILL after a third of them; prints the
# status codes counted and the seconds from the kill to the next successful answer.
# Usage: failover.sh PID_TO_KILL [N]
set -u
victim=$1; n=${2:-300}; key=${MERX_API_KEY:?set MERX_API_KEY}
declare -A codes; killed_at=""; recovered=""
for i in $(seq 1 "$n"); do
  if [ "$i" -eq $((n / 3)) ]; then kill -9 "$victim"; killed_at=$(date +%s.%N); fi
  c=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Api-Key: $key" "http://127.0.0.1:5280/api/users/u$((i % 50))/recommendations?n=5")
  codes[$c]=$(( ${codes[$c]:-0} + 1 ))
  if [ -n "$killed_at" ] && [ -z "$recovered" ] && [ "$c" = 200 ]; then recovered=$(date +%s.%N); fi
done
for c in "${!codes[@]}"; do echo "status $c: ${codes[$c]}"; done
echo "first 200 after the kill: $(echo "$recovered - $killed_at" | bc) s"
