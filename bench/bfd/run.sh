#!/usr/bin/env bash
# BFD end-to-end benchmark (issue 4): N sessions at I ms × M between two network namespaces
# joined by one veth pair, carried first by Patronus on both ends, then by FRR bfdd on both
# ends. Reports time to all Up, flaps counted from launch (sessions that left Up at least once),
# false Downs over the measured span, CPU (cores) and RSS of each process, packets per second, and
# the machine's load; the last line is one summary per scenario, side by side. Results:
# docs/performance.md, "BFD (issue 4)" and "BFD at scale (issue 14)".
#
#   bench/bfd/run.sh [--duration S] [--sessions N] [--interval MS] [--multiplier M]
#                    [--scenario patronus|frr|both] [--out DIR] [--patronus-bin DIR]
#                    [--warmup-timeout S] [--nice N] [--capture K] [--hog]
#
# --hog runs `stress-ng --cpu 2` (one CPU-bound worker per core of this 2-core box, nproc in
# general) during the measured span: false Downs then say whether BFD survives a loaded machine.
#
# Each run has its own namespaces, veth pair and output directory (a random run id), and every
# port it uses lives inside its own namespaces, so two runs can share a host. Patronus's API needs
# a token since authentication landed: the harness creates an admin per side with
# `patronus users add` before launch and logs in once the server answers.
#
# Diagnostics: --nice N starts the BFD processes (Patronus or bfdd) at that nice value (default
# 0: as shipped); a negative value shows whether false Downs come from other processes competing
# for the CPU. --capture K records K sessions' packets on side a's veth during the measurement
# (tcpdump) and compares, at each detection-time expiry on side a, how long the wire had been
# silent (DIR/SCENARIO/wiregaps.json): a silent wire means b did not send in time, a busy one
# that a did not read in time.
#
# Needs root, iproute2, python3, curl, dotnet, FRR (apt-get install -y frr) and a Release build
# (dotnet build Patronus.slnx -c Release). Traffic stays inside the two namespaces it creates
# (addresses in 10.241.0.0/16, see gen_config.py); everything is removed on exit.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CMDLINE="$(printf '%q ' "$0" "$@")"
CMDLINE=${CMDLINE% }

DURATION=600          # measured span per scenario, seconds
SESSIONS=1000
INTERVAL=50           # DesiredMinTx = RequiredMinRx, ms
MULT=3                # detect multiplier
SCENARIO=both
OUT=""
BIN="$ROOT/src/Patronus.Server/bin/Release/net10.0"
WARMUP_TIMEOUT=600    # longest wait for all sessions Up, seconds
PORT=18080            # Patronus API, on each namespace's own loopback
NICE=0
CAPTURE=0             # sessions captured on the wire (0: none)
HOG=0                 # 1: stress-ng on every core during the measured span

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit "${1:-0}"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) DURATION=$2; shift 2 ;;
    --sessions) SESSIONS=$2; shift 2 ;;
    --interval) INTERVAL=$2; shift 2 ;;
    --multiplier) MULT=$2; shift 2 ;;
    --scenario) SCENARIO=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --patronus-bin) BIN=$2; shift 2 ;;
    --warmup-timeout) WARMUP_TIMEOUT=$2; shift 2 ;;
    --nice) NICE=$2; shift 2 ;;
    --capture) CAPTURE=$2; shift 2 ;;
    --hog) HOG=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "unknown argument: $1" >&2; usage 2 ;;
  esac
