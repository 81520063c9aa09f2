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
# payloads a->b unpaced (packets/s: received by iperf3; delivered by b's tunnel into b's kernel;
# read by a's tunnel from its TUN device; dropped by a's kernel because that queue was full; CPU
# microseconds each tunnel process spent per packet);
# ping RTT p50 through the tunnel minus p50 over the raw veth; CPU seconds (user + system,
# /proc/PID/stat) each tunnel process spent per Gbit of the TCP a->b and b->a tests.
#
#   bench/tunnel/run.sh [--seconds S] [--no-pp] [--small] [--ping-interval S] [--sdwan]
#
# --small: only the 64 B and ping scenarios (the TCP and UDP 1200 B columns show "-").
# --ping-interval S: seconds between the 200 pings (default 0.01, issue 15's lab). On a VM whose
#          idle vCPUs halt, a ping after a quiet gap wakes cold threads and vCPUs on every hop, so
#          the added RTT depends on the spacing (docs/tunnels.md): compare rows of one run only.
# --sdwan: instead, issue 16's rows (bench/tunnel/sdwan.sh): LZ4 auto/off on a compressible and an
#          incompressible TCP stream, and a class duplicated always against none, Gb/s and CPU.
#
# Needs root, iproute2, iperf3, wireguard-go, wireguard-tools, python3, dotnet, a Release build of
# patronus (./patronus builds it). Traffic stays inside the two namespaces it creates
# (10.241.16.0/24 underlay, 10.250.16.0/24 tunnel); names and ports are per run, so two runs can
# coexist; everything is removed on exit.
set -euo pipefail
SECONDS_EACH=5
PP=1
SMALL=0
PING_INTERVAL=0.01
while [[ $# -gt 0 ]]; do
  case $1 in
    --seconds) SECONDS_EACH=$2; shift 2 ;;
    --no-pp) PP=0; shift ;;
    --small) SMALL=1; shift ;;
    --ping-interval) PING_INTERVAL=$2; shift 2 ;;
    --sdwan) exec "$(dirname "$0")/sdwan.sh" --seconds "$SECONDS_EACH" ;;
    *) echo "usage: $0 [--seconds S] [--no-pp] [--small] [--ping-interval S] [--sdwan]" >&2; exit 2 ;;
  esac
done

LAB_PREFIX=pt LAB_NET=16
# shellcheck source=lab.sh
. "$(dirname "$0")/lab.sh"
IPERF_PORT=$PORT_C
TCK=$(getconf CLK_TCK)
# PATRONUS_TRACE=FILE: a dotnet-trace CPU sample of Patronus (side a) during its TCP a->b test.
TRACE=${PATRONUS_TRACE:-}
# PATRONUS_PERF=PREFIX: perf record -g of each Patronus process during the Patronus <-> Patronus
# 64 B test, into PREFIX-a.data and PREFIX-b.data (JIT frames resolved through perf maps in /tmp).
PERF=${PATRONUS_PERF:-}
[[ -n $PERF ]] && export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0

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

cpu() { # pid -> clock ticks of user + system time so far
  awk '{print $14 + $15}' "/proc/$1/stat"
}

