"""Writes SIZE octets of KIND to FILE: "text", JSON log lines (a timestamp, host, path, status,
size and 16-hex-digit request id each: compressible the way real logs are), or "random", random
octets (what encrypted or compressed traffic looks like). Used by bench/tunnel/sdwan.sh and
TunnelSdwanLabTests.

    python3 jsonlog.py text|random SIZE FILE
"""
import json
import os
import random
import sys

kind, size, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if kind == "random":
    data = os.urandom(size)
else:
    r = random.Random(16)
    out, n, i = [], 0, 0
    levels = ["INFO", "INFO", "INFO", "WARN", "DEBUG", "ERROR"]
    paths = ["/api/v1/paths", "/api/v1/tunnels", "/metrics", "/api/v1/failover/policies", "/graphql"]
    while n < size:
        line = json.dumps({
            "ts": "2026-12-05T12:%02d:%02d.%03dZ" % (i // 60000 % 60, i // 1000 % 60, i % 1000),
            "level": r.choice(levels), "service": "patronus-edge", "host": "edge-%02d" % r.randrange(1, 40),
            "method": "GET", "path": r.choice(paths), "status": r.choice([200, 200, 200, 304, 404, 500]),
            "duration_ms": round(r.expovariate(1 / 12), 3), "bytes": r.randrange(200, 90000),
            "request_id": "%016x" % r.getrandbits(64)}) + "\n"
        out.append(line)
        n += len(line)
        i += 7
    data = "".join(out).encode()[:size]
with open(path, "wb") as f:
    f.write(data)
