#!/usr/bin/env bash
# GraphQL benchmark (issues 7, 14): `allPathsHealth` with N paths (default 1,000) under wrk load,
# as a viewer with a real access token, side by side with its REST twin `GET /api/v1/metrics/health`
# on the same server and data. A real `patronus serve` probes N STAMP paths against its own
# reflector on loopback (so every path has live health); after W seconds of unreported warm-up
# load on each (default 5: JIT tiers, pools), R rounds (default 2), alternating:
# wrk POSTs the query for S seconds with C connections, wrk GETs the REST twin the same way, and
# both again with one connection (one client). Prints wrk's latency percentiles and a summary line
# per run, with the serve's CPU time per request net of its idle rate. Results: docs/performance.md, "GraphQL".
#
#   bench/graphql/run.sh [--paths N] [--seconds S] [--connections C] [--threads T] [--rounds R] [--warmup W] [--port P]
#
# The API and reflector ports are free ones picked per run (--port fixes the API's), so runs can share a host.
#
# Needs wrk (apt-get install -y wrk), curl, python3 and a Release build (dotnet build Patronus.slnx
# -c Release). Everything listens on 127.0.0.1 only; the temp directory is removed on exit.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${PATRONUS_BIN:-"$ROOT/src/Patronus.Server/bin/Release/net10.0/patronus"}  # PATRONUS_BIN: another build
PATHS=1000 SECONDS_=30 CONNECTIONS=16 THREADS=2 ROUNDS=2 WARMUP=5 PORT="" REFLECTOR=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --paths) PATHS=$2; shift 2 ;;
    --seconds) SECONDS_=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
for tool in wrk curl python3; do command -v "$tool" >/dev/null || { echo "$tool is not installed (Debian: apt-get install $tool)" >&2; exit 2; }; done
[[ -x "$BIN" ]] || { echo "no Release build at $BIN: dotnet build Patronus.slnx -c Release" >&2; exit 2; }

# Ports free now, picked by the kernel (--port fixes the API's): two runs can share a host.
free_port() { python3 -c "import socket,sys; s=socket.socket(socket.AF_INET, getattr(socket, sys.argv[1])); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])" "$1"; }
[[ -n "$PORT" ]] || PORT=$(free_port SOCK_STREAM)
REFLECTOR=$(free_port SOCK_DGRAM)

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
echo "serve PID $SERVE_PID (API 127.0.0.1:$PORT)"

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
cat >"$WORK/get.lua" <<LUA
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer $TOKEN"
LUA
REST_BYTES=$(curl -sf "http://127.0.0.1:$PORT/api/v1/metrics/health" -H "Authorization: Bearer $TOKEN" | wc -c)
echo "REST twin: GET /api/v1/metrics/health, $REST_BYTES bytes"

# CPU time the serve process has used so far, in clock ticks (utime + stime, /proc/PID/stat).
cpu_ticks() { sed 's/^.*) //' "/proc/$SERVE_PID/stat" | awk '{ print $12 + $13 }'; }
TICK=$(getconf CLK_TCK)

# One wrk run; the summary line: what, connections, req/s, p50, p99, the serve's CPU per request
# (less sensitive to the box's other load than req/s: what it took, not how long it waited), load before.
# CPU/req is the serve's CPU time during the run, less its idle rate (the 1,000 paths' probes,
# measured before the runs), divided by the requests wrk completed.
run() {
  local name=$1 script=$2 url=$3 threads=$4 connections=$5 load out t0 t1 c0 c1 requests cpu
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  echo "== $name: wrk -t$threads -c$connections -d${SECONDS_}s --latency (load before: $load)"
  c0=$(cpu_ticks); t0=$(date +%s.%N)
  out=$(wrk -t"$threads" -c"$connections" -d"${SECONDS_}s" --latency -s "$script" "$url")
  c1=$(cpu_ticks); t1=$(date +%s.%N)
  echo "$out"
  requests=$(awk '/requests in/ { print $1 }' <<<"$out")
  cpu=$(awk -v c="$((c1 - c0))" -v tick="$TICK" -v idle="$IDLE_CORES" -v t0="$t0" -v t1="$t1" -v n="$requests" \
    'BEGIN { printf "%.3f", (n > 0 ? (c / tick - idle * (t1 - t0)) * 1000 / n : 0) }')
  echo "serve CPU: $(awk -v c="$((c1 - c0))" -v tick="$TICK" 'BEGIN { printf "%.2f", c / tick }') s in the run, $cpu ms per request net of idle"
  SUMMARY+=$(printf '%-8s c=%-3s %10s req/s  p50 %-9s p99 %-9s cpu/req %-6s ms  load %s' "$name" "$connections" \
    "$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")" "$(awk '$1 == "50%" { print $2 }' <<<"$out")" \
    "$(awk '$1 == "99%" { print $2 }' <<<"$out")" "$cpu" "$load")$'\n'
  RATES+="$name $connections $(awk '/^Requests\/sec/ { print $2 }' <<<"$out") $cpu"$'\n'
}

if [[ "$WARMUP" -gt 0 ]]; then
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$WORK/post.lua" "http://127.0.0.1:$PORT/graphql" >/dev/null
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$WORK/get.lua" "http://127.0.0.1:$PORT/api/v1/metrics/health" >/dev/null
fi

# The serve's own CPU with no requests (probing the paths), subtracted from each run's.
c0=$(cpu_ticks); t0=$(date +%s.%N); sleep 5; c1=$(cpu_ticks); t1=$(date +%s.%N)
IDLE_CORES=$(awk -v c="$((c1 - c0))" -v tick="$TICK" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.4f", c / tick / (t1 - t0) }')
echo "serve idle: $IDLE_CORES cores (probing $PATHS paths, no requests)"

SUMMARY="" RATES=""
for round in $(seq 1 "$ROUNDS"); do
  run graphql "$WORK/post.lua" "http://127.0.0.1:$PORT/graphql" "$THREADS" "$CONNECTIONS"
  run rest "$WORK/get.lua" "http://127.0.0.1:$PORT/api/v1/metrics/health" "$THREADS" "$CONNECTIONS"
  run graphql "$WORK/post.lua" "http://127.0.0.1:$PORT/graphql" 1 1
  run rest "$WORK/get.lua" "http://127.0.0.1:$PORT/api/v1/metrics/health" 1 1
done
echo "serve CPU: $(ps -o times= -p "$SERVE_PID") s total; RSS $(ps -o rss= -p "$SERVE_PID") KB"
echo "== summary ($PATHS paths, ${SECONDS_}s per run)"
printf '%s' "$SUMMARY"
# Each GraphQL run against the REST run right after it (same connections, nearly the same load).
awk '$1 == "graphql" { g[$2] = $3; gc[$2] = $4; next }
     $1 == "rest" && ($2 in g) { printf "graphql/rest c=%-3s req/s %.0f %% (%s / %s); cpu/req %.2fx (%s / %s ms)\n", $2, 100 * g[$2] / $3, g[$2], $3, ($4 > 0 ? gc[$2] / $4 : 0), gc[$2], $4; delete g[$2] }' <<<"$RATES"
