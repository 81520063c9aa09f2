using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging.Abstractions;
using Patronus.Engine.Probes;
using Patronus.Engine.Probes.Stamp;

namespace Patronus.Bench.Probes;

/// <summary>
/// The far ends: STAMP reflectors on 0.0.0.0, each on a UDP port free when the run starts (so
/// several harnesses can run on one host), each answering every 127.1.x.y far end routed to its
/// port over loopback, in child processes (default), in this one (<c>inproc</c>) or as
/// <c>EXE reflector --listen ADDR:PORT</c> (e.g. the built <c>patronus</c>).
/// </summary>
/// <remarks>
/// The far ends stand in for other machines, so the harness keeps their own stalls out of what
/// it measures (issue 14, docs/performance.md "A whole serve at scale"): a child reflector runs
/// its receive loop on the socket engine's own thread (<c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>:
/// one wake-up per burst of test packets instead of two, the second through the thread pool;
/// half the CPU, and no reply held past 100 ms where the thread-pool hop held thousands), with
/// its methods compiled optimized once (<c>DOTNET_TieredCompilation=0</c>: no slow first
/// tier and no recompilation while the monitor measures it), ahead of the process under test
/// for the CPU when the harness may raise it (as root: nice −10, and after the warm-up every
/// thread at SCHED_FIFO 1, see <see cref="RealTime"/>), and every reflector
/// has answered <see cref="WarmUpProbes"/> test packets before the caller starts the process
/// it measures. On a fresh 2-core machine a reflector started cold held replies 100–350 ms in
/// its first second, and every one of them counted as a loss of the monitor's.
/// </remarks>
internal sealed class Reflectors : IAsyncDisposable
{
    private readonly List<Process> _processes = [];
    private readonly List<StampReflector> _inProcess = [];
    private readonly ProbeMetrics _metrics = new();

    /// <summary>The listening endpoints.</summary>
    public List<string> Endpoints { get; } = [];

    /// <summary>The reflectors' UDP ports, in start order.</summary>
    public List<int> Ports { get; } = [];

    public static async Task<Reflectors> StartAsync(int count, string exe)
    {
        var r = new Reflectors();
        for (var i = 0; i < count; i++)
        {
            var endpoint = new IPEndPoint(IPAddress.Any, FreeUdpPort());
            r.Endpoints.Add(endpoint.ToString());
            r.Ports.Add(endpoint.Port);
            if (exe == "inproc")
            {
                r._inProcess.Add(StampReflector.Start(endpoint, TimeProvider.System, r._metrics, NullLogger.Instance));
                continue;
            }

            var start = Raised(exe == "self" ? Self() : new ProcessStartInfo(exe));
            start.Environment["DOTNET_TieredCompilation"] = "0";
            start.Environment["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1";
            start.ArgumentList.Add("reflector");
            start.ArgumentList.Add("--listen");
            start.ArgumentList.Add(endpoint.ToString());
            start.RedirectStandardInput = true;
            start.RedirectStandardOutput = true;
            var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start the reflector");
            r._processes.Add(process);
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            if (line is null || !line.Contains("listening", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"reflector on {endpoint} did not start: {line}");
            }
        }

        var warm = await r.WarmUpAsync();
        var realtime = s_priority == 0 ? 0 : r._processes.Sum(p => RealTime(p.Id));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# reflectors: {string.Join(", ", r.Endpoints)} ({exe}{(r._processes.Count > 0 ? $", nice {s_priority}, {realtime} threads SCHED_FIFO" : "")}), warmed up: {warm}"));
        return r;
    }

    /// <summary>
    /// Puts every thread the reflector process has now at SCHED_FIFO priority 1 (root only); returns
    /// how many. After the warm-up, so the socket engine's thread, which answers every test packet
    /// with inline completions, is among them (the runtime starts its later threads with the default
    /// policy). A reflector waits in epoll between bursts, so it cannot hold a core; the kernel's
    /// real-time throttling would stop it at 95 % anyway.
    /// </summary>
    private static int RealTime(int pid)
    {
        var set = 0;
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                var priority = 1;
                if (int.TryParse(Path.GetFileName(task), NumberStyles.None, CultureInfo.InvariantCulture, out var tid) && SchedSetScheduler(tid, 1, ref priority) == 0)
                {
                    set++;
                }
            }
        }
        catch (IOException)
        {
            // the process is gone: its start fails elsewhere
        }

