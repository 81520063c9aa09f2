#!/usr/bin/env python3
"""Measurements and reports of the BFD end-to-end benchmark (bench/bfd/run.sh).

  analyze.py count     --kind patronus|frr < sessions.json    -> "UP TOTAL"
  analyze.py snapshot  --kind K --ns a=NS,b=NS --pid a=PID,b=PID [--port P --auth a=FILE,b=FILE | --vty a=DIR,b=DIR] --out FILE
  analyze.py sample    --pid a=PID,b=PID --out CSV --seconds S   (one row a second, S at most)
  analyze.py summarize --kind K --dir DIR                        -> DIR/summary.json, prints a report
  analyze.py table     DIR...                                    -> one table over scenarios
  analyze.py line      DIR...                                    -> one summary line per scenario, side by side
  analyze.py wiregaps  --kind K --dir DIR                        -> gaps on the wire vs detection expiries

CPU is (utime + stime) from /proc/PID/stat over the measured span, in cores (1.0 = one core
busy). samples.csv has one row a second: load, machine CPU, CPU pressure (PSI), the largest
scheduling delay a normal-priority probe thread saw, the steal time (a VM-wide stall shows there), and each process's CPU and run-queue wait. Run-queue wait is the sum over the process's threads of /proc/PID/task/*/schedstat's
second field: time spent runnable but not running, i.e. waiting for a CPU.
"""
import argparse
import csv
import datetime as dt
import glob
import json
import os
import re
import subprocess
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")

# "2026-11-30T17:40:01.123Z info: Patronus.Engine.Bfd.BfdService[12] BFD session p0001: Up -> Down (diagnostic X, Y)"
LOG_CHANGE = re.compile(
    r"^(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z) \w+: \S+ BFD session (?P<path>\S+): "
    r"(?P<old>\w+) -> (?P<new>\w+) \(diagnostic (?P<diag>\w+), (?P<reason>\w+)\)")


def kv(text):
    return dict(item.split("=", 1) for item in text.split(",") if item)


def iso(t):
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso(s):
    s = s.rstrip("Z")
    if "+" in s[10:]:
        s = s[: s.rindex("+")]
    if "." in s:
        head, frac = s.split(".")
        s = head + "." + (frac + "000000")[:6]
    else:
        s += ".000000"
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=dt.timezone.utc).timestamp()


# ---------------------------------------------------------------- /proc readers

def proc_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat(5))


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "Threads"):
                out[k] = int(v.split()[0])
    return out


def proc_runq_wait_ns(pid):
    """Run-queue wait (ns) of each live thread of the process, by thread id."""
    out = {}
    for path in glob.glob(f"/proc/{pid}/task/*/schedstat"):
        try:
            with open(path) as f:
                out[path.split("/")[4]] = int(f.read().split()[1])
        except (OSError, IndexError, ValueError):
            pass  # a thread that ended between glob and open
    return out


def runq_wait_delta_ns(before, after):
    """
    Wait accumulated between two readings: per thread, so that a thread that ended (the thread
    pool retires idle workers) does not make the sum go backwards. Its wait since the first
    reading is lost, so this is a lower bound; a thread born in between counts in full.
    """
    if isinstance(before, int):  # older snapshot format: one sum
        return max(0, sum(after.values()) - before) if isinstance(after, dict) else max(0, after - before)
    return sum(w - before.get(tid, 0) for tid, w in after.items() if w >= before.get(tid, 0))