done
case "$SCENARIO" in patronus|frr|both) ;; *) echo "--scenario: patronus, frr or both" >&2; exit 2 ;; esac
[[ "$NICE" =~ ^-?[0-9]+$ ]] || { echo "--nice: a number" >&2; exit 2; }
for n in "$DURATION" "$SESSIONS" "$INTERVAL" "$MULT" "$WARMUP_TIMEOUT" "$CAPTURE"; do
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "not a number: $n" >&2; exit 2; }
done
[[ $(id -u) == 0 ]] || { echo "needs root (network namespaces)" >&2; exit 2; }
for tool in ip python3 curl dotnet vtysh /usr/lib/frr/bfdd; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done
if ((CAPTURE > 0)) && ! command -v tcpdump >/dev/null; then echo "--capture needs tcpdump" >&2; exit 2; fi
if ((HOG)) && ! command -v stress-ng >/dev/null; then echo "--hog needs stress-ng (apt-get install -y stress-ng)" >&2; exit 2; fi

RUN_ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
NS_A="pbench-$RUN_ID-a"
NS_B="pbench-$RUN_ID-b"
VETH_A="pb${RUN_ID}a"
VETH_B="pb${RUN_ID}b"
[[ -n "$OUT" ]] || OUT=$(mktemp -d "/tmp/pbench-bfd-$RUN_ID-XXXX")
mkdir -p "$OUT"
chmod 755 "$OUT"      # bfdd runs as user frr and must reach its files below
PY="python3 $HERE/analyze.py"
STARTED=()            # PIDs of every process this script started

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

teardown_net() {
  ip netns del "$NS_A" 2>/dev/null || true
  ip netns del "$NS_B" 2>/dev/null || true
}

cleanup() {
  set +e
  local pid
  for pid in "${STARTED[@]}"; do stop_pid "$pid"; done
  teardown_net
}
trap cleanup EXIT
trap 'exit 130' INT TERM

setup_net() {
  teardown_net
  ip netns add "$NS_A"
  ip netns add "$NS_B"
  ip link add "$VETH_A" netns "$NS_A" type veth peer name "$VETH_B" netns "$NS_B"
  ip -n "$NS_A" link set lo up
  ip -n "$NS_B" link set lo up
  python3 "$HERE/gen_config.py" ipbatch --sessions "$SESSIONS" --side a --dev "$VETH_A" | ip -n "$NS_A" -batch -
  python3 "$HERE/gen_config.py" ipbatch --sessions "$SESSIONS" --side b --dev "$VETH_B" | ip -n "$NS_B" -batch -
  log "namespaces $NS_A, $NS_B: $SESSIONS address pairs on $VETH_A <-> $VETH_B"
}

machine_info() {
  local frr_version dotnet_runtime
  frr_version=$(/usr/lib/frr/bfdd --version 2>/dev/null | head -n 1)
  dotnet_runtime=$(dotnet --list-runtimes | awk '/Microsoft.NETCore.App/ {v=$2} END {print v}')
  printf '{"nproc": %s, "kernel": "%s", "dotnet_sdk": "%s", "dotnet_runtime": "%s", "frr": "%s", "model": "%s"}' \
    "$(nproc)" "$(uname -r)" "$(dotnet --version)" "$dotnet_runtime" "$frr_version" \
    "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
}

