using System.Diagnostics;
using System.Runtime.InteropServices;
using Patronus.Engine.Bfd.Transport;
using Patronus.Engine.Loops;
using Patronus.Engine.Net;

namespace Patronus.Engine.Bfd;

public sealed partial class BfdService
{
    private const int Eagain = 11;

    // How often the loop looks for new GC threads to raise (DATAS adds server GC heaps, and their
    // threads, as the process grows): a few file reads, rarely.
    private static readonly TimeSpan s_threadScan = TimeSpan.FromSeconds(5);

    private readonly HashSet<int> _raisedThreads = [];
    private long _nextThreadScan;
    private long _stallForTest;
    private int _stalled;

    /// <summary>
    /// The loop thread: a pass (<see cref="Iterate"/>), then one wait on every socket and the next
    /// deadline, then one batch from each socket that has datagrams — until the service stops,
    /// when it says goodbye to every peer. A pass that throws is logged and the loop goes on.
    /// </summary>
    private void Run()
    {
        RaisePriority();
        try
        {
            while (!_stopping)
            {
                var passStart = Stopwatch.GetTimestamp();
                try
                {
                    if (Volatile.Read(ref _stallForTest) != 0)
                    {
                        StallForTest();
                    }

                    var now = _time.GetTimestamp();
                    Volatile.Write(ref _loopTick, now);
                    if (now >= _nextThreadScan)
                    {
                        RaiseProcessThreads();
                        _nextThreadScan = now + (long)(s_threadScan.TotalSeconds * _time.TimestampFrequency);
                    }
                    if (_topologyChanges!.Consume())
                    {
                        ApplyTopology(_topology.Current, now);
                    }

                    Iterate(now);
                    if (_stopping)
                    {
                        break;
                    }

                    var ready = Wait(_due.TryPeek(out _, out var at) ? _time.GetElapsedTime(_time.GetTimestamp(), at) : IEngineLoop.Heartbeat);
                    var backlog = false;
                    for (var i = 0; i < ready; i++)
                    {
                        if (_listenersById.TryGetValue(_epoll!.DataAt(i), out var listener))
                        {
                            backlog |= Receive(listener, draining: false) == _batch!.Capacity;
                        }
                    }

                    FlushSends(); // Finals answering the Polls just read

                    SpaceOut(PassRest(Stopwatch.GetElapsedTime(passStart), backlog));
                }
#pragma warning disable CA1031 // one bad pass must not stop the loop
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    LogLoopError(_logger, ex);
                    Thread.Sleep(s_retryAfterError);
                }
            }
        }
        finally
        {
            try
            {
                SayGoodbye();
            }
#pragma warning disable CA1031 // the stop must complete
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogLoopError(_logger, ex);
            }

