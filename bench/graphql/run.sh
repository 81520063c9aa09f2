#!/usr/bin/env bash
# GraphQL benchmark (issue 7): `allPathsHealth` with N paths (default 1,000) under wrk load, as a
# viewer with a real access token. A real `patronus serve` probes N STAMP paths against its own
# reflector on loopback (so every path has live health), then wrk POSTs the query for S seconds
# with C connections and reports latency percentiles. Results: docs/performance.md, "GraphQL".
#
#   bench/graphql/run.sh [--paths N] [--seconds S] [--connections C] [--threads T] [--port P]
#
# Needs wrk (apt-get install -y wrk), curl, python3 and a Release build (dotnet build Patronus.slnx
# -c Release). Everything listens on 127.0.0.1 only; the temp directory is removed on exit.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN="$ROOT/src/Patronus.Server/bin/Release/net10.0/patronus"
PATHS=1000 SECONDS_=30 CONNECTIONS=16 THREADS=2 PORT=18480 REFLECTOR=18481
while [[ $# -gt 0 ]]; do
  case "$1" in
    --paths) PATHS=$2; shift 2 ;;
    --seconds) SECONDS_=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
for tool in wrk curl python3; do command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 2; }; done
[[ -x "$BIN" ]] || { echo "no Release build at $BIN: dotnet build Patronus.slnx -c Release" >&2; exit 2; }

WORK=$(mktemp -d)
SERVE_PID=""
cleanup() { [[ -n "$SERVE_PID" ]] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

python3 - "$WORK/patronus.json" "$PATHS" "$REFLECTOR" <<'PY'
import json, sys
out, n, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
json.dump({
    "Sites": [{"Id": "bench", "Name": "bench"}],
    "Links": [{"Id": "lo", "Site": "bench", "Name": "loopback", "SourceAddress": "127.0.0.1"}],
    "Paths": [{"Id": f"path-{i:04d}", "Link": "lo", "Targets": [f"127.0.0.1:{port}"]} for i in range(n)],
    "Reflector": {"Enabled": True, "Listen": f"127.0.0.1:{port}"},
    "Failover": {"KernelRoutes": False},
    "Traffic": {"Enabled": False},
}, open(out, "w"))
PY

PASSWORD="Bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$PASSWORD" | "$BIN" users add loadgen --role viewer --password-stdin --config "$WORK/patronus.json" --data-dir "$WORK/data" >/dev/null
"$BIN" serve --config "$WORK/patronus.json" --data-dir "$WORK/data" --urls "http://127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!

for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && break
  sleep 0.2
done
TOKEN=$(curl -sf "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d "{\"username\":\"loadgen\",\"password\":\"$PASSWORD\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

QUERY='{"query":"{ allPathsHealth { pathId latencyMs packetLossPct jitterMs healthScore status lastChecked } }"}'
up=0
for _ in $(seq 1 120); do
  up=$(curl -sf "http://127.0.0.1:$PORT/graphql" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$QUERY" |
    python3 -c 'import json,sys; print(sum(1 for p in json.load(sys.stdin)["data"]["allPathsHealth"] if p["status"] == "UP"))')
  [[ "$up" -ge "$PATHS" ]] && break
  sleep 1
done
BYTES=$(curl -sf "http://127.0.0.1:$PORT/graphql" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$QUERY" | wc -c)
echo "paths up: $up of $PATHS; response: $BYTES bytes"

cat >"$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$QUERY'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $TOKEN"
LUA
echo "wrk -t$THREADS -c$CONNECTIONS -d${SECONDS_}s --latency (load before: $(cut -d' ' -f1-3 /proc/loadavg))"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_}s" --latency -s "$WORK/post.lua" "http://127.0.0.1:$PORT/graphql"
echo "serve CPU: $(ps -o times= -p "$SERVE_PID") s total; RSS $(ps -o rss= -p "$SERVE_PID") KB"
