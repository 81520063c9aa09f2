#!/usr/bin/env bash
# Issue 16's costs in the data plane, side by side in one run (bench/tunnel/run.sh --sdwan runs
# this): Patronus <-> Patronus with the Patronus data message on both peers, between two
# namespaces joined by two veth pairs (two WAN paths: p1 over va/vb 10.241.16.0/24, p2 over
# wa/wb 10.241.17.0/24; tunnel 10.250.16.0/24), restarted for each configuration:
#   LZ4 auto / off    x  a compressible stream (JSON log lines) / an incompressible one (random octets)
#   duplication: a traffic class holding every packet duplicated always / no class (random octets)
# Each row is one TCP stream a->b for S seconds from a Python sender that repeats an 8 MB buffer
# of that content (LZ4 works per packet, so the repetition gives it nothing), and shows the
# receiver's goodput (Gb/s), the CPU seconds each Patronus process spent per Gbit carried, a's
# LZ4 ratio over the stream (from its /metrics counters) and the octets a's two veths sent per
# octet carried (the wire cost: headers, compression, duplicate copies).
#
#   bench/tunnel/sdwan.sh [--seconds S]
#
# Needs root, iproute2, python3, curl, wireguard-tools (keys), dotnet, a Release build of patronus.
# Traffic stays inside the two namespaces it creates; everything is removed on exit.
set -euo pipefail
SECONDS_EACH=5
while [[ $# -gt 0 ]]; do
  case $1 in
    --seconds) SECONDS_EACH=$2; shift 2 ;;
    *) echo "usage: $0 [--seconds S]" >&2; exit 2 ;;
  esac
done

LAB_PREFIX=ps LAB_NET=16
# shellcheck source=lab.sh
. "$(dirname "$0")/lab.sh"
TCK=$(getconf CLK_TCK)
STREAM_PORT=$PORT_C

# The second WAN path.
ip -n "$A" link add wa type veth peer name wb netns "$B"
ip -n "$A" addr add 10.241.17.1/24 dev wa; ip -n "$B" addr add 10.241.17.2/24 dev wb
ip -n "$A" link set wa up; ip -n "$B" link set wb up

sdwan_up() { # ns side keyfile port peerpub peer-port address self-octet peer-octet compression [classes-json] -> pid in $UP_PID
  local classes=""
  [[ -n ${11:-} ]] && classes="\"TrafficClasses\": ${11},"
  cat > "$DIR/sdwan-$2.json" <<JSON
{
  "Urls": "http://127.0.0.1:8080",
  "Sites": [ { "Id": "$2" } ],
  "Links": [ { "Id": "wan1", "Site": "$2", "Interface": "v$2", "SourceAddress": "10.241.16.$8" },
             { "Id": "wan2", "Site": "$2", "Interface": "w$2", "SourceAddress": "10.241.17.$8" } ],
  "Paths": [ { "Id": "p1", "Link": "wan1", "Probe": "icmp", "Targets": [ "10.241.16.$9" ] },
             { "Id": "p2", "Link": "wan2", "Probe": "icmp", "Targets": [ "10.241.17.$9" ] } ],
  "Traffic": { "Enabled": false },
  $classes
  "Tunnels": {
    "Enabled": true, "InterfaceName": "ps$2$RUN", "Addresses": [ "$7/24" ], "ListenPort": $4,
    "PrivateKey": "$(cat "$3")",
    "Peers": [ { "Name": "peer", "PublicKey": "$5", "AllowedIps": [ "10.250.16.0/24" ], "Patronus": true, "Compression": "${10}",
                 "Endpoints": { "p1": "10.241.16.$9:$6", "p2": "10.241.17.$9:$6" } } ]
  }
}
JSON
  ip netns exec "$1" "$BIN" serve --config "$DIR/sdwan-$2.json" --data-dir "$DIR/sdwan-data-$2-$RANDOM" >"$DIR/sdwan-$2.log" 2>&1 & UP_PID=$!; PIDS+=("$UP_PID")
  for _ in $(seq 300); do ip -n "$1" -o addr show dev "ps$2$RUN" 2>/dev/null | grep -q "$7" && return; sleep 0.1; done
  echo "patronus on $2 did not come up:" >&2; tail -20 "$DIR/sdwan-$2.log" >&2; exit 1
}

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }

a_tx() { # octets a's two veths sent
  ip netns exec "$A" sh -c 'echo $(( $(cat /sys/class/net/va/statistics/tx_bytes) + $(cat /sys/class/net/wa/statistics/tx_bytes) ))'; }

lz4() { # a's compression counters: "before after"
  ip netns exec "$A" curl -s http://127.0.0.1:8080/metrics | awk '
    /^patronus_tunnel_compression_bytes_before_total/ {b = $NF}
    /^patronus_tunnel_compression_bytes_after_total/ {a = $NF}
    END {printf "%d %d\n", b, a}'
}

