# Shared by the scale-out scripts (sourced): waiting for a server, and counting wrk's 2xx answers.

# ready URL: waits up to 10 minutes for URL/health/ready; says so and fails if it never answers.
ready() { for _ in $(seq 1 600); do curl -sf "$1/health/ready" > /dev/null && return 0; sleep 1; done; echo "not ready: $1" >&2; return 1; }

# answered_2xx WRK_OUTPUT: the requests wrk counted minus its non-2xx/3xx answers.
answered_2xx() { echo "$1" | awk '/requests in/ {r=$1} /Non-2xx/ {b=$NF} END {print r - b}'; }
