#!/usr/bin/env bash
# Fuzz storm at a running Patronus tunnel (issue 15): fuzz.py sends COUNT datagrams (random,
# truncated, mutated handshakes and transport messages, wrong keys, replays; see fuzz.py) at
# Patronus's listen port from a second namespace, where wireguard-go is Patronus's real peer.
# Then: is serve alive, does a ping through the tunnel to wireguard-go still pass, and does every
# datagram the kernel delivered to the socket show up in /metrics exactly once, as a drop by
# reason or as accepted (transport messages received + handshake messages accepted)?
#
#   bench/tunnel/fuzz.sh [COUNT]        (default 1000000)
#
# Needs root, iproute2, wireguard-go, wireguard-tools, python3 with python3-cryptography, curl,
# a Release build of patronus. Namespaces, interface names and ports are per run; all removed on exit.
set -euo pipefail
COUNT=${1:-1000000}
LAB_PREFIX=pf LAB_NET=17
# shellcheck source=lab.sh
. "$(dirname "$0")/lab.sh"
HERE=$ROOT/bench/tunnel
API=$PORT_C
wg genkey > "$DIR/f.key"; FPUB=$(wg pubkey < "$DIR/f.key")

WGB="wf$RUN"
wg_up "$B" "$WGB" "$DIR/b.key" "$PORT_B" "$APUB" "10.241.17.1:$PORT_A" 10.250.17.2 10.250.17.1/32

cat > "$DIR/patronus.json" <<JSON
{
  "Urls": "http://127.0.0.1:$API",
  "Sites": [ { "Id": "a" } ],
  "Links": [ { "Id": "wan", "Site": "a", "Interface": "va", "SourceAddress": "10.241.17.1" } ],
  "Paths": [ { "Id": "p", "Link": "wan", "Probe": "icmp", "Targets": [ "10.241.17.2" ] } ],
  "Traffic": { "Enabled": false },
  "Tunnels": {
    "Enabled": true, "InterfaceName": "pf$RUN", "Addresses": [ "10.250.17.1/24" ], "ListenPort": $PORT_A,
    "PrivateKey": "$(cat "$DIR/a.key")",
    "Peers": [
      { "Name": "wg", "PublicKey": "$BPUB", "AllowedIps": [ "10.250.17.2/32" ], "Endpoint": "10.241.17.2:$PORT_B" },
      { "Name": "fuzz", "PublicKey": "$FPUB", "AllowedIps": [ "10.250.17.3/32" ] }
    ]
  }
}
JSON
ip netns exec "$A" "$BIN" serve --config "$DIR/patronus.json" --data-dir "$DIR/data" >"$DIR/patronus.log" 2>&1 & SERVE=$!; PIDS+=("$SERVE")
for _ in $(seq 300); do ip -n "$A" -o addr show dev "pf$RUN" 2>/dev/null | grep -q 10.250.17.1 && break; sleep 0.1; done
ip netns exec "$A" ping -n -q -c 3 -W 2 10.250.17.2 >/dev/null

metrics() { ip netns exec "$A" curl -s -f --max-time 5 "http://127.0.0.1:$API/metrics"; }
# Inbound drops (the outbound reasons are packets from the TUN device, not datagrams), transport
# messages received, handshake messages accepted; and the namespace's UDP InDatagrams / RcvbufErrors.
snap() {
  { metrics; echo "#snmp"; ip netns exec "$A" cat /proc/net/snmp; } | python3 -c '
import sys
out = {"dropped": 0, "received": 0, "handshakes": 0, "reasons": {}}
outbound = ("no_route", "no_endpoint", "handshake_timeout", "bad_inner_packet")
text = sys.stdin.read()
scrape, _, snmp = text.partition("#snmp\n")
for line in scrape.split("\n"):
    if line.startswith("#") or not line: continue
    name, _, value = line.rpartition(" ")
    if name.startswith("patronus_tunnel_dropped_packets_total{"):
        reason = name.split("reason=\"")[1].split("\"")[0]
        if reason not in outbound:
            out["dropped"] += int(float(value)); out["reasons"][reason] = int(float(value))
    elif name.startswith("patronus_tunnel_received_packets_total{"): out["received"] += int(float(value))
    elif name.startswith("patronus_tunnel_handshakes_received_total{"): out["handshakes"] += int(float(value))
udp = [l.split() for l in snmp.split("\n") if l.startswith("Udp: ")]
out["in"] = int(udp[1][udp[0].index("InDatagrams")]); out["rcvbuf"] = int(udp[1][udp[0].index("RcvbufErrors")])
import json; print(json.dumps(out))'
}

before=$(snap)
start=$(date +%s.%N)
result=$(ip netns exec "$B" python3 "$HERE/fuzz.py" 10.241.17.1 "$PORT_A" "$APUB" "$(cat "$DIR/f.key")" "$COUNT")
elapsed=$(python3 -c "print('%.1f' % ($(date +%s.%N) - $start))")
# Settled: the kernel's count stopped moving and every delivered datagram is counted (60 s at most).
after=""; prev=""
for _ in $(seq 240); do
  after=$(snap)
  if [[ $after == "$prev" ]]; then break; fi
  prev=$after; sleep 0.25
done

alive=yes; kill -0 "$SERVE" 2>/dev/null || alive=NO
ping=$(ip netns exec "$A" ping -n -q -c 5 -i 0.2 -W 2 10.250.17.2 | grep -o '[0-9.]*% packet loss' || echo "no reply")
python3 - "$before" "$after" "$result" "$elapsed" "$alive" "$ping" <<'PY'
import json, sys
b, a, r = json.loads(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
d = {k: a[k] - b[k] for k in ("dropped", "received", "handshakes", "in", "rcvbuf")}
reasons = {k: v - b["reasons"].get(k, 0) for k, v in a["reasons"].items() if v - b["reasons"].get(k, 0)}
accepted = d["received"] + d["handshakes"]
print(f"sent {r['sent']} datagrams in {sys.argv[4]} s (storm {r['storm']}, send errors {r['send_errors']}); by kind: {json.dumps(r['by_kind'])}")
print(f"kernel: delivered to the socket {d['in']}, dropped for a full receive buffer {d['rcvbuf']}")
print(f"patronus: dropped {d['dropped']} {json.dumps(reasons)}; accepted {accepted} (transport {d['received']}, handshake {d['handshakes']})")
print(f"dropped + accepted = {d['dropped'] + accepted}, delivered = {d['in']}: {'every datagram counted' if d['dropped'] + accepted == d['in'] else 'MISMATCH'}")
print(f"delivered + kernel drops = {d['in'] + d['rcvbuf']} of {r['sent']} sent")
print(f"serve alive: {sys.argv[5]}; ping through the tunnel afterwards: {sys.argv[6]}")
ok = d["dropped"] + accepted == d["in"] and sys.argv[5] == "yes" and sys.argv[6].startswith("0%")
sys.exit(0 if ok else 1)
PY