SINK='
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1); print("listening", flush=True)
c, _ = s.accept(); buf = bytearray(1 << 20); n = 0; t0 = None
while True:
    k = c.recv_into(buf)
    if not k:
        break
    if t0 is None:
        t0 = time.monotonic()
    n += k
print(n, time.monotonic() - t0, flush=True)
'

# Sends FILE over and over for SECONDS to HOST:PORT.
SOURCE='
import socket, sys, time
path, host, port, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
data = open(path, "rb").read(); size = len(data); view = memoryview(data); step = 1 << 20
c = socket.create_connection((host, port), timeout=30)
end = time.monotonic() + seconds; off = 0
while time.monotonic() < end:
    c.sendall(view[off:off + step]); off = (off + step) % size
c.close()
'
python3 "$ROOT/bench/tunnel/jsonlog.py" text $((8 << 20)) "$DIR/text.bin"
python3 "$ROOT/bench/tunnel/jsonlog.py" random $((8 << 20)) "$DIR/random.bin"

stream() { # label pa pb kind
  local label=$1 pa=$2 pb=$3 kind=$4 c0a c0b c1a c1b w0 w1 z0 z1 out gbps
  rm -f "$DIR/sink.out"
  ip netns exec "$B" python3 -c "$SINK" 10.250.16.2 "$STREAM_PORT" >"$DIR/sink.out" 2>&1 & local s=$!
  for _ in $(seq 100); do grep -q listening "$DIR/sink.out" 2>/dev/null && break; sleep 0.05; done
  # Counters before the first byte and after the last (the goodput is the sink's, first byte to end).
  c0a=$(cpu "$pa"); c0b=$(cpu "$pb"); w0=$(a_tx); z0=$(lz4)
  ip netns exec "$A" python3 -c "$SOURCE" "$DIR/$kind.bin" 10.250.16.2 "$STREAM_PORT" "$SECONDS_EACH" || true
  wait "$s" || true
  c1a=$(cpu "$pa"); c1b=$(cpu "$pb"); w1=$(a_tx); z1=$(lz4)
  out=$(tail -1 "$DIR/sink.out")
  python3 - "$label" "$out" "$c0a" "$c1a" "$c0b" "$c1b" "$w0" "$w1" "$z0" "$z1" "$TCK" <<'PY'
import sys
label, out, c0a, c1a, c0b, c1b, w0, w1, z0, z1, tck = sys.argv[1:]
n, secs = out.split(); n = int(n); secs = float(secs)
gbit = n * 8 / 1e9
b0, a0 = map(int, z0.split()); b1, a1 = map(int, z1.split())
ratio = (b1 - b0) / (a1 - a0) if a1 > a0 else 1.0
cpa = (int(c1a) - int(c0a)) / int(tck) / gbit; cpb = (int(c1b) - int(c0b)) / int(tck) / gbit
print("%-34s | %6.3f | %5.2f / %5.2f | %5.2f | %5.2f" % (label, gbit / secs, cpa, cpb, ratio, (int(w1) - int(w0)) / n))
PY
}

pair() { # label compression classes-json-or-empty kinds...
  local label=$1 comp=$2 classes=$3; shift 3
  sdwan_up "$A" a "$DIR/a.key" "$PORT_A" "$BPUB" "$PORT_B" 10.250.16.1 1 2 "$comp" "$classes"; local pa=$UP_PID
  sdwan_up "$B" b "$DIR/b.key" "$PORT_B" "$APUB" "$PORT_A" 10.250.16.2 2 1 "$comp" "$classes"; local pb=$UP_PID
  # b starts the handshake; a loaded machine may need a few tries.
  local ok=0
  for _ in $(seq 20); do ip netns exec "$B" ping -n -q -c 1 -W 1 10.250.16.1 >/dev/null 2>&1 && { ok=1; break; }; done
  [[ $ok == 1 ]] || { echo "$label: no ping through the tunnel" >&2; tail -5 "$DIR/sdwan-a.log" "$DIR/sdwan-b.log" >&2; exit 1; }
  for kind in "$@"; do stream "$label, $kind" "$pa" "$pb" "$kind"; done
  kill "$pa" "$pb"; wait "$pa" "$pb" 2>/dev/null || true
  sleep 0.5
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); ${SECONDS_EACH} s per stream; $(nproc) cores"
printf '%-34s | %6s | %13s | %5s | %5s\n' "Patronus <-> Patronus, data message" "Gb/s" "CPU s/Gbit a/b" "LZ4" "wire"
printf '%-34s | %6s | %13s | %5s | %5s\n' "" "TCP a>b" "" "ratio" "/ octet"
pair "LZ4 auto" auto '' text random
pair "LZ4 off" off '' text random
pair "duplication always" off '[ { "Name": "all", "Duplication": "always" } ]' random
pair "duplication off" off '[ { "Name": "all" } ]' random
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