        return set;
    }

    [DllImport("libc", EntryPoint = "sched_setscheduler", SetLastError = true)]
    private static extern int SchedSetScheduler(int pid, int policy, ref int priority);

    /// <summary>Test packets each reflector answers before the measured process starts (its receive and reply path compiled and running).</summary>
    public const int WarmUpProbes = 2_000;

    // Nice value of the child reflectors: −10 when the harness may raise priority (root), else its own.
    private static readonly int s_priority = Environment.IsPrivilegedProcess && File.Exists(NiceExe) ? -10 : 0;

    private const string NiceExe = "/usr/bin/nice";

    /// <summary>
    /// Sends <see cref="WarmUpProbes"/> STAMP test packets to each reflector over loopback, in
    /// bursts of 100, and waits for the replies (at most 10 s in all); says how many came back
    /// and the slowest round trip.
    /// </summary>
    private async Task<string> WarmUpAsync()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var packet = new byte[StampSenderPacket.Size];
        var reply = new byte[256];
        var deadline = Stopwatch.GetTimestamp() + (10 * Stopwatch.Frequency);
        int sent = 0, received = 0;
        var slowest = TimeSpan.Zero;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            for (var round = 0; round < WarmUpProbes / 100; round++)
            {
                var burst = Stopwatch.GetTimestamp();
                var expected = received;
                foreach (var port in Ports)
                {
                    var to = new IPEndPoint(IPAddress.Loopback, port);
                    for (var i = 0; i < 100; i++)
                    {
                        new StampSenderPacket((uint)sent++, NtpTimestamp.FromDateTimeOffset(DateTimeOffset.UtcNow), ErrorEstimate.Unsynchronized).TryWrite(packet, out _);
                        await socket.SendToAsync(packet, to, cts.Token);
                    }

                    expected += 100;
                }

                while (received < expected && Stopwatch.GetTimestamp() < deadline)
                {
                    await socket.ReceiveAsync(reply, cts.Token);
                    received++;
                }

                var took = Stopwatch.GetElapsedTime(burst);
                slowest = took > slowest ? took : slowest;
            }
        }
        catch (OperationCanceledException)
        {
            // Reported below: fewer replies than probes.
        }

        return string.Create(CultureInfo.InvariantCulture, $"{received} of {sent} test packets answered, slowest burst {slowest.TotalMilliseconds:F1} ms");
    }

    /// <summary>Runs <paramref name="start"/> under <c>nice</c> at <see cref="s_priority"/> when that raises it (same arguments, same process id: nice execs).</summary>
    private static ProcessStartInfo Raised(ProcessStartInfo start)
    {
        if (s_priority == 0)
        {
            return start;
        }

        var raised = new ProcessStartInfo(NiceExe);
        raised.ArgumentList.Add("-n");
        raised.ArgumentList.Add(s_priority.ToString(CultureInfo.InvariantCulture));
        raised.ArgumentList.Add(start.FileName);
        foreach (var arg in start.ArgumentList)
        {
            raised.ArgumentList.Add(arg);
        }

        return raised;
    }

    /// <summary>The reflector child processes' ids (none for in-process reflectors).</summary>
    public IEnumerable<int> ProcessIds => _processes.Select(p => p.Id);

    /// <summary>CPU of the reflector child processes so far (zero for in-process reflectors).</summary>
    public TimeSpan TotalProcessorTime()
    {
        var total = TimeSpan.Zero;
        foreach (var p in _processes)
        {
            p.Refresh();
            total += p.TotalProcessorTime;
        }

        return total;
    }

    /// <summary>Kills the reflector child processes at once (the harness itself is being killed).</summary>
    public void Kill()
    {
        foreach (var p in _processes)
        {
            try
            {
                p.Kill();
            }
            catch (InvalidOperationException)
            {
                // already gone
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var reflector in _inProcess)
        {
            await reflector.DisposeAsync();
        }

        foreach (var p in _processes)
        {
            p.StandardInput.Close();
            if (!p.WaitForExit(TimeSpan.FromSeconds(5)))
            {
                p.Kill();
            }

            p.Dispose();
        }

        _metrics.Dispose();
    }

    /// <summary>A UDP port nothing on this host uses right now (the kernel's pick for port 0).</summary>
    private static int FreeUdpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Any, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    /// <summary>This program again: the apphost, or <c>dotnet</c> and the assembly.</summary>
    internal static ProcessStartInfo Self()
    {
        var exe = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var start = new ProcessStartInfo(exe);
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet")
        {
            start.ArgumentList.Add(typeof(Reflectors).Assembly.Location);
        }

        return start;
    }
}