# wait_all_up KIND DIR LAUNCH SIDE=COMMAND...: polls every side's session list once a second
# until one round finds every session Up on every side. DIR/all_up.json gets, in seconds since
# launch, when each side was first seen all Up and when both were (the measurement starts then).
wait_all_up() {
  local kind=$1 dir=$2 launch=$3; shift 3
  local -A cmd first
  local spec side both=null
  for spec in "$@"; do cmd[${spec%%=*}]=${spec#*=}; done
  local deadline=$(( $(date +%s) + WARMUP_TIMEOUT )) last_report=0
  while :; do
    local all=1 status="" elapsed
    for side in $(printf '%s\n' "${!cmd[@]}" | sort); do
      local counts up total
      counts=$(eval "${cmd[$side]}" 2>/dev/null | $PY count --kind "$kind" 2>/dev/null || echo "0 0")
      read -r up total <<<"$counts"
      status+=" $side=$up/$total"
      elapsed=$(python3 -c "import time; print(round(time.time() - $launch, 1))")
      if [[ "$total" == "$SESSIONS" && "$up" == "$SESSIONS" ]]; then
        if [[ -z "${first[$side]:-}" ]]; then
          first[$side]=$elapsed
          log "$kind $side: all $SESSIONS sessions Up ${first[$side]} s after launch"
        fi
      else
        all=0
      fi
    done
    if ((all)); then
      both=$elapsed
      log "$kind: all sessions Up on both sides at once ${both} s after launch"
      break
    fi
    if (( $(date +%s) >= deadline )); then
      log "$kind: not all sessions Up on both sides after ${WARMUP_TIMEOUT} s:$status — measuring anyway"
      break
    fi
    if (( $(date +%s) - last_report >= 10 )); then log "$kind: waiting:$status"; last_report=$(date +%s); fi
    sleep 1
  done
  printf '{"a": %s, "b": %s, "both": %s}' "${first[a]:-null}" "${first[b]:-null}" "$both" >"$dir/all_up.json"
}

# measure KIND DIR PIDSPEC SNAPSHOT_ARGS...: t0 snapshot, DURATION seconds with a 1 s sampler,
# t1 snapshot, summary.
measure() {
  local kind=$1 dir=$2 pids=$3; shift 3
  $PY snapshot --kind "$kind" --ns "a=$NS_A,b=$NS_B" --pid "$pids" "$@" --out "$dir/t0.json"
  log "$kind: measuring for $DURATION s; loadavg $(cat /proc/loadavg)"
  top -b -n 2 -d 1 -w 200 | awk 'n>=2; /^top -/ {n++}' | head -n 20 >"$dir/top-start.txt" || true
  $PY sample --pid "$pids" --out "$dir/samples.csv" --seconds "$((DURATION + 5))" &
  local sampler=$!
  STARTED+=("$sampler")
  local capture=""
  if ((CAPTURE > 0)); then
    # K side-a addresses spread over the sessions; each host covers both directions.
    local filter
    filter=$(python3 "$HERE/gen_config.py" addrs --sessions "$SESSIONS" | awk -v k="$CAPTURE" -v n="$SESSIONS" \
      'BEGIN { step = int(n / k); if (step < 1) step = 1 } (NR - 1) % step == 0 && c < k { printf "%shost %s", (c++ ? " or " : ""), $1 }')
    ip netns exec "$NS_A" tcpdump -i "$VETH_A" -n -s 64 -B 4096 -Z root -w "$dir/capture-a.pcap" \
      "udp port 3784 and ($filter)" 2>"$dir/tcpdump.log" &
    capture=$!
    STARTED+=("$capture")
  fi
  local hog=""
  if ((HOG)); then
    stress-ng --cpu "$(nproc)" --timeout "$((DURATION + 5))" --quiet >"$dir/stress-ng.log" 2>&1 &
    hog=$!
    STARTED+=("$hog")
    log "$kind: stress-ng --cpu $(nproc) running during the span"
  fi
  local end=$(( $(date +%s) + DURATION )) next_report=$(( $(date +%s) + 60 )) pid
  while (( $(date +%s) < end )); do
    for pid in $(tr ',' ' ' <<<"${pids//[ab]=/}"); do
      kill -0 "$pid" 2>/dev/null || { log "$kind: process $pid ended during the measurement"; return 1; }
    done
    sleep 1
    if (( $(date +%s) >= next_report )); then
      log "$kind: $(( DURATION - (end - $(date +%s)) )) / $DURATION s; loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
      next_report=$(( next_report + 60 ))
    fi
  done
  top -b -n 2 -d 1 -w 200 | awk 'n>=2; /^top -/ {n++}' | head -n 20 >"$dir/top-end.txt" || true
  if [[ -n "$hog" ]]; then stop_pid "$hog"; fi
  $PY snapshot --kind "$kind" --ns "a=$NS_A,b=$NS_B" --pid "$pids" "$@" --proc-first --out "$dir/t1.json"
  stop_pid "$sampler"
  if [[ -n "$capture" ]]; then stop_pid "$capture"; fi
  log "$kind: done; loadavg $(cat /proc/loadavg)"
}

write_meta() {
  local dir=$1 kind=$2 launch=$3 launch_load=$4
  printf '{"scenario": "%s", "sessions": %s, "interval_ms": %s, "multiplier": %s, "duration_s": %s, "nice": %s, "capture": %s, "hog": %s, "launch": %s, "loadavg_launch": "%s", "all_up_s": %s, "machine": %s, "command": %s}\n' \
    "$kind" "$SESSIONS" "$INTERVAL" "$MULT" "$DURATION" "$NICE" "$CAPTURE" "$HOG" "$launch" "$launch_load" "$(cat "$dir/all_up.json")" \
    "$(machine_info)" "$(printf '%s' "$CMDLINE" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')" >"$dir/meta.json"
}

# login NS PASSWORD FILE LAUNCH: waits for the API in NS, logs in as the harness's admin and writes
# the header line "Authorization: Bearer …" to FILE (for curl -H @FILE).
login() {
  local ns=$1 password=$2 file=$3 launch=$4 token="" deadline=$(( $(date +%s) + WARMUP_TIMEOUT ))
  while (( $(date +%s) < deadline )); do
    token=$(ip netns exec "$ns" curl -sf --max-time 10 "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'Content-Type: application/json' \
      -d "{\"username\":\"bench\",\"password\":\"$password\"}" 2>/dev/null |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])' 2>/dev/null) && [[ -n "$token" ]] && break
    sleep 0.2
  done
  [[ -n "$token" ]] || { log "patronus: no token from $ns within ${WARMUP_TIMEOUT} s"; return 1; }
  printf 'Authorization: Bearer %s\n' "$token" >"$file"
  log "patronus $ns: logged in $(python3 -c "import time; print(round(time.time() - $launch, 1))") s after launch"
}

run_patronus() {
  local dir=$OUT/patronus side
  mkdir -p "$dir"
  [[ -f "$BIN/patronus.dll" ]] || { echo "no $BIN/patronus.dll: dotnet build Patronus.slnx -c Release" >&2; return 1; }
  # A private copy: other builds may overwrite the tree's bin/ while the benchmark runs.
  cp -r "$BIN" "$dir/bin"
  setup_net
  local -A ns=([a]=$NS_A [b]=$NS_B) pid
  local password
  password="Pw-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
  for side in a b; do
    python3 "$HERE/gen_config.py" patronus --sessions "$SESSIONS" --side "$side" --interval "$INTERVAL" --multiplier "$MULT" >"$dir/$side.json"
    # The API answers 401 without a token: an admin per side, straight in its store (the CLI).
    printf '%s\n' "$password" | dotnet "$dir/bin/patronus.dll" users add bench --role admin --password-stdin \
      --config "$dir/$side.json" --data-dir "$dir/$side-data" >"$dir/$side-users.log" 2>&1 ||
      { log "patronus users add failed: $(cat "$dir/$side-users.log")"; return 1; }
  done
  local launch_load launch
  launch_load=$(cat /proc/loadavg)
  launch=$(date +%s.%N)
  log "patronus: launching both ends; loadavg $launch_load"
  for side in a b; do
    ip netns exec "${ns[$side]}" nice -n "$NICE" dotnet "$dir/bin/patronus.dll" serve --config "$dir/$side.json" \
      --data-dir "$dir/$side-data" --urls "http://127.0.0.1:$PORT" >"$dir/$side.log" 2>&1 &
    pid[$side]=$!
    STARTED+=("${pid[$side]}")
  done
  for side in a b; do login "${ns[$side]}" "$password" "$dir/$side.auth" "$launch" || return 1; done
  local url="http://127.0.0.1:$PORT/api/v1/bfd/sessions"
  wait_all_up patronus "$dir" "$launch" \
    "a=ip netns exec $NS_A curl -sf --max-time 10 -H @$dir/a.auth $url" \
    "b=ip netns exec $NS_B curl -sf --max-time 10 -H @$dir/b.auth $url"
  local pids="a=${pid[a]},b=${pid[b]}"
  measure patronus "$dir" "$pids" --port "$PORT" --auth "a=$dir/a.auth,b=$dir/b.auth"
  write_meta "$dir" patronus "$launch" "$launch_load"
  for side in a b; do stop_pid "${pid[$side]}"; done
  rm -rf "$dir/bin"
  teardown_net
  $PY summarize --kind patronus --dir "$dir" >/dev/null
  if ((CAPTURE > 0)); then $PY wiregaps --kind patronus --dir "$dir" >/dev/null; fi
}

run_frr() {
  local dir=$OUT/frr side
  mkdir -p "$dir/a" "$dir/b"
  setup_net
  local -A ns=([a]=$NS_A [b]=$NS_B) pid
  for side in a b; do
    python3 "$HERE/gen_config.py" frr --sessions "$SESSIONS" --side "$side" --interval "$INTERVAL" \
      --multiplier "$MULT" --log "$dir/$side/bfdd.log" >"$dir/$side/bfdd.conf"
  done
  chown -R frr:frr "$dir"   # bfdd drops to user frr: its files must be frr's (TOOLING.md)
  local launch_load launch
  launch_load=$(cat /proc/loadavg)
  launch=$(date +%s.%N)
  log "frr: launching bfdd at both ends; loadavg $launch_load"
  for side in a b; do
    local f=$dir/$side
    # -z: a private zebra socket path that nothing listens on, so that bfdd never talks to another
    # engineer's zebra (unix sockets are not per namespace). -P 0: no vty TCP port.
    ip netns exec "${ns[$side]}" nice -n "$NICE" /usr/lib/frr/bfdd -d -f "$f/bfdd.conf" -i "$f/bfdd.pid" --bfdctl "$f/bfdd.sock" \
      --vty_socket "$f" -z "$f/zserv.api" -P 0
    local i
    for ((i = 0; i < 100; i++)); do [[ -s "$f/bfdd.pid" ]] && break; sleep 0.1; done
    pid[$side]=$(cat "$f/bfdd.pid")
    STARTED+=("${pid[$side]}")
  done
  wait_all_up frr "$dir" "$launch" \
    "a=vtysh --vty_socket $dir/a -c 'show bfd peers json'" \
    "b=vtysh --vty_socket $dir/b -c 'show bfd peers json'"
  measure frr "$dir" "a=${pid[a]},b=${pid[b]}" --vty "a=$dir/a,b=$dir/b"
  write_meta "$dir" frr "$launch" "$launch_load"
  for side in a b; do stop_pid "${pid[$side]}"; done
  teardown_net
  $PY summarize --kind frr --dir "$dir" >/dev/null
  if ((CAPTURE > 0)); then $PY wiregaps --kind frr --dir "$dir" >/dev/null; fi
}

log "BFD benchmark: $SESSIONS sessions at $INTERVAL ms × $MULT, $DURATION s per scenario, scenario $SCENARIO; results in $OUT"
log "machine: $(machine_info)"
status=0
if [[ "$SCENARIO" == patronus || "$SCENARIO" == both ]]; then run_patronus || status=1; fi
if [[ "$SCENARIO" == frr || "$SCENARIO" == both ]]; then run_frr || status=1; fi

dirs=()
for d in "$OUT/patronus" "$OUT/frr"; do [[ -f "$d/summary.json" ]] && dirs+=("$d"); done
{
  echo "# BFD benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo
  echo "command: $CMDLINE"
  echo "machine: $(machine_info)"
  echo
  if ((${#dirs[@]})); then $PY table "${dirs[@]}"; echo; $PY line "${dirs[@]}"; fi
} | tee "$OUT/summary.md"
exit "$status"
