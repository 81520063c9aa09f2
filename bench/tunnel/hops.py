"""Where a ping's added round trip goes, hop by hop, from a `perf record` of scheduler and
system-call tracepoints (bench/tunnel/rtt.sh --perf records it).

    perf script --ns -F comm,pid,tid,time,event,trace -i FILE | python3 hops.py PING_PID A_PID B_PID

For every echo request the ping process sends (sendto), it follows the packet through the two
tunnel processes: a's thread that sends the encrypted datagram (sendmmsg/sendto/sendmsg), b's
thread that writes the decrypted packet into b's TUN device (write), b's thread that sends the
reply datagram, a's thread that writes the reply into a's TUN device, and the ping process
receiving it (recvmsg). For each of those five steps it reports, as medians over the pings (µs):

  wake:  from the previous step's system call to the kernel waking the step's thread
         (sched_wakeup; "-" when the thread was already running: no wake-up needed),
  sched: from that wake-up to the thread running (sched_switch in): the wake-up latency,
  work:  from running (or from the previous step when no wake-up was needed) to the step's system call.

A step's total is the time from the previous step's system call to its own.
"""
import re
import statistics
import sys

SEND = {44, 46, 307, 426}  # sendto, sendmsg, sendmmsg, io_uring_enter (the io_uring TUN reader submits its sends)
WRITE = {1, 20}            # write, writev
RECVMSG = 47

ping, pa, pb = (int(x) for x in sys.argv[1:4])
line_re = re.compile(r"^\s*(.+?)\s+(\d+)/(\d+)\s+([\d.]+):\s+(\S+):\s*(.*)$")

events = []  # (time_us, pid, tid, kind, data); only the tunnel threads' system calls (named tunnel-*) and ping's
tunnel = set()
for line in sys.stdin:
    m = line_re.match(line)
    if not m:
        continue
    comm, pid, tid, t, event, trace = m[1], int(m[2]), int(m[3]), float(m[4]) * 1e6, m[5], m[6]
    if comm.startswith("tunnel-"):
        tunnel.add(tid)
    elif event.startswith("raw_syscalls") and pid != ping:
        continue
    if event == "raw_syscalls:sys_enter":
        nr = int(re.match(r"NR (\d+)", trace)[1])
        events.append((t, pid, tid, "enter", nr))
    elif event == "raw_syscalls:sys_exit":
        mm = re.match(r"NR (\d+) = (-?\d+)", trace)
        events.append((t, pid, tid, "exit", (int(mm[1]), int(mm[2]))))
    elif event == "sched:sched_wakeup":
        wakee = int(re.search(r"pid=(\d+)", trace)[1])
        events.append((t, pid, tid, "wakeup", wakee))
    elif event == "sched:sched_switch":
        nxt = int(re.search(r"next_pid=(\d+)", trace)[1])
        events.append((t, pid, tid, "switch", nxt))
events.sort(key=lambda e: e[0])

# tid -> process (a or b), learnt from system calls.
owner = {}
for _, pid, tid, kind, _ in events:
    if pid in (pa, pb):
        owner[tid] = pid

STEPS = [
    ("a sends the request datagram", lambda e: e[1] == pa and e[3] == "enter" and e[4] in SEND),
    ("b writes the request to TUN", lambda e: e[1] == pb and e[3] == "enter" and e[4] in WRITE),
    ("b sends the reply datagram", lambda e: e[1] == pb and e[3] == "enter" and e[4] in SEND),
    ("a writes the reply to TUN", lambda e: e[1] == pa and e[3] == "enter" and e[4] in WRITE),
    ("ping receives the reply", lambda e: e[1] == ping and e[3] == "exit" and e[4][0] == RECVMSG and e[4][1] > 0),
]
results = [[] for _ in STEPS]  # per step: (wake, sched, work, total, thread)
totals = []
starts = [i for i, e in enumerate(events) if e[1] == ping and e[3] == "enter" and e[4] == 44]
for si in starts:
    t0 = events[si][0]
    prev_t, i, found = t0, si, []
    for name, match in STEPS:
        j = i + 1
        while j < len(events) and events[j][0] - t0 < 5000 and not match(events[j]):
            j += 1
        if j >= len(events) or events[j][0] - t0 >= 5000:
            found = None
            break
        t, _, tid, _, _ = events[j]
        wake = switch = None
        for k in range(i + 1, j):
            e = events[k]
            if e[3] == "wakeup" and e[4] == tid:
                wake, switch = e[0], None
            elif e[3] == "switch" and e[4] == tid and wake is not None:
                switch = e[0]
        if wake is not None and switch is not None:
            found.append((wake - prev_t, switch - wake, t - switch, t - prev_t, tid))
        else:
            found.append((None, None, t - prev_t, t - prev_t, tid))
        prev_t, i = t, j
    if found:
        for k, r in enumerate(found):
            results[k].append(r)
        totals.append(prev_t - t0)


def med(values):
    values = [v for v in values if v is not None]
    return ("%.1f" % statistics.median(values)) if values else "-"


print("pings followed: %d of %d" % (len(totals), len(starts)))
if not totals:
    sys.exit(0)
print("%-32s | %7s | %7s | %7s | %7s | %s" % ("step (medians, µs)", "wake", "sched", "work", "total", "woken / threads"))
for (name, _), rows in zip(STEPS, results):
    woken = sum(1 for r in rows if r[0] is not None)
    threads = sorted({r[4] for r in rows})
    print("%-32s | %7s | %7s | %7s | %7s | %d of %d / %s" % (
        name, med([r[0] for r in rows]), med([r[1] for r in rows]), med([r[2] for r in rows]), med([r[3] for r in rows]),
        woken, len(rows), ",".join(str(t) for t in threads)))
print("%-32s | %7s | %7s | %7s | %7s |" % ("ping sendto -> recvmsg returns", "", "", "", med(totals)))
sched = [sum(r[1] for r in rows if r[1] is not None) for rows in zip(*results)]
print("sum of sched (wake-up latency) per ping, median: %s µs" % med(sched))
