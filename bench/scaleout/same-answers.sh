#!/usr/bin/env bash
# Do two builds answer the same? Serves copies of one store with each build and compares, item for item, score for
# score and reason for reason, the lists of N users (every USERS/N-th of u0 … u{USERS-1}) for three queries each:
# the home page, an item page, and with seen items included, all with explore=false (exploration draws at random).
# Prints each difference and a closing line "lists compared: C; differing: D"; exits 1 when any differ.
# Usage: same-answers.sh DB DLL_A DLL_B [USERS] [N] [PORT]   (MERX_API_KEY, MERX_PSEUDONYM_KEY exported)
set -uo pipefail
db=$1; da=$2; dbb=$3; users=${4:-50000}; n=${5:-300}; port=${6:-5911}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
work=${TMPDIR:-/tmp}/same-answers.$$; mkdir -p "$work/a" "$work/b"
pids=(); trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
for s in a b; do
  cp "$db" "$work/$s/s.db"; [ -d "$db.indexes" ] && cp -r "$db.indexes" "$work/$s/s.db.indexes"
done
dotnet "$da" serve --db "$work/a/s.db" --urls "http://127.0.0.1:$port" > "$work/a.out" 2>&1 & pids+=($!)
dotnet "$dbb" serve --db "$work/b/s.db" --urls "http://127.0.0.1:$((port + 1))" > "$work/b.out" 2>&1 & pids+=($!)
ready "http://127.0.0.1:$port" && ready "http://127.0.0.1:$((port + 1))" || { echo "same-answers.sh: a server did not start" >&2; exit 2; }
list() { curl -s -H "X-Api-Key: $MERX_API_KEY" "http://127.0.0.1:$1/api/users/$2/recommendations?$3" |
  python3 -c "import json,sys; print(json.dumps([(i['item'], i['score'], i.get('reason'), i.get('source')) for i in json.load(sys.stdin)['items']]))"; }
compared=0; differing=0
for u in $(seq 0 $((users / n)) $((users - 1)) | head -n "$n"); do
  for q in "n=10&explore=false" "n=10&explore=false&page=item&item=i$u" "n=20&explore=false&include_seen=true"; do
    a=$(list "$port" "u$u" "$q"); b=$(list "$((port + 1))" "u$u" "$q"); compared=$((compared + 1))
    [ -n "$a" ] && [ "$a" == "$b" ] || { differing=$((differing + 1)); echo "u$u $q"; echo "  A: ${a:0:300}"; echo "  B: ${b:0:300}"; }
  done
done
echo "lists compared: $compared; differing: $differing"
[ "$differing" -eq 0 ]