p50() { # ns address -> median RTT (ms) of 200 pings PING_INTERVAL apart
  ip netns exec "$1" ping -n -c 200 -i "$PING_INTERVAL" -W 1 "$2" | awk -F'time=' '/time=/ {split($2, a, " "); print a[1]}' \
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

iface_stat() { # ns ifname counter -> /sys/class/net statistics counter
  ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"
}

measure() { # label pid-a pid-b tunnel-interface-a tunnel-interface-b
  local label=$1 pa=$2 pb=$3 ia=$4 ib=$5 c0a c0b c1a c1b up=- down=- upcpu_a=- upcpu_b=- downcpu_a=- downcpu_b=- udp="- -" best=-
  if [[ $SMALL == 0 ]]; then
    c0a=$(cpu "$pa"); c0b=$(cpu "$pb")
    local tracer=""
    if [[ -n $TRACE && $label == Patronus* && ! -e $TRACE ]]; then
      ~/.dotnet/tools/dotnet-trace collect -p "$pa" --profile dotnet-sampled-thread-time --duration 00:00:0$((SECONDS_EACH > 9 ? 9 : SECONDS_EACH)) -o "$TRACE" >/dev/null 2>&1 & tracer=$!
    fi
    up=$(iperf -t "$SECONDS_EACH" | json 'print("%.3f" % (d["end"]["sum_received"]["bits_per_second"]/1e9))')
    c1a=$(cpu "$pa"); c1b=$(cpu "$pb")
    [[ -n $tracer ]] && { wait "$tracer" || true; }
    upcpu_a=$(python3 -c "print('%.2f' % ((($c1a-$c0a)/$TCK) / ($up*$SECONDS_EACH)))")
    upcpu_b=$(python3 -c "print('%.2f' % ((($c1b-$c0b)/$TCK) / ($up*$SECONDS_EACH)))")
    c0a=$(cpu "$pa"); c0b=$(cpu "$pb")
    down=$(iperf -t "$SECONDS_EACH" -R | json 'print("%.3f" % (d["end"]["sum_received"]["bits_per_second"]/1e9))')
    c1a=$(cpu "$pa"); c1b=$(cpu "$pb")
    downcpu_a=$(python3 -c "print('%.2f' % ((($c1a-$c0a)/$TCK) / ($down*$SECONDS_EACH)))")
    downcpu_b=$(python3 -c "print('%.2f' % ((($c1b-$c0b)/$TCK) / ($down*$SECONDS_EACH)))")

    local udp_sent lo hi mid res
    best=0
    udp=$(iperf -u -b 0 -l 1200 -t "$SECONDS_EACH" | json "$UDP_PY")
    udp_sent=$(iperf -u -b 0 -l 1200 -t 1 | json 'print("%.0f" % (d["end"]["sum"]["bits_per_second"]/1e6))')
    # Bisection for the highest paced rate (Mb/s) with < 1 % loss, 2 s a step, 5 steps.
    lo=0; hi=$((udp_sent > 0 ? udp_sent : 1000))
    for _ in 1 2 3 4 5; do
      mid=$(((lo + hi) / 2))
      res=$(iperf -u -b "${mid}M" -l 1200 -t 2 | json 'print(d["end"]["sum"]["lost_percent"])')
      if python3 -c "import sys; sys.exit(0 if $res < 1 else 1)"; then lo=$mid; best=$mid; else hi=$mid; fi
    done
  fi

  # 64 B: what iperf3's receiver counted; and what the tunnel itself moved, from the tunnel
  # interfaces' counters: a's tx_packets (packets the tunnel read from its TUN device) and
  # tx_dropped (packets the kernel dropped because the tunnel's TUN queue was full: it read too
  # slowly), b's rx_packets (packets the tunnel wrote into b's kernel). iperf3's receiver is one
  # process on a busy box and its socket overflows first, so "delivered" is the tunnel's rate,
  # "received" the whole chain's; read + dropped is what the generator offered.
  local small pps delivered queued dropped ta0 ta1 da0 da1 rx0 rx1 secs usa usb
  c0a=$(cpu "$pa"); c0b=$(cpu "$pb"); ta0=$(iface_stat "$A" "$ia" tx_packets); da0=$(iface_stat "$A" "$ia" tx_dropped); rx0=$(iface_stat "$B" "$ib" rx_packets)
  local perfs=()
  if [[ -n $PERF && $label == "Patronus <-> Patronus" ]]; then
    perf record -q -g -p "$pa" -o "$PERF-a.data" -- sleep "$SECONDS_EACH" >/dev/null 2>&1 & perfs+=($!)
    perf record -q -g -p "$pb" -o "$PERF-b.data" -- sleep "$SECONDS_EACH" >/dev/null 2>&1 & perfs+=($!)
  fi
  small=$(iperf -u -b 0 -l 64 -t "$SECONDS_EACH" | json "$UDP_PY")
  for p in "${perfs[@]}"; do wait "$p" || true; done
  c1a=$(cpu "$pa"); c1b=$(cpu "$pb"); ta1=$(iface_stat "$A" "$ia" tx_packets); da1=$(iface_stat "$A" "$ia" tx_dropped); rx1=$(iface_stat "$B" "$ib" rx_packets)
  secs=$(awk '{print $4}' <<<"$small")
  pps=$(awk '{printf "%.0f", $3 / $4}' <<<"$small")
  delivered=$(awk -v d=$((rx1 - rx0)) -v s="$secs" 'BEGIN {printf "%.0f", d / s}')
  queued=$(awk -v d=$((ta1 - ta0)) -v s="$secs" 'BEGIN {printf "%.0f", d / s}')
  dropped=$(awk -v d=$((da1 - da0)) -v s="$secs" 'BEGIN {printf "%.0f", d / s}')
  # CPU microseconds per packet: a's process per packet it read, b's per packet it delivered.
  # Unlike the rates, this hardly depends on how much of the shared machine the tunnel got.
  usa=$(awk -v c=$((c1a - c0a)) -v n=$((ta1 - ta0)) -v t="$TCK" 'BEGIN {printf "%.1f", n ? c / t * 1e6 / n : 0}')
  usb=$(awk -v c=$((c1b - c0b)) -v n=$((rx1 - rx0)) -v t="$TCK" 'BEGIN {printf "%.1f", n ? c / t * 1e6 / n : 0}')

  # A receiver slower than a's sender (wireguard-go's b) still works through its socket's backlog
  # after iperf3 stopped: wait until b's tunnel delivers nothing more (0.5 s still, 10 s at most),
  # or the pings would queue behind the flood and measure the backlog.
  local last now
  last=$(iface_stat "$B" "$ib" rx_packets)
  for _ in $(seq 20); do
    sleep 0.5; now=$(iface_stat "$B" "$ib" rx_packets)
    [[ $now == "$last" ]] && break
    last=$now
  done

  local rtt added
  rtt=$(p50 "$A" 10.250.16.2)
  added=$(python3 -c "print('%.3f' % ($rtt - $RAW))")
  printf '%-30s | %6s | %6s | %6s (%5s%% loss) | %8s | %9s | %9s | %9s | %9s | %11s | %6s | %5s | %-11s | %-11s\n' \
    "$label" "$up" "$down" "${udp%% *}" "$(awk '{print $2}' <<<"$udp")" "$best" "$pps" "$delivered" "$queued" "$dropped" "$usa/$usb" "$rtt" "$added" \
    "$upcpu_a/$upcpu_b" "$downcpu_a/$downcpu_b"
}

RAW=$(p50 "$A" 10.241.16.2)
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); ${SECONDS_EACH} s per test; pings ${PING_INTERVAL} s apart; raw veth ping p50 $RAW ms"
printf '%-30s | %6s | %6s | %21s | %8s | %9s | %9s | %9s | %9s | %11s | %6s | %5s | %-11s | %-11s\n' \
  "a <-> b" "TCP a>b" "TCP b>a" "UDP1200 Gb/s unpaced" "<1% Mb/s" "64B pps" "64B pps" "64B pps" "64B pps" "64B CPU" "p50 ms" "added" "CPUs/Gb a/b" "CPUs/Gb a/b"