            _threadDone.TrySetResult();
        }
    }

    /// <summary>Tests: hold the loop thread for <paramref name="duration"/> at the start of its next pass, as a descheduled process would.</summary>
    internal void StallLoopForTest(TimeSpan duration)
    {
        Volatile.Write(ref _stallForTest, duration.Ticks);
        _epoll?.Wake();
    }

    /// <summary>Tests: true while the loop thread is held by <see cref="StallLoopForTest"/>.</summary>
    internal bool StalledForTest => Volatile.Read(ref _stalled) != 0;

    private void StallForTest()
    {
        Volatile.Write(ref _stalled, 1);
        Thread.Sleep(TimeSpan.FromTicks(Interlocked.Exchange(ref _stallForTest, 0)));
        Volatile.Write(ref _stalled, 0);
    }

    /// <summary>
    /// How long the loop rests after a pass that took <paramref name="elapsed"/>, without watching
    /// the sockets, so that the next wait finds the datagrams and deadlines of a whole
    /// <see cref="PassSpacing"/> (1 ms) at once; zero when the pass read a full batch somewhere
    /// (<paramref name="backlog"/>: a backlog or a flood is read on at full speed). At 1,000
    /// sessions of 50 ms the loop otherwise woke ~40,000 times a second, once per packet each way,
    /// and a wake-up from an idle CPU costs more than the packet (most of all in a VM, where an idle
    /// vCPU halts); spaced, at most 1,000 a second. A deadline is then up to 1 ms late:
    /// <see cref="BfdTiming.TransmitSlack"/> keeps the transmit intervals within §6.8.7, and an
    /// expiry is judged on the kernel's arrival times (a packet that came in time counts as in time
    /// however late the pass that reads it).
    /// </summary>
    internal static TimeSpan PassRest(TimeSpan elapsed, bool backlog) =>
        backlog || elapsed >= PassSpacing ? TimeSpan.Zero : PassSpacing - (elapsed < TimeSpan.Zero ? TimeSpan.Zero : elapsed);

    private void SpaceOut(TimeSpan rest)
    {
        if (rest > TimeSpan.Zero && _epoll is not null && !_stopping)
        {
            Span<long> request = [0, rest.Ticks * 100];
            _ = NanoSleep(ref MemoryMarshal.GetReference(request), 0);
        }
    }

    /// <summary>Waits at most <paramref name="timeout"/> (capped at the heartbeat) for a socket, a deadline or a wake-up; returns the number of events.</summary>
    private int Wait(TimeSpan timeout)
    {
        timeout = timeout < TimeSpan.Zero ? TimeSpan.Zero : timeout > IEngineLoop.Heartbeat ? IEngineLoop.Heartbeat : timeout;
        if (_epoll is null)
        {
            // Not Linux: no session can open (BfdListener says why); the loop only ticks and
            // applies topology changes and commands, which the supervisor re-checks every heartbeat.
            Thread.Sleep(timeout);
            return 0;
        }

        return _epoll.Wait(timeout);
    }

    /// <summary>Reads one batch from <paramref name="listener"/>; more stay queued for the next wait (level-triggered).</summary>
    private int Receive(BfdListener listener, bool draining)
    {
        if (listener.IsDisposed || (listener.PausedForTest && !draining) || _batch is not { } batch)
        {
            return 0;
        }

        var now = _time.GetTimestamp();
        var realNow = BfdArrival.RealTimeNs();
        var count = listener.Receive(batch, out var errno);
        for (var i = 0; i < count; i++)
        {
            if (batch.Truncated(i))
            {
                _metrics.Dropped("too_long");
                continue;
            }

            if (!BfdAddress.TryRead(batch.Source(i), out var peer, out var peerPort))
            {
                _metrics.Dropped("bad_source");
                continue;
            }

            var receivedAt = BfdArrival.ReceivedAt(now, listener.EmptyAt, realNow, batch.KernelTimeNs(i), _time.TimestampFrequency);
            OnPacket(new BfdInbound(new ArraySegment<byte>(batch.Buffer, batch.Offset(i), batch.Payload(i).Length),
                batch.Ttl(i), peer, peerPort, listener.Local, listener.Multihop, receivedAt));
        }

        if (count < batch.Capacity && errno == Eagain)
        {
            listener.EmptyAt = now; // nothing read after this was queued before it
        }

        return count;
    }

    /// <summary>Reads <paramref name="listener"/> until its queue is empty (bounded), even when paused for a test.</summary>
    private void Drain(BfdListener listener)
    {
        if (_batch is not { } batch)
        {
            return;
        }

        for (var i = 0; i < MaxDrainBatches && Receive(listener, draining: true) == batch.Capacity; i++)
        {
        }
    }

    /// <summary>Opens a listener registered with the loop's epoll set (under the pool's lock).</summary>
    private BfdListener? StartListener(System.Net.IPAddress local, bool multihop, string? device, out string? failure)
    {
        if (_epoll is null)
        {
            failure = _epollError;
            return null;
        }

        var id = ++_nextListenerId;
        var listener = BfdListener.TryStart(local, multihop, device, _epoll, id, out failure);
        if (listener is not null)
        {
            listener.EmptyAt = _time.GetTimestamp();
            _listenersById[id] = listener;
        }

        return listener;
    }

    private void RaisePriority()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            // PRIO_PROCESS with a thread id sets that thread's nice value (Linux).
            if (SetPriority(0, GetTid(), LoopNice) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                LogPriorityNotRaised(_logger, LoopNice, errno);
            }
        }
        catch (EntryPointNotFoundException)
        {
            LogPriorityNotRaised(_logger, LoopNice, 38);
        }
    }

    /// <summary>
    /// Gives every thread of the process the loop's priority. A collection or a code-version
    /// swap of the JIT suspends the loop thread until it ends, and with workstation GC (what
    /// serve runs) a gen0/gen1 collection runs on whichever thread allocated — a thread-pool
    /// thread at nice 0 that waits for a CPU behind a busy box stalls BFD as long (measured:
    /// single gen0 pauses of 150–300 ms at load 25–35 with only the GC threads raised). Threads
    /// inherit their creator's nice value, so after the first scan new threads mostly start
    /// raised; the periodic scan catches the rest. serve uses a fraction of a core (0.2 at
    /// 10,000 paths), so raising it cannot starve the box; a scheduler that refuses (no
    /// CAP_SYS_NICE) leaves everything at the process's priority, as logged at start.
    /// </summary>
    private void RaiseProcessThreads()
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/proc/self/task"))
        {
            return;
        }

        try
        {
            foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
            {
                if (int.TryParse(Path.GetFileName(task), out var tid) && !_raisedThreads.Contains(tid) && SetPriority(0, tid, LoopNice) == 0)
                {
                    _raisedThreads.Add(tid);
                }
            }
        }
        catch (IOException)
        {
            // A thread ended while we looked: the next scan sees the rest.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    [DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetPriority(int which, int who, int priority);

    [DllImport("libc", EntryPoint = "nanosleep", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int NanoSleep(ref long request, nint remaining);

    [DllImport("libc", EntryPoint = "gettid")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int GetTid();
}
