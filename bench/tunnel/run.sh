#!/usr/bin/env bash
# Tunnel data plane, side by side (issue 15), in one run between two network namespaces on one
# veth pair, through
#   1. wireguard-go <-> wireguard-go (the Debian build on both ends: the reference),
#   2. Patronus     <-> wireguard-go (Patronus on side a, the same wireguard-go on side b),
#   3. Patronus     <-> Patronus     (skip with --no-pp),
#   4. Patronus     <-> Patronus with Patronus: true on both peers (the Patronus data message,
#      LZ4 auto, MTU 1392: issue 16's cost against row 3's plain WireGuard message; with row 3).
# For each: iperf3 TCP single stream a->b and b->a; UDP with 1200-octet payloads a->b unpaced
# (receiver goodput) and the highest paced rate with < 1 % loss (a short bisection); UDP 64-octet
# payloads a->b unpaced (packets/s received, and received + what the receiving namespace's sockets
# dropped for a full buffer meanwhile: iperf3's own socket overflows first); ping RTT p50 through the tunnel minus p50 over the
# raw veth; CPU seconds (user + system, /proc/PID/stat) each tunnel process spent per Gbit of the
# TCP a->b and b->a tests.
#
#   bench/tunnel/run.sh [--seconds S] [--no-pp]
#
# Needs root, iproute2, iperf3, wireguard-go, wireguard-tools, python3, dotnet, a Release build of
# patronus (./patronus builds it). Traffic stays inside the two namespaces it creates
# (10.241.16.0/24 underlay, 10.250.16.0/24 tunnel); names and ports are per run, so two runs can
# coexist; everything is removed on exit.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SECONDS_EACH=5
PP=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --seconds) SECONDS_EACH=$2; shift 2 ;;
    --no-pp) PP=0; shift ;;
    *) echo "usage: $0 [--seconds S] [--no-pp]" >&2; exit 2 ;;
  esac
done

RUN=$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
P="pt-$RUN"
A="$P-a"; B="$P-b"
# Per-run UDP ports (two runs in different namespaces could share them, but the wireguard-go UAPI
# socket directory is shared, so the interface names must differ and the ports might as well).
PORT_A=$((20000 + 0x${RUN:0:4} % 20000)); PORT_B=$((PORT_A + 1)); IPERF_PORT=$((PORT_A + 2))
TCK=$(getconf CLK_TCK)
DIR=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 0.5
  ip netns del "$A" 2>/dev/null || true
  ip netns del "$B" 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT

"$ROOT/patronus" version >/dev/null   # build first, outside the measurement
# PATRONUS_BIN: another build to compare (e.g. a copy of artifacts/patronus from main).
BIN=${PATRONUS_BIN:-$ROOT/artifacts/patronus/patronus}
# PATRONUS_TRACE=FILE: a dotnet-trace CPU sample of Patronus (side a) during its TCP a->b test.
TRACE=${PATRONUS_TRACE:-}
ip netns add "$A"; ip netns add "$B"
ip -n "$A" link set lo up; ip -n "$B" link set lo up
ip -n "$A" link add va type veth peer name vb netns "$B"
ip -n "$A" addr add 10.241.16.1/24 dev va; ip -n "$B" addr add 10.241.16.2/24 dev vb
ip -n "$A" link set va up; ip -n "$B" link set vb up

umask 077
wg genkey > "$DIR/a.key"; wg genkey > "$DIR/b.key"
APUB=$(wg pubkey < "$DIR/a.key"); BPUB=$(wg pubkey < "$DIR/b.key")

wg_up() { # ns ifname keyfile port peerpub peer-endpoint address -> pid in $UP_PID
  ip netns exec "$1" wireguard-go -f "$2" >"$DIR/$2.log" 2>&1 & UP_PID=$!; PIDS+=("$UP_PID")
  for _ in $(seq 100); do ip netns exec "$1" wg show "$2" >/dev/null 2>&1 && break; sleep 0.05; done
  ip netns exec "$1" wg set "$2" private-key "$3" listen-port "$4" peer "$5" allowed-ips 10.250.16.0/24 endpoint "$6"
  ip -n "$1" addr add "$7/24" dev "$2"; ip -n "$1" link set "$2" up
}

