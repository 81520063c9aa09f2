# The two-namespace lab of bench/tunnel's scripts (run.sh, fuzz.sh), sourced after setting
# LAB_PREFIX (a per-script name prefix, e.g. pt) and LAB_NET (the third octet: underlay
# 10.241.LAB_NET.0/24, tunnel 10.250.LAB_NET.0/24). Defines RUN (per-run id), A and B (namespaces
# joined by veth va/vb, addresses .1 and .2), PORT_A/PORT_B/PORT_C (per-run UDP ports), DIR
# (scratch, removed on exit), PIDS (killed on exit), ROOT and BIN (the patronus binary, built
# first; PATRONUS_BIN picks another build), keys a.key b.key in DIR with APUB/BPUB, and wg_up.
# Everything it creates is removed by the EXIT trap.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUN=$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
A="$LAB_PREFIX-$RUN-a"; B="$LAB_PREFIX-$RUN-b"
# Per-run UDP ports (two runs in different namespaces could share them, but the wireguard-go UAPI
# socket directory is shared, so the interface names must differ and the ports might as well).
PORT_A=$((20000 + 0x${RUN:0:4} % 20000)); PORT_B=$((PORT_A + 1)); PORT_C=$((PORT_A + 2))
DIR=$(mktemp -d)
PIDS=()
lab_cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 0.5
  ip netns del "$A" 2>/dev/null || true
  ip netns del "$B" 2>/dev/null || true
  rm -rf "$DIR"
}
trap lab_cleanup EXIT

"$ROOT/patronus" version >/dev/null   # build first, outside any measurement
BIN=${PATRONUS_BIN:-$ROOT/artifacts/patronus/patronus}
ip netns add "$A"; ip netns add "$B"
ip -n "$A" link set lo up; ip -n "$B" link set lo up
ip -n "$A" link add va type veth peer name vb netns "$B"
ip -n "$A" addr add "10.241.$LAB_NET.1/24" dev va; ip -n "$B" addr add "10.241.$LAB_NET.2/24" dev vb
ip -n "$A" link set va up; ip -n "$B" link set vb up

umask 077
wg genkey > "$DIR/a.key"; wg genkey > "$DIR/b.key"
APUB=$(wg pubkey < "$DIR/a.key"); BPUB=$(wg pubkey < "$DIR/b.key")

wg_up() { # ns ifname keyfile port peerpub peer-endpoint address allowed-ips -> pid in $UP_PID
  ip netns exec "$1" wireguard-go -f "$2" >"$DIR/$2.log" 2>&1 & UP_PID=$!; PIDS+=("$UP_PID")
  for _ in $(seq 100); do ip netns exec "$1" wg show "$2" >/dev/null 2>&1 && break; sleep 0.05; done
  ip netns exec "$1" wg set "$2" private-key "$3" listen-port "$4" peer "$5" allowed-ips "$8" endpoint "$6"
  ip -n "$1" addr add "$7/24" dev "$2"; ip -n "$1" link set "$2" up
}
