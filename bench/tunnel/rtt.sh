#!/usr/bin/env bash
# Added round-trip time of Patronus <-> Patronus tunnels, A/B between builds, back to back in one
# lab (issue 15's bar: added RTT p50 <= 0.2 ms). For each round and each build given, it starts
# the two Patronus ends (bench/tunnel/run.sh's configuration), then pings through the tunnel the
# way run.sh does (200 pings 10 ms apart, p50) and over the raw veth, and reports the added p50,
# the p90, the load average and the CPU milliseconds both tunnel processes spent per ping.
#
#   bench/tunnel/rtt.sh [--rounds N] [--pings N] [--interval S] [--perf PREFIX] [[K=V,K=V::]BIN ...]
#
# BIN: patronus executables to compare (default: this tree's Release build), each optionally with
# environment variables for both of its processes before "::", e.g. a configuration override
# PATRONUS__Tunnels__Mtu=1380::artifacts/patronus/patronus. Three other names are builds too:
# "wireguard-go" (the Debian build, the issue's reference), and "floor2" / "floor1", the floor of a
# user-space tunnel on this box (floor.c: a TUN <-> UDP forwarder that does no work, with two
# threads per side as Patronus, or one that also sends the kernel's immediate replies), pinned to
# one CPU with "@N" ("floor1@0": both ends on CPU 0). --perf PREFIX: also
# records scheduler and system-call tracepoints during the pings (perf record) and prints where
# the round trip went, hop by hop (bench/tunnel/hops.py; tracing adds its own overhead to every
# system call, so compare those figures with each other, not with the untraced p50).
set -euo pipefail
ROUNDS=2
PINGS=200
INTERVAL=0.01
PERF=""
BINS=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) ROUNDS=$2; shift 2 ;;
    --pings) PINGS=$2; shift 2 ;;
    --interval) INTERVAL=$2; shift 2 ;;
    --perf) PERF=$2; shift 2 ;;
    -*) echo "usage: $0 [--rounds N] [--pings N] [--interval S] [--perf PREFIX] [[K=V,K=V::]BIN ...]" >&2; exit 2 ;;
    *) BINS+=("$1"); shift ;;
  esac
done