patronus_up() { # ns side ifname keyfile port peerpub peer-endpoint address underlay-address -> pid in $UP_PID
  cat > "$DIR/patronus-$2.json" <<JSON
{
  "Urls": "http://127.0.0.1:8080",
  "Sites": [ { "Id": "$2" } ],
  "Links": [ { "Id": "wan", "Site": "$2", "Interface": "v$2", "SourceAddress": "$9" } ],
  "Paths": [ { "Id": "p", "Link": "wan", "Probe": "icmp", "Targets": [ "${7%:*}" ] } ],
  "Traffic": { "Enabled": false },
  "Tunnels": {
    "Enabled": true, "InterfaceName": "$3", "Addresses": [ "$8/24" ], "ListenPort": $5,
    "PrivateKey": "$(cat "$4")",
    "Peers": [ { "Name": "peer", "PublicKey": "$6", "AllowedIps": [ "10.250.16.0/24" ], "Endpoint": "$7", "Patronus": ${PATRONUS_PEER:-false} } ]
  }
}
JSON
  ip netns exec "$1" "$BIN" serve --config "$DIR/patronus-$2.json" --data-dir "$DIR/data-$2" >"$DIR/patronus-$2.log" 2>&1 & UP_PID=$!; PIDS+=("$UP_PID")
  for _ in $(seq 300); do ip -n "$1" -o addr show dev "$3" 2>/dev/null | grep -q "$8" && return; sleep 0.1; done
  echo "patronus on $2 did not come up:" >&2; tail -20 "$DIR/patronus-$2.log" >&2; exit 1
}

rcvbuf_errors() { # ns -> Udp RcvbufErrors of the namespace so far
  ip netns exec "$1" awk '/^Udp:/ {n++; if (n == 1) for (i = 1; i <= NF; i++) f[$i] = i; else print $f["RcvbufErrors"]}' /proc/net/snmp
}

cpu() { # pid -> clock ticks of user + system time so far
  awk '{print $14 + $15}' "/proc/$1/stat"
}

p50() { # ns address -> median RTT (ms) of 200 pings 10 ms apart
  ip netns exec "$1" ping -n -c 200 -i 0.01 -W 1 "$2" | awk -F'time=' '/time=/ {split($2, a, " "); print a[1]}' \
    | sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'
}

iperf() { # args... -> client JSON on stdout (a server in B answers once)
  ip netns exec "$B" iperf3 -s -1 -p "$IPERF_PORT" -B 10.250.16.2 >/dev/null 2>&1 & local s=$!
  for _ in $(seq 50); do ip netns exec "$B" ss -ltn "sport = :$IPERF_PORT" | grep -q LISTEN && break; sleep 0.05; done
  ip netns exec "$A" iperf3 -c 10.250.16.2 -p "$IPERF_PORT" "$@" -J || true
  wait $s || true
}

json() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

# Receiver goodput (Gb/s) and loss (%) of a UDP test, from the client's JSON (which holds the server's summary).
UDP_PY='s=d["end"]["sum"]; r=d["end"].get("sum_received", s); print("%.3f %.2f %d %.1f" % (s["bits_per_second"]*(1-s["lost_percent"]/100)/1e9, s["lost_percent"], s["packets"]-s["lost_packets"], s["seconds"]))'

measure() { # label pid-a pid-b
  local label=$1 pa=$2 pb=$3 c0a c0b c1a c1b up down
  c0a=$(cpu "$pa"); c0b=$(cpu "$pb")
  local tracer=""
  if [[ -n $TRACE && $label == Patronus* && ! -e $TRACE ]]; then
    ~/.dotnet/tools/dotnet-trace collect -p "$pa" --profile dotnet-sampled-thread-time --duration 00:00:0$((SECONDS_EACH > 9 ? 9 : SECONDS_EACH)) -o "$TRACE" >/dev/null 2>&1 & tracer=$!
  fi
  up=$(iperf -t "$SECONDS_EACH" | json 'print("%.3f" % (d["end"]["sum_received"]["bits_per_second"]/1e9))')
  c1a=$(cpu "$pa"); c1b=$(cpu "$pb")
  [[ -n $tracer ]] && { wait "$tracer" || true; }
  local upcpu_a upcpu_b
  upcpu_a=$(python3 -c "print('%.2f' % ((($c1a-$c0a)/$TCK) / ($up*$SECONDS_EACH)))")
  upcpu_b=$(python3 -c "print('%.2f' % ((($c1b-$c0b)/$TCK) / ($up*$SECONDS_EACH)))")
  c0a=$(cpu "$pa"); c0b=$(cpu "$pb")
  down=$(iperf -t "$SECONDS_EACH" -R | json 'print("%.3f" % (d["end"]["sum_received"]["bits_per_second"]/1e9))')
  c1a=$(cpu "$pa"); c1b=$(cpu "$pb")
  local downcpu_a downcpu_b
  downcpu_a=$(python3 -c "print('%.2f' % ((($c1a-$c0a)/$TCK) / ($down*$SECONDS_EACH)))")
  downcpu_b=$(python3 -c "print('%.2f' % ((($c1b-$c0b)/$TCK) / ($down*$SECONDS_EACH)))")

  local udp udp_sent lo hi mid best=0 res
  udp=$(iperf -u -b 0 -l 1200 -t "$SECONDS_EACH" | json "$UDP_PY")
  udp_sent=$(iperf -u -b 0 -l 1200 -t 1 | json 'print("%.0f" % (d["end"]["sum"]["bits_per_second"]/1e6))')
  # Bisection for the highest paced rate (Mb/s) with < 1 % loss, 2 s a step, 5 steps.
  lo=0; hi=$((udp_sent > 0 ? udp_sent : 1000))
  for _ in 1 2 3 4 5; do
    mid=$(((lo + hi) / 2))
    res=$(iperf -u -b "${mid}M" -l 1200 -t 2 | json 'print(d["end"]["sum"]["lost_percent"])')
    if python3 -c "import sys; sys.exit(0 if $res < 1 else 1)"; then lo=$mid; best=$mid; else hi=$mid; fi
  done

  # Also what the receiving namespace's UDP sockets dropped meanwhile for a full buffer
  # (RcvbufErrors): iperf3's own 208 KiB socket overflows when the tunnel delivers faster than
  # iperf3 reads, so received + those is what the tunnel delivered (an upper bound: a drop at the
  # tunnel's own socket counts there too).
  local small pps rb0 rb1 offered
  rb0=$(rcvbuf_errors "$B")
  small=$(iperf -u -b 0 -l 64 -t "$SECONDS_EACH" | json "$UDP_PY")
  rb1=$(rcvbuf_errors "$B")
  pps=$(awk '{printf "%.0f", $3 / $4}' <<<"$small")
  offered=$(awk -v d=$((rb1 - rb0)) '{printf "%.0f", ($3 + d) / $4}' <<<"$small")

  local rtt added
  rtt=$(p50 "$A" 10.250.16.2)
  added=$(python3 -c "print('%.3f' % ($rtt - $RAW))")
  printf '%-30s | %6s | %6s | %6s (%5s%% loss) | %8s | %9s | %9s | %6s | %5s | %-11s | %-11s\n' \
    "$label" "$up" "$down" "${udp%% *}" "$(awk '{print $2}' <<<"$udp")" "$best" "$pps" "$offered" "$rtt" "$added" \
    "$upcpu_a/$upcpu_b" "$downcpu_a/$downcpu_b"
}