def system_cpu():
    """(total, idle, steal) ticks of all CPUs from /proc/stat; steal is the time the hypervisor ran
    something else while a vCPU wanted to run: a stall of the whole VM shows there, not in idle."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v[:8]), idle, v[7] if len(v) > 7 else 0


def psi_some_us():
    try:
        with open("/proc/pressure/cpu") as f:
            return int(f.readline().rsplit("total=", 1)[1])
    except (OSError, IndexError, ValueError):
        return None


def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().strip()


def in_ns(ns, *cmd, timeout=60):
    return subprocess.run(["ip", "netns", "exec", ns, *cmd], capture_output=True, text=True, timeout=timeout, check=True).stdout


def udp_counters(ns):
    lines = [l.split() for l in in_ns(ns, "cat", "/proc/net/snmp").splitlines() if l.startswith("Udp:")]
    return {k: int(v) for k, v in zip(lines[0][1:], lines[1][1:])}


# ---------------------------------------------------------------- sessions

def patronus_sessions(ns, port, auth):
    # auth: a file holding the header line "Authorization: Bearer …" (the API answers 401 without).
    raw = in_ns(ns, "curl", "-sf", "--max-time", "30", "-H", f"@{auth}", f"http://127.0.0.1:{port}/api/v1/bfd/sessions")
    out = {}
    for s in json.loads(raw)["sessions"]:
        p = s.get("packets") or {}
        out[s["path_id"]] = {
            "state": s["state"], "last_change": s.get("last_change"),
            "sent": p.get("sent", 0), "received": p.get("received", 0), "dropped": p.get("dropped", 0),
            "detection_time_ms": (s.get("timers") or {}).get("detection_time_ms"),
            "transmit_interval_ms": (s.get("timers") or {}).get("transmit_interval_ms"),
        }
    return out


def vtysh_json(vty, command):
    raw = subprocess.run(["vtysh", "--vty_socket", vty, "-c", command], capture_output=True, text=True, timeout=120, check=True).stdout
    return json.loads(raw)


def frr_sessions(vty):
    out = {}
    for p in vtysh_json(vty, "show bfd peers json"):
        out[f'{p["local"]}>{p["peer"]}'] = {
            "state": p["status"], "uptime": p.get("uptime"), "downtime": p.get("downtime"),
            "diagnostic": p.get("diagnostic"), "transmit_interval_ms": p.get("transmit-interval"),
        }
    for c in vtysh_json(vty, "show bfd peers counters json"):
        s = out.setdefault(f'{c["local"]}>{c["peer"]}', {"state": "unknown"})
        s.update({"sent": c.get("control-packet-output", 0), "received": c.get("control-packet-input", 0),
                  "session_up": c.get("session-up", 0), "session_down": c.get("session-down", 0)})
    return out


def count(args):
    data = json.load(sys.stdin)
    if args.kind == "patronus":
        states = [s["state"] for s in data["sessions"]]
    else:
        states = [p["status"] for p in data]
    print(sum(1 for s in states if s == "up"), len(states))


def snapshot(args):
    ns, pids = kv(args.ns), kv(args.pid)
    vty = kv(args.vty or "")
    auth = kv(args.auth or "")
    snap = {"sides": {}}
    # Sessions first, /proc last: the API call's own CPU stays outside the measured span at the
    # start (t0 is taken after it) — at the end the order is reversed (--proc-first).
    def sessions(side):
        return patronus_sessions(ns[side], args.port, auth[side]) if args.kind == "patronus" else frr_sessions(vty[side])

    def procs():
        snap["time"] = time.time()
        snap["iso"] = iso(snap["time"])
        snap["loadavg"] = loadavg()
        snap["system_cpu"] = system_cpu()
        snap["psi_some_us"] = psi_some_us()
        for side, pid in pids.items():
            d = snap["sides"].setdefault(side, {})
            d["pid"] = int(pid)
            d["ticks"] = proc_ticks(pid)
            d["runq_wait_ns"] = proc_runq_wait_ns(pid)
            d.update(proc_status(pid))

    if args.proc_first:
        procs()
    for side in pids:
        d = snap["sides"].setdefault(side, {})
        d["udp"] = udp_counters(ns[side])
        d["sessions_time"] = time.time()
        d["sessions"] = sessions(side)
    if not args.proc_first:
        procs()
    with open(args.out, "w") as f:
        json.dump(snap, f)


class LatenessProbe:
    """
    A thread that sleeps 5 ms at a time and keeps the largest oversleep: how long a thread of
    normal priority on this machine waited for a CPU, second by second. When it reaches the BFD
    Detection Time, any process here (Patronus, bfdd, this one) can miss its deadlines.
    """

    def __init__(self):
        import threading
        self._lock = threading.Lock()
        self._max = 0.0
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            t = time.monotonic()
            time.sleep(0.005)
            late = time.monotonic() - t - 0.005
            with self._lock:
                self._max = max(self._max, late)

    def take_max_ms(self):
        with self._lock:
            m, self._max = self._max, 0.0
        return m * 1e3


def sample(args):
    pids = kv(args.pid)
    probe = LatenessProbe()
    with open(args.out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["time", "loadavg1", "system_busy_cores", "psi_some_pct", "max_sched_delay_ms", "steal_ms_per_s"]
                   + [f"{s}_{m}" for s in pids for m in ("cpu_cores", "runq_wait_ms_per_s", "rss_kb")])
        prev = None
        end = time.monotonic() + args.seconds
        while time.monotonic() < end:
            now = time.monotonic()
            cur = {"t": now, "sys": system_cpu(), "psi": psi_some_us(),
                   "p": {s: (proc_ticks(p), proc_runq_wait_ns(p), proc_status(p).get("VmRSS", 0)) for s, p in pids.items()}}
            if prev:
                dt_s = cur["t"] - prev["t"]
                total = cur["sys"][0] - prev["sys"][0]
                busy = (total - (cur["sys"][1] - prev["sys"][1])) / CLK_TCK / dt_s
                psi = (cur["psi"] - prev["psi"]) / 1e4 / dt_s if cur["psi"] is not None else ""
                steal = (cur["sys"][2] - prev["sys"][2]) * 1e3 / CLK_TCK / dt_s
                row = [iso(time.time()), loadavg().split()[0], f"{busy:.2f}", f"{psi:.1f}" if psi != "" else "",
                       f"{probe.take_max_ms():.1f}", f"{steal:.1f}"]
                for s in pids:
                    t1, w1, rss = cur["p"][s]
                    t0, w0, _ = prev["p"][s]
                    row += [f"{(t1 - t0) / CLK_TCK / dt_s:.3f}", f"{runq_wait_delta_ns(w0, w1) / 1e6 / dt_s:.1f}", rss]
                w.writerow(row)
                f.flush()
            prev = cur
            time.sleep(max(0.0, 1.0 - (time.monotonic() - now)))


# ---------------------------------------------------------------- summary

def patronus_log_changes(path, since, until):
    """State changes logged within [since, until] (the shutdown's AdminDown comes after until)."""
    changes = []
    with open(path, errors="replace") as f:
        for line in f:
            m = LOG_CHANGE.match(line)
            if m and since <= parse_iso(m["ts"]) <= until:
                changes.append(m.groupdict())
    return changes


# "2026/11/30 17:55:41.123 BFD: [SEY1D-NT8EQ] state-change: [mhop:no peer:P local:L vrf:default] up -> down reason:control-expired"
FRR_CHANGE = re.compile(
    r"^(?P<ts>\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(?:\.\d+)?) BFD: \[[^]]*\] state-change: "
    r"\[mhop:\w+ peer:(?P<peer>\S+) local:(?P<local>\S+) [^]]*\] (?P<old>[\w-]+) -> (?P<new>[\w-]+)(?: reason:(?P<reason>[\w-]+))?")


def frr_log_changes(path, since, until):
    """State changes that bfdd logged within [since, until] (its timestamps are local time)."""
    changes = []
    if not os.path.exists(path):
        return changes
    with open(path, errors="replace") as f:
        for line in f:
            m = FRR_CHANGE.match(line)
            if not m:
                continue
            head, _, frac = m["ts"].partition(".")
            t = time.mktime(time.strptime(head, "%Y/%m/%d %H:%M:%S")) + (float("0." + frac) if frac else 0.0)
            if since <= t <= until:
                c = m.groupdict()
                c["path"] = f'{c["local"]}>{c["peer"]}'
                c["ts"] = iso(t)
                c["diag"] = c["reason"] or "none"
                changes.append(c)
    return changes


def left_up_stats(r, changes, up_name):
    left_up = [c for c in changes if c["old"] == up_name]
    r["log_state_changes"] = len(changes)
    r["log_left_up_events"] = len(left_up)
    r["log_sessions_left_up"] = len({c["path"] for c in left_up})
    diags, per_min = {}, {}
    for c in left_up:
        key = f'{c["new"]}/{c["diag"]}'
        diags[key] = diags.get(key, 0) + 1
        per_min[c["ts"][:16]] = per_min.get(c["ts"][:16], 0) + 1
    r["log_left_up_by_diag"] = diags
    r["log_left_up_first"] = left_up[0]["ts"] if left_up else None
    r["log_left_up_last"] = left_up[-1]["ts"] if left_up else None
    r["log_left_up_per_minute"] = per_min
    # Bursts: sessions leaving Up within 1 s of the previous one. Many sessions at once point at
    # something common to all of them (a stalled process or machine), not at one session.
    bursts = []
    for c in sorted(left_up, key=lambda c: c["ts"]):
        t = parse_iso(c["ts"])
        if bursts and t - bursts[-1]["last"] <= 1.0:
            bursts[-1]["last"] = t
            bursts[-1]["n"] += 1
        else:
            bursts.append({"first": t, "last": t, "n": 1, "at": c["ts"]})
    r["left_up_bursts"] = [{"at": b["at"], "sessions": b["n"], "spread_ms": round((b["last"] - b["first"]) * 1e3)} for b in bursts]


def sched_delay_stats(path, detection_ms):
    """From samples.csv: the probe thread's worst scheduling delay, and seconds where it reached the Detection Time."""
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        rows = [r for r in csv.DictReader(f) if r.get("max_sched_delay_ms")]
    if not rows:
        return {}
    v = sorted(float(r["max_sched_delay_ms"]) for r in rows)
    worst = max(rows, key=lambda r: float(r["max_sched_delay_ms"]))
    steal = [r for r in rows if r.get("steal_ms_per_s")]
    most_steal = max(steal, key=lambda r: float(r["steal_ms_per_s"])) if steal else None
    return {"steal_max_ms_per_s": float(most_steal["steal_ms_per_s"]) if most_steal else None,
            "steal_max_at": most_steal["time"] if most_steal else None,
            "sched_delay_max_ms": v[-1], "sched_delay_max_at": worst["time"], "sched_delay_p50_ms": v[len(v) // 2],
            "seconds": len(v), "seconds_over_detection_time": sum(1 for x in v if x >= detection_ms),
            "seconds_over_half_detection_time": sum(1 for x in v if x >= detection_ms / 2),
            "over_detection_time_at": [r["time"] for r in rows if float(r["max_sched_delay_ms"]) >= detection_ms]}


def summarize(args):
    d = args.dir
    t0 = json.load(open(os.path.join(d, "t0.json")))
    t1 = json.load(open(os.path.join(d, "t1.json")))
    meta = json.load(open(os.path.join(d, "meta.json")))
    span = t1["time"] - t0["time"]
    out = {"kind": args.kind, "meta": meta, "t0": t0["iso"], "t1": t1["iso"], "span_s": round(span, 1),
           "loadavg_start": t0["loadavg"], "loadavg_end": t1["loadavg"], "sides": {}}
    sys_total = t1["system_cpu"][0] - t0["system_cpu"][0]
    sys_idle = t1["system_cpu"][1] - t0["system_cpu"][1]
    out["system_busy_cores"] = round((sys_total - sys_idle) / CLK_TCK / span, 2)
    out["probe"] = sched_delay_stats(os.path.join(d, "samples.csv"), meta["interval_ms"] * meta["multiplier"])
    if t0.get("psi_some_us") is not None and t1.get("psi_some_us") is not None:
        out["psi_cpu_some_pct"] = round((t1["psi_some_us"] - t0["psi_some_us"]) / 1e4 / span, 1)
    for side in sorted(t0["sides"]):
        a, b = t0["sides"][side], t1["sides"][side]
        s0, s1 = a["sessions"], b["sessions"]
        sspan = b["sessions_time"] - a["sessions_time"]
        up0 = [k for k, v in s0.items() if v["state"] == "up"]
        r = {
            "pid": a["pid"],
            "cpu_cores": round((b["ticks"] - a["ticks"]) / CLK_TCK / span, 3),
            "runq_wait_ms_per_s": round(runq_wait_delta_ns(a["runq_wait_ns"], b["runq_wait_ns"]) / 1e6 / span, 1),
            "rss_mb_end": round(b.get("VmRSS", 0) / 1024, 1),
            "rss_peak_mb": round(b.get("VmHWM", 0) / 1024, 1),
            "threads": b.get("Threads"),
            "sessions": len(s1),
            "up_at_start": len(up0),
            "up_at_end": sum(1 for v in s1.values() if v["state"] == "up"),
            "sent_per_s": round((sum(v.get("sent", 0) for v in s1.values()) - sum(v.get("sent", 0) for v in s0.values())) / sspan),
            "received_per_s": round((sum(v.get("received", 0) for v in s1.values()) - sum(v.get("received", 0) for v in s0.values())) / sspan),
            "udp_rcvbuf_errors": b["udp"].get("RcvbufErrors", 0) - a["udp"].get("RcvbufErrors", 0),
            "udp_in_errors": b["udp"].get("InErrors", 0) - a["udp"].get("InErrors", 0),
            "udp_no_ports": b["udp"].get("NoPorts", 0) - a["udp"].get("NoPorts", 0),
        }
        if args.kind == "patronus":
            r["dropped"] = sum(v.get("dropped", 0) for v in s1.values()) - sum(v.get("dropped", 0) for v in s0.values())
            changes = patronus_log_changes(os.path.join(d, f"{side}.log"), t0["time"], t1["time"])
            left_up_stats(r, changes, "Up")
            since_launch = patronus_log_changes(os.path.join(d, f"{side}.log"), meta["launch"], t1["time"])
            r["api_changed_since_start"] = sum(1 for v in s1.values() if v.get("last_change") and parse_iso(v["last_change"]) >= t0["time"])
            r["false_downs"] = r["log_sessions_left_up"]
        else:
            downs = {k: s1[k].get("session_down", 0) - s0.get(k, {}).get("session_down", 0) for k in s1}
            r["counter_down_events"] = sum(downs.values())
            r["counter_sessions_down"] = sum(1 for v in downs.values() if v > 0)
            # uptime (s) shorter than the span: the session went down and came back in it.
            r["uptime_shorter_than_span"] = sum(1 for k in up0 if s1.get(k, {}).get("state") == "up"
                                                and (s1[k].get("uptime") or 0) < span - 2)
            r["false_downs"] = r["counter_sessions_down"]
            left_up_stats(r, frr_log_changes(os.path.join(d, side, "bfdd.log"), t0["time"], t1["time"]), "up")
            since_launch = frr_log_changes(os.path.join(d, side, "bfdd.log"), meta["launch"], t1["time"])
        # Flaps count from launch, not from "all Up": a session that came Up and fell again during
        # warm-up is a flap too (issue 14 found 43-67 of them 8-12 s after launch, unseen by the span).
        left = [c for c in since_launch if c["old"].lower() == "up"]
        r["flaps_from_launch"] = len({c["path"] for c in left})
        r["flap_events_from_launch"] = len(left)
        r["first_flap_s_after_launch"] = round(parse_iso(left[0]["ts"]) - meta["launch"], 1) if left else None
        out["sides"][side] = r
    with open(os.path.join(d, "summary.json"), "w") as f:
        json.dump(out, f, indent=1)
    print(json.dumps(out, indent=1))


def table(args):
    rows = []
    for d in args.dirs:
        p = os.path.join(d, "summary.json")
        if os.path.exists(p):
            rows.append(json.load(open(p)))
    head = ["scenario", "side", "sessions", "interval", "span s", "all Up s: side / both", "false Downs",
            "left-Up events", "CPU cores", "runq wait ms/s", "RSS MB (peak)", "tx/s", "rx/s", "UDP rcvbuf err", "load start → end"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        m = r["meta"]
        for side, s in r["sides"].items():
            events = s.get("counter_down_events", s.get("log_left_up_events"))
            lines.append("| " + " | ".join(str(x) for x in [
                r["kind"] + (f' (nice {m["nice"]})' if m.get("nice") else ""), side, f'{s["up_at_start"]}/{s["sessions"]}', f'{m["interval_ms"]} ms × {m["multiplier"]}',
                r["span_s"], f'{m.get("all_up_s", {}).get(side)} / {m.get("all_up_s", {}).get("both")}', s["false_downs"], events,
                s["cpu_cores"], s["runq_wait_ms_per_s"], f'{s["rss_mb_end"]} ({s["rss_peak_mb"]})',
                s["sent_per_s"], s["received_per_s"], s["udp_rcvbuf_errors"],
                f'{r["loadavg_start"].split()[0]} → {r["loadavg_end"].split()[0]}']) + " |")
    print("\n".join(lines))
    for r in rows:
        print(f'\n{r["kind"]}: system busy {r["system_busy_cores"]} cores of {os.cpu_count()} over the span'
              + (f', CPU pressure (PSI some) {r["psi_cpu_some_pct"]} %' if "psi_cpu_some_pct" in r else "")
              + f'; loadavg start "{r["loadavg_start"]}", end "{r["loadavg_end"]}"')
        p = r.get("probe") or {}
        if p:
            print(f'  scheduling delay of a normal-priority probe thread: median of per-second maxima {p["sched_delay_p50_ms"]} ms, '
                  f'worst {p["sched_delay_max_ms"]} ms at {p["sched_delay_max_at"]}; {p["seconds_over_detection_time"]} of {p["seconds"]} s '
                  f'reached the Detection Time ({r["meta"]["interval_ms"] * r["meta"]["multiplier"]} ms), {p["seconds_over_half_detection_time"]} s half of it')
            if p.get("steal_max_ms_per_s") is not None:
                print(f'  steal (the hypervisor running something else while a vCPU wanted to run): worst second '
                      f'{p["steal_max_ms_per_s"]} ms/s at {p["steal_max_at"]}')
        for side, s in r["sides"].items():
            if s.get("log_left_up_by_diag"):
                b = s.get("left_up_bursts") or []
                print(f'  {side}: left Up by new state/diagnostic {s["log_left_up_by_diag"]}, first {s["log_left_up_first"]}, last {s["log_left_up_last"]}; '
                      f'{len(b)} bursts (events ≤ 1 s apart), largest {max((x["sessions"] for x in b), default=0)} events')


def line(args):
    """One line per scenario, side by side: CPU and RSS per process, flaps from launch, false Downs in the span."""
    parts = []
    for d in args.dirs:
        p = os.path.join(d, "summary.json")
        if not os.path.exists(p):
            continue
        r = json.load(open(p))
        sides = r["sides"]
        cores = "/".join(f'{s["cpu_cores"]:.2f}' for s in sides.values())
        rss = "/".join(f'{s["rss_mb_end"]:.0f}' for s in sides.values())
        flaps = "/".join(str(s.get("flaps_from_launch", 0)) for s in sides.values())
        downs = "/".join(str(s["false_downs"]) for s in sides.values())
        m = r["meta"]
        parts.append(f'{r["kind"]}{" +hog" if m.get("hog") else ""}: cores a/b {cores}, RSS MB a/b {rss}, flaps from launch a/b {flaps}, '
                     f'false Downs a/b {downs} in {r["span_s"]:.0f} s (load {r["loadavg_start"].split()[0]} -> {r["loadavg_end"].split()[0]})')
    print("SUMMARY " + " | ".join(parts))


def read_pcap(path):
    """(time, src, dst) of each IPv4 datagram in a classic pcap file (tcpdump -w, Ethernet)."""
    import struct
    out = []
    with open(path, "rb") as f:
        head = f.read(24)
        if len(head) < 24:
            return out
        magic = struct.unpack("<I", head[:4])[0]
        endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
        nano = magic in (0xA1B23C4D, 0x4D3CB2A1)
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                break
            sec, frac, incl, _ = struct.unpack(endian + "IIII", rec)
            data = f.read(incl)
            if len(data) < 34 or data[12:14] != b"\x08\x00":
                continue
            src = ".".join(str(b) for b in data[26:30])
            dst = ".".join(str(b) for b in data[30:34])
            out.append((sec + frac / (1e9 if nano else 1e6), src, dst))
    return out


def wiregaps(args):
    """
    For every Up -> Down by detection-time expiry logged on side a for a captured session: how
    long the wire had been silent from b to a at that moment. Silent for at least the Detection
    Time: b did not send (its sender stalled, or the packets were lost before the veth). Not
    silent: b's packets were on the wire in time and a did not process them before its timer.
    """
    d = args.dir
    t0 = json.load(open(os.path.join(d, "t0.json")))
    t1 = json.load(open(os.path.join(d, "t1.json")))
    packets = read_pcap(os.path.join(d, "capture-a.pcap"))
    by_flow = {}
    for t, src, dst in packets:
        by_flow.setdefault((src, dst), []).append(t)
    # Largest gaps per direction over the span, and the sender-side distribution.
    gaps = {"a->b": [], "b->a": []}
    for (src, dst), ts in by_flow.items():
        direction = "a->b" if int(src.split(".")[2]) < 16 else "b->a"
        gaps[direction] += [b - a for a, b in zip(ts, ts[1:]) if t0["time"] <= a <= t1["time"]]
    out = {"packets": len(packets), "flows": len(by_flow)}
    for k, g in gaps.items():
        g.sort()
        if g:
            out[k] = {"gaps": len(g), "p50_ms": round(g[len(g) // 2] * 1e3, 1), "p99_ms": round(g[int(len(g) * 0.99)] * 1e3, 1),
                      "p999_ms": round(g[int(len(g) * 0.999)] * 1e3, 1), "max_ms": round(g[-1] * 1e3, 1),
                      "over_150ms": sum(1 for x in g if x >= 0.150)}
    # The expiries logged on a for captured sessions.
    if args.kind == "patronus":
        cfg = json.load(open(os.path.join(d, "a.json")))
        peer_of = {p["Id"]: p["Bfd"]["Peer"] for p in cfg["Paths"]}
        local_of = {p["Id"]: l["SourceAddress"] for p, l in zip(cfg["Paths"], cfg["Links"])}
        changes = patronus_log_changes(os.path.join(d, "a.log"), t0["time"], t1["time"])
        expiries = [(parse_iso(c["ts"]), local_of[c["path"]], peer_of[c["path"]]) for c in changes
                    if c["old"] == "Up" and c["diag"] == "ControlDetectionTimeExpired"]
    else:
        changes = frr_log_changes(os.path.join(d, "a", "bfdd.log"), t0["time"], t1["time"])
        expiries = [(parse_iso(c["ts"]), c["local"], c["peer"]) for c in changes if c["old"] == "up" and c["diag"] == "control-expired"]
    silent = []
    for t, local, peer in expiries:
        ts = by_flow.get((peer, local))
        if not ts:
            continue  # not a captured session
        before = [x for x in ts if x <= t]
        silent.append(round((t - before[-1]) * 1e3, 1) if before else None)
    out["a_expiries_captured"] = len(silent)
    out["a_expiries_wire_silent_ms"] = sorted(x for x in silent if x is not None)
    with open(os.path.join(d, "wiregaps.json"), "w") as f:
        json.dump(out, f, indent=1)
    print(json.dumps(out, indent=1))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("count")
    c.add_argument("--kind", choices=["patronus", "frr"], required=True)
    s = sub.add_parser("snapshot")
    s.add_argument("--kind", choices=["patronus", "frr"], required=True)
    s.add_argument("--ns", required=True)
    s.add_argument("--pid", required=True)
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--vty")
    s.add_argument("--auth")
    s.add_argument("--proc-first", action="store_true")
    s.add_argument("--out", required=True)
    m = sub.add_parser("sample")
    m.add_argument("--pid", required=True)
    m.add_argument("--out", required=True)
    m.add_argument("--seconds", type=float, required=True)
    z = sub.add_parser("summarize")
    z.add_argument("--kind", choices=["patronus", "frr"], required=True)
    z.add_argument("--dir", required=True)
    g = sub.add_parser("wiregaps")
    g.add_argument("--kind", choices=["patronus", "frr"], required=True)
    g.add_argument("--dir", required=True)
    t = sub.add_parser("table")
    t.add_argument("dirs", nargs="+")
    n = sub.add_parser("line")
    n.add_argument("dirs", nargs="+")
    args = p.parse_args()
    {"count": count, "snapshot": snapshot, "sample": sample, "summarize": summarize, "table": table, "line": line,
     "wiregaps": wiregaps}[args.cmd](args)


if __name__ == "__main__":
    main()
