#!/usr/bin/env bash
# Tunnel throughput, side by side (issue 15): iperf3 TCP single stream, both directions, through
#   1. wireguard-go <-> wireguard-go (the Debian build on both ends: the reference), then
#   2. Patronus     <-> wireguard-go (Patronus's tunnel on side a, the same wireguard-go on side b),
# between two network namespaces on one veth pair, in one run. Also ping RTT through each tunnel
# and over the raw veth.
#
#   bench/tunnel/run.sh [--seconds S]
#
# Needs root, iproute2, iperf3, wireguard-go, wireguard-tools, dotnet, a Release build of
# patronus (./patronus builds it). Traffic stays inside the two namespaces it creates
# (10.241.16.0/24 underlay, 10.250.16.0/24 tunnel); everything is removed on exit.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SECONDS_EACH=5
[[ ${1:-} == --seconds ]] && SECONDS_EACH=$2

P="pt-$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')"
A="$P-a"; B="$P-b"; WGA="wa${P#pt-}"; WGB="wb${P#pt-}"
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
ip netns add "$A"; ip netns add "$B"
ip -n "$A" link set lo up; ip -n "$B" link set lo up
ip -n "$A" link add va type veth peer name vb netns "$B"
ip -n "$A" addr add 10.241.16.1/24 dev va; ip -n "$B" addr add 10.241.16.2/24 dev vb
ip -n "$A" link set va up; ip -n "$B" link set vb up

umask 077
wg genkey > "$DIR/a.key"; wg genkey > "$DIR/b.key"
APUB=$(wg pubkey < "$DIR/a.key"); BPUB=$(wg pubkey < "$DIR/b.key")

wg_up() { # ns ifname keyfile port peerpub peer-endpoint address
  ip netns exec "$1" wireguard-go -f "$2" >"$DIR/$2.log" 2>&1 & PIDS+=($!)
  for _ in $(seq 100); do ip netns exec "$1" wg show "$2" >/dev/null 2>&1 && break; sleep 0.05; done
  ip netns exec "$1" wg set "$2" private-key "$3" listen-port "$4" peer "$5" allowed-ips 10.250.16.0/24 endpoint "$6"
  ip -n "$1" addr add "$7/24" dev "$2"; ip -n "$1" link set "$2" up
}

measure() { # label
  ip netns exec "$B" iperf3 -s -1 -B 10.250.16.2 >/dev/null 2>&1 & local s=$!; sleep 0.5
  local up down rtt
  up=$(ip netns exec "$A" iperf3 -c 10.250.16.2 -t "$SECONDS_EACH" -J | python3 -c 'import json,sys; print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))')
  wait $s || true
  ip netns exec "$B" iperf3 -s -1 -B 10.250.16.2 >/dev/null 2>&1 & s=$!; sleep 0.5
  down=$(ip netns exec "$A" iperf3 -c 10.250.16.2 -t "$SECONDS_EACH" -R -J | python3 -c 'import json,sys; print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))')
  wait $s || true
  rtt=$(ip netns exec "$A" ping -n -q -c 50 -i 0.02 10.250.16.2 | awk -F/ '/^rtt/ {print $5}')
  printf '%-28s a->b %6s Gb/s   b->a %6s Gb/s   ping avg %s ms\n' "$1" "$up" "$down" "$rtt"
}

raw=$(ip netns exec "$A" ping -n -q -c 50 -i 0.02 10.241.16.2 | awk -F/ '/^rtt/ {print $5}')
printf '%-28s ping avg %s ms\n' "raw veth" "$raw"

wg_up "$B" "$WGB" "$DIR/b.key" 51821 "$APUB" 10.241.16.1:51820 10.250.16.2
wg_up "$A" "$WGA" "$DIR/a.key" 51820 "$BPUB" 10.241.16.2:51821 10.250.16.1
ip netns exec "$A" ping -n -q -c 2 -W 2 10.250.16.2 >/dev/null
measure "wireguard-go <-> wireguard-go"

kill "${PIDS[1]}"; sleep 0.5
cat > "$DIR/patronus.json" <<JSON
{
  "Sites": [ { "Id": "a" } ],
  "Links": [ { "Id": "wan", "Site": "a", "Interface": "va", "SourceAddress": "10.241.16.1" } ],
  "Paths": [ { "Id": "p", "Link": "wan", "Probe": "icmp", "Targets": [ "10.241.16.2" ] } ],
  "Traffic": { "Enabled": false },
  "Tunnels": {
    "Enabled": true, "InterfaceName": "ptun0", "Addresses": [ "10.250.16.1/24" ], "ListenPort": 51820,
    "PrivateKey": "$(cat "$DIR/a.key")",
    "Peers": [ { "Name": "b", "PublicKey": "$BPUB", "AllowedIps": [ "10.250.16.0/24" ], "Endpoint": "10.241.16.2:51821" } ]
  }
}
JSON
ip netns exec "$A" "$ROOT/patronus" serve --config "$DIR/patronus.json" --data-dir "$DIR/data" >"$DIR/patronus.log" 2>&1 & PIDS+=($!)
for _ in $(seq 200); do ip -n "$A" -o addr show dev ptun0 2>/dev/null | grep -q 10.250.16.1 && break; sleep 0.1; done
ip netns exec "$A" ping -n -q -c 2 -W 2 10.250.16.2 >/dev/null
measure "Patronus <-> wireguard-go"