[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "--rounds takes a positive whole number, got '$ROUNDS'" >&2; exit 2; }
[[ $PINGS =~ ^[1-9][0-9]*$ ]] || { echo "--pings takes a positive whole number, got '$PINGS'" >&2; exit 2; }
[[ $INTERVAL =~ ^[0-9]*\.?[0-9]+$ ]] || { echo "--interval takes seconds (e.g. 0.01), got '$INTERVAL'" >&2; exit 2; }
# Every build is checked before the lab is built (a typo would otherwise wait 30 s for a serve that never starts).
for b in "${BINS[@]}"; do
  if [[ $b == wireguard-go ]]; then
    command -v wireguard-go >/dev/null || { echo "build wireguard-go: not installed (apt install wireguard-go wireguard-tools)" >&2; exit 2; }
  elif [[ $b == floor* ]]; then
    [[ $b =~ ^floor[12](@[0-9]+)?$ ]] || { echo "build $b: the floor builds are floor1, floor2, floor1@CPU, floor2@CPU" >&2; exit 2; }
    command -v gcc >/dev/null || { echo "build $b: needs gcc (apt install gcc)" >&2; exit 2; }
  elif [[ ! -x ${b#*::} ]]; then
    echo "build $b: ${b#*::} is not an executable (a patronus binary, wireguard-go, floor1, floor2)" >&2; exit 2
  fi
done

LAB_PREFIX=pr LAB_NET=17
# shellcheck source=lab.sh
. "$(dirname "$0")/lab.sh"
[[ ${#BINS[@]} -eq 0 ]] && BINS=("$BIN")
HERE=$(cd "$(dirname "$0")" && pwd)
if [[ " ${BINS[*]}" == *" floor"* ]]; then
  FLOOR=$DIR/floor; gcc -O2 -pthread -o "$FLOOR" "$HERE/floor.c"
fi
TCK=$(getconf CLK_TCK)

up() { # [env::]bin ns side ifname keyfile port peerpub peer-endpoint address underlay -> pid in $UP_PID
  case $1 in
    wireguard-go) wg_up "$2" "$4" "$5" "$6" "$7" "$8" "$9" 10.250.17.0/24; return ;;
    floor*)
      local layout=${1:5:1} cpu=; [[ $1 == *@* ]] && cpu=${1#*@}
      ip netns exec "$2" "$FLOOR" "$layout" "$4" "$6" "${8%:*}" "${8#*:}" $cpu >"$DIR/floor-$3.log" 2>&1 & UP_PID=$!; PIDS+=("$UP_PID")
      for _ in $(seq 50); do
        if ip -n "$2" link show dev "$4" >/dev/null 2>&1; then ip -n "$2" addr add "$9/24" dev "$4"; ip -n "$2" link set "$4" up; return; fi
        sleep 0.1
      done
      echo "$1 on $3 did not come up:" >&2; cat "$DIR/floor-$3.log" >&2; exit 1 ;;
  esac
  cat > "$DIR/patronus-$3.json" <<JSON
{
  "Urls": "http://127.0.0.1:8080",
  "Sites": [ { "Id": "$3" } ],
  "Links": [ { "Id": "wan", "Site": "$3", "Interface": "v$3", "SourceAddress": "${10}" } ],
  "Paths": [ { "Id": "p", "Link": "wan", "Probe": "icmp", "Targets": [ "${8%:*}" ] } ],
  "Traffic": { "Enabled": false },
  "Tunnels": {
    "Enabled": true, "InterfaceName": "$4", "Addresses": [ "$9/24" ], "ListenPort": $6,
    "PrivateKey": "$(cat "$5")",
    "Peers": [ { "Name": "peer", "PublicKey": "$7", "AllowedIps": [ "10.250.17.0/24" ], "Endpoint": "$8" } ]
  }
}
JSON
  local env=() bin=$1
  if [[ $1 == *::* ]]; then IFS=, read -ra env <<<"${1%%::*}"; bin=${1#*::}; fi
  ip netns exec "$2" env "${env[@]}" "$bin" serve --config "$DIR/patronus-$3.json" --data-dir "$DIR/data-$3-$RANDOM" >"$DIR/patronus-$3.log" 2>&1 & UP_PID=$!; PIDS+=("$UP_PID")
  for _ in $(seq 300); do ip -n "$2" -o addr show dev "$4" 2>/dev/null | grep -q "$9" && return; sleep 0.1; done
  echo "patronus on $3 did not come up:" >&2; tail -20 "$DIR/patronus-$3.log" >&2; exit 1
}

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }

stats() { # ns address -> "p50 p90" (ms) of $PINGS pings $INTERVAL s apart
  ip netns exec "$1" ping -n -c "$PINGS" -i "$INTERVAL" -W 1 "$2" | awk -F'time=' '/time=/ {split($2, a, " "); print a[1]}' \
    | sort -n | awk '{v[NR]=$1} END {p=(NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; print p, v[int(NR*0.9)]}'
}

printf '%-5s | %-40s | %-14s | %7s | %7s | %7s | %7s | %s\n' round build "load 1/5 min" "raw p50" "p50" "added" "p90" "CPU ms/ping a/b"
n=0
for round in $(seq "$ROUNDS"); do
  for bin in "${BINS[@]}"; do
    n=$((n + 1))
    up "$bin" "$A" a "pa$RUN$n" "$DIR/a.key" "$PORT_A" "$BPUB" "10.241.17.2:$PORT_B" 10.250.17.1 10.241.17.1; PA=$UP_PID
    up "$bin" "$B" b "pb$RUN$n" "$DIR/b.key" "$PORT_B" "$APUB" "10.241.17.1:$PORT_A" 10.250.17.2 10.241.17.2; PB=$UP_PID
    ip netns exec "$A" ping -n -q -c 3 -i 0.2 -W 2 10.250.17.2 >/dev/null
    sleep 1 # start-up work (JIT, first probes) settles
    read -r raw _ < <(stats "$A" 10.241.17.2)
    c0a=$(cpu "$PA"); c0b=$(cpu "$PB")
    read -r p50 p90 < <(stats "$A" 10.250.17.2)
    c1a=$(cpu "$PA"); c1b=$(cpu "$PB")
    load=$(cut -d' ' -f1-2 /proc/loadavg)
    label=${bin%/artifacts/patronus/patronus}; label=${label##*/}
    if [[ $bin == *::* ]]; then label="${label} ${bin%%::*}"; label=${label//PATRONUS__Tunnels__/}; fi
    printf '%-5s | %-40s | %-14s | %7s | %7s | %7s | %7s | %s\n' "$round" "${label:0:40}" "$load" "$raw" "$p50" \
      "$(python3 -c "print('%.3f' % ($p50 - $raw))")" "$p90" \
      "$(python3 -c "print('%.3f / %.3f' % (($c1a-$c0a)/$TCK*1e3/$PINGS, ($c1b-$c0b)/$TCK*1e3/$PINGS))")"
    if [[ -n $PERF ]]; then
      ip netns exec "$A" ping -n -q -c 300 -i "$INTERVAL" -W 1 10.250.17.2 >/dev/null & PING=$!
      sleep 0.3
      tids=$( (ls /proc/$PA/task; ls /proc/$PB/task; echo "$PING") | sort -u)
      filter=$(sed 's/^/common_pid == /' <<<"$tids" | paste -sd'|' | sed 's/|/ || /g')
      perf record -q -a -o "$PERF-$n.data" -e sched:sched_switch -e sched:sched_wakeup \
        -e raw_syscalls:sys_enter --filter "$filter" -e raw_syscalls:sys_exit --filter "$filter" -- sleep 1.5 >/dev/null 2>&1 || true
      wait "$PING" || true
      perf script --ns -F comm,pid,tid,time,event,trace -i "$PERF-$n.data" 2>/dev/null | python3 "$HERE/hops.py" "$PING" "$PA" "$PB" || true
    fi
    kill "$PA" "$PB"; wait "$PA" "$PB" 2>/dev/null || true
    sleep 0.5
  done
done
