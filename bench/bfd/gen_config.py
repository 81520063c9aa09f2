#!/usr/bin/env python3
"""Config generators for the BFD end-to-end benchmark (bench/bfd/run.sh).

Addressing (all inside the benchmark's own namespaces, 10.240.0.0/12 as TOOLING.md requires):
  side a: session i uses 10.241.0.0/20  + i + 1   (10.241.0.1 ...)
  side b: session i uses 10.241.16.0/20 + i + 1   (10.241.16.1 ...)
  link:   10.241.255.1/30 (a) <-> 10.241.255.2/30 (b); each side routes the other's /20 via it.
Session addresses are /32s reached through one next hop, so each namespace holds one neighbour
entry instead of 1,000: the kernel's ARP table limit (gc_thresh3 = 1024) is global to all
namespaces, and 2,000 entries would overflow it and drop packets.

  gen_config.py addrs    --sessions N                 -> "a_addr b_addr" per line
  gen_config.py ipbatch  --sessions N --side a|b --dev DEV   -> `ip -batch` lines (addresses)
  gen_config.py patronus --sessions N --side a|b --interval MS --multiplier M
  gen_config.py frr      --sessions N --side a|b --interval MS --multiplier M --log FILE
"""
import argparse
import ipaddress
import json
import sys

A_NET = ipaddress.ip_network("10.241.0.0/20")
B_NET = ipaddress.ip_network("10.241.16.0/20")
MAX_SESSIONS = A_NET.num_addresses - 2
LINK_A = "10.241.255.1"
LINK_B = "10.241.255.2"


def addr(net, i):
    return str(net.network_address + i + 1)


def pairs(n, side):
    """(local, peer) of every session as seen from `side`."""
    for i in range(n):
        a, b = addr(A_NET, i), addr(B_NET, i)
        yield (a, b) if side == "a" else (b, a)


def patronus(args):
    site = f"bench-{args.side}"
    links, paths = [], []
    for i, (local, peer) in enumerate(pairs(args.sessions, args.side)):
        links.append({"Id": f"l{i:04d}", "Site": site, "SourceAddress": local})
        paths.append({
            "Id": f"p{i:04d}",
            "Link": f"l{i:04d}",
            # A target is mandatory; ICMP to the BFD peer, probed once an hour (Health below),
            # so that the measured load is BFD's.
            "Probe": "icmp",
            "Targets": [peer],
            "Bfd": {
                "Peer": peer,
                "DesiredMinTxMs": args.interval,
                "RequiredMinRxMs": args.interval,
                "DetectMultiplier": args.multiplier,
            },
        })
    config = {
        # Probing and history sampling as light as the options allow (both at most 1 h).
        "Health": {"Interval": "01:00:00", "SampleInterval": "01:00:00"},
        # The harness logs in once per side; its token must outlive warm-up + a 10-minute span.
        "Auth": {"AccessTokenLifetime": "1.00:00:00"},
        "Sites": [{"Id": site}],
        "Links": links,
        "Paths": paths,
    }
    json.dump(config, sys.stdout, indent=1)
    sys.stdout.write("\n")


def frr(args):
    out = ["frr defaults traditional", "hostname bench-" + args.side]
    if args.log:
        # State changes with their reason, to the millisecond: "state-change: [...] up -> down
        # reason:control-expired" (`debug bfd peer` logs at debug level).
        out += [f"log file {args.log} debugging", "log timestamp precision 3", "debug bfd peer"]
    out.append("bfd")
    for local, peer in pairs(args.sessions, args.side):
        # No `interface`: bfdd runs without zebra (TOOLING.md). Single hop (TTL 255 checked).
        out += [
            f" peer {peer} local-address {local}",
            f"  detect-multiplier {args.multiplier}",
            f"  receive-interval {args.interval}",
            f"  transmit-interval {args.interval}",
            " exit",
        ]
    out += ["exit", ""]
    sys.stdout.write("\n".join(out))


def ipbatch(args):
    prefix = "10.241.0.0/20" if args.side == "b" else "10.241.16.0/20"
    link, gw = (LINK_A, LINK_B) if args.side == "a" else (LINK_B, LINK_A)
    lines = [f"addr add {link}/30 dev {args.dev}"]
    lines += [f"addr add {local}/32 dev {args.dev}" for local, _ in pairs(args.sessions, args.side)]
    lines += [f"link set {args.dev} up", f"route add {prefix} via {gw} dev {args.dev}"]
    sys.stdout.write("\n".join(lines) + "\n")


def addrs(args):
    for i in range(args.sessions):
        print(addr(A_NET, i), addr(B_NET, i))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", choices=["patronus", "frr", "ipbatch", "addrs"])
    p.add_argument("--sessions", type=int, default=1000)
    p.add_argument("--side", choices=["a", "b"], default="a")
    p.add_argument("--interval", type=int, default=50, help="transmit and receive interval, ms")
    p.add_argument("--multiplier", type=int, default=3)
    p.add_argument("--dev", default="veth0")
    p.add_argument("--log", default=None, help="FRR: log file")
    args = p.parse_args()
    if not 1 <= args.sessions <= MAX_SESSIONS:
        p.error(f"--sessions must be 1..{MAX_SESSIONS}")
    {"patronus": patronus, "frr": frr, "ipbatch": ipbatch, "addrs": addrs}[args.kind](args)


if __name__ == "__main__":
    main()