printf '%-30s | %6s | %6s | %21s | %8s | %9s | %9s | %9s | %9s | %11s | %6s | %5s | %-11s | %-11s\n' \
  "" "Gb/s" "Gb/s" "" "paced" "received" "delivered" "a read" "a qdrop" "us/pkt a/b" "tunnel" "ms" "TCP a>b" "TCP b>a"

WGA="wa$RUN"; WGB="wb$RUN"
wg_up "$B" "$WGB" "$DIR/b.key" "$PORT_B" "$APUB" "10.241.16.1:$PORT_A" 10.250.16.2 10.250.16.0/24; WG_B=$UP_PID
wg_up "$A" "$WGA" "$DIR/a.key" "$PORT_A" "$BPUB" "10.241.16.2:$PORT_B" 10.250.16.1 10.250.16.0/24; WG_A=$UP_PID
ip netns exec "$A" ping -n -q -c 2 -W 2 10.250.16.2 >/dev/null
measure "wireguard-go <-> wireguard-go" "$WG_A" "$WG_B" "$WGA" "$WGB"

kill "$WG_A"; sleep 0.5
patronus_up "$A" a "pa$RUN" "$DIR/a.key" "$PORT_A" "$BPUB" "10.241.16.2:$PORT_B" 10.250.16.1 10.241.16.1; PT_A=$UP_PID
ip netns exec "$A" ping -n -q -c 2 -W 2 10.250.16.2 >/dev/null
measure "Patronus <-> wireguard-go" "$PT_A" "$WG_B" "pa$RUN" "$WGB"

if [[ $PP == 1 ]]; then
  kill "$WG_B"; sleep 0.5
  patronus_up "$B" b "pb$RUN" "$DIR/b.key" "$PORT_B" "$APUB" "10.241.16.1:$PORT_A" 10.250.16.2 10.241.16.2; PT_B=$UP_PID
  # b starts the handshake: a still holds the session it had with wireguard-go, which b does not know.
  ip netns exec "$B" ping -n -q -c 2 -W 2 10.250.16.1 >/dev/null
  measure "Patronus <-> Patronus" "$PT_A" "$PT_B" "pa$RUN" "pb$RUN"

  kill "$PT_A" "$PT_B"; sleep 0.5
  PATRONUS_PEER=true patronus_up "$A" a "pc$RUN" "$DIR/a.key" "$PORT_A" "$BPUB" "10.241.16.2:$PORT_B" 10.250.16.1 10.241.16.1; PM_A=$UP_PID
  PATRONUS_PEER=true patronus_up "$B" b "pd$RUN" "$DIR/b.key" "$PORT_B" "$APUB" "10.241.16.1:$PORT_A" 10.250.16.2 10.241.16.2; PM_B=$UP_PID
  ip netns exec "$B" ping -n -q -c 2 -W 2 10.250.16.1 >/dev/null
  measure "Patronus msg <-> Patronus msg" "$PM_A" "$PM_B" "pc$RUN" "pd$RUN"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