RAW=$(p50 "$A" 10.241.16.2)
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); ${SECONDS_EACH} s per test; raw veth ping p50 $RAW ms"
printf '%-30s | %6s | %6s | %21s | %8s | %9s | %9s | %6s | %5s | %-11s | %-11s\n' \
  "a <-> b" "TCP a>b" "TCP b>a" "UDP1200 Gb/s unpaced" "<1% Mb/s" "64B pps" "64B pps" "p50 ms" "added" "CPUs/Gb a/b" "CPUs/Gb a/b"
printf '%-30s | %6s | %6s | %21s | %8s | %9s | %9s | %6s | %5s | %-11s | %-11s\n' \
  "" "Gb/s" "Gb/s" "" "paced" "received" "+rcvbuf" "tunnel" "ms" "TCP a>b" "TCP b>a"

WGA="wa$RUN"; WGB="wb$RUN"
wg_up "$B" "$WGB" "$DIR/b.key" "$PORT_B" "$APUB" "10.241.16.1:$PORT_A" 10.250.16.2; WG_B=$UP_PID
wg_up "$A" "$WGA" "$DIR/a.key" "$PORT_A" "$BPUB" "10.241.16.2:$PORT_B" 10.250.16.1; WG_A=$UP_PID
ip netns exec "$A" ping -n -q -c 2 -W 2 10.250.16.2 >/dev/null
measure "wireguard-go <-> wireguard-go" "$WG_A" "$WG_B"

kill "$WG_A"; sleep 0.5
patronus_up "$A" a "pa$RUN" "$DIR/a.key" "$PORT_A" "$BPUB" "10.241.16.2:$PORT_B" 10.250.16.1 10.241.16.1; PT_A=$UP_PID
ip netns exec "$A" ping -n -q -c 2 -W 2 10.250.16.2 >/dev/null
measure "Patronus <-> wireguard-go" "$PT_A" "$WG_B"

if [[ $PP == 1 ]]; then
  kill "$WG_B"; sleep 0.5
  patronus_up "$B" b "pb$RUN" "$DIR/b.key" "$PORT_B" "$APUB" "10.241.16.1:$PORT_A" 10.250.16.2 10.241.16.2; PT_B=$UP_PID
  # b starts the handshake: a still holds the session it had with wireguard-go, which b does not know.
  ip netns exec "$B" ping -n -q -c 2 -W 2 10.250.16.1 >/dev/null
  measure "Patronus <-> Patronus" "$PT_A" "$PT_B"

  kill "$PT_A" "$PT_B"; sleep 0.5
  PATRONUS_PEER=true patronus_up "$A" a "pc$RUN" "$DIR/a.key" "$PORT_A" "$BPUB" "10.241.16.2:$PORT_B" 10.250.16.1 10.241.16.1; PM_A=$UP_PID
  PATRONUS_PEER=true patronus_up "$B" b "pd$RUN" "$DIR/b.key" "$PORT_B" "$APUB" "10.241.16.1:$PORT_A" 10.250.16.2 10.241.16.2; PM_B=$UP_PID
  ip netns exec "$B" ping -n -q -c 2 -W 2 10.250.16.1 >/dev/null
  measure "Patronus msg <-> Patronus msg" "$PM_A" "$PM_B"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
