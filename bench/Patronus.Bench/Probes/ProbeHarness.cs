using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Patronus.Engine.Health;
using Patronus.Engine.Paths;
using Patronus.Engine.Probes;
using Patronus.Engine.Probes.Stamp;
using Patronus.Persistence;

namespace Patronus.Bench.Probes;

/// <summary>
/// End to end on loopback: N paths with one STAMP target each, spread over L links (source
/// addresses 127.0.0.1…) and far ends (127.1.x.y, see <see cref="ProbeHarnessOptions.FarEnds"/>),
/// monitored by the real <see cref="PathHealthMonitor"/> with the real
/// <see cref="StampProbeSessionFactory"/> (a shared UDP socket per link; sessions to one far end
/// share it through sequence slots) at the default <see cref="HealthOptions"/> except the interval,
/// held at 1 s (the SPEC's bar is 10,000 paths at 1 probe/s; the default is 500 ms), against the engine's <see cref="StampReflector"/> in child processes. After a warm-up it
/// measures, over a fixed span: CPU of this process and of the reflectors (TotalProcessorTime /
/// wall time, in cores), per thread kind, probes and replies per second, allocation rate, kernel
/// receive-buffer drops (host-wide and per socket), managed memory per 100 paths
/// (GC.GetTotalMemory(true) before the monitor and while it runs), and the share of paths Up.
/// Traffic stays on 127.0.0.0/8.
/// </summary>
internal static class ProbeHarness
{
    public static async Task<int> RunAsync(ProbeHarnessOptions o)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"# probes harness {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm}Z: {o}"));
        Console.WriteLine(string.Create(inv, $"# {Environment.ProcessorCount} cores, .NET {Environment.Version}, server GC {GCSettings.IsServerGC}, concurrent GC {AppContext.TryGetSwitch("System.GC.Concurrent", out var c) && c}"));

        var tempDir = Directory.CreateTempSubdirectory("patronus-bench-");
        await using var reflectors = await Reflectors.StartAsync(o.Reflectors, o.ReflectorExe);
        var memBase = GC.GetTotalMemory(forceFullCollection: true);

        var dbFile = Path.Combine(tempDir.FullName, "bench.db");
        if (!StoreLocation.TryParse("sqlite:" + dbFile, tempDir.FullName, out var location, out var error))
        {
            throw new InvalidOperationException(error);
        }

        await using var store = new SqliteStore(location!, TimeProvider.System);
        await store.MigrateAsync();
        using var topology = new TopologyService(store);
        var init = await topology.InitializeAsync(BuildTopology(o, reflectors.Ports));
        if (!init.Succeeded)
        {
            throw new InvalidOperationException($"topology: {init.Status} {init.Message}");
        }

        var memTopology = GC.GetTotalMemory(forceFullCollection: true);
        var wsTopology = Environment.WorkingSet;

        using var metrics = new ProbeMetrics();
        using var counters = new ProbeCounters();
        HealthRecorder? recorder = null;
        if (o.Sink == "sqlite")
        {
            recorder = new HealthRecorder(store, store, Options.Create(new HealthPersistenceOptions()), TimeProvider.System, NullLogger<HealthRecorder>.Instance);
        }

        var sink = new CountingSink(recorder);
        var state = new HealthState();
        var factory = new StampProbeSessionFactory(TimeProvider.System, metrics, NullLogger<StampProbeSessionFactory>.Instance);
        using var monitor = new PathHealthMonitor(topology, state, sink, [factory], Options.Create(new HealthOptions { Interval = TimeSpan.FromSeconds(1) }), TimeProvider.System,
            NullLogger<PathHealthMonitor>.Instance);

        if (recorder is not null)
        {
            await recorder.StartAsync(CancellationToken.None);
        }

        await monitor.StartAsync(CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(o.Warmup));

        // The measured span.
        using var allocations = o.AllocationProfile ? new AllocationSampler() : null;
        allocations?.Enabled = true;
        var self = Process.GetCurrentProcess();
        var wall = Stopwatch.StartNew();
        var cpu0 = self.TotalProcessorTime;
        var reflectorCpu0 = reflectors.TotalProcessorTime();
        var threads0 = ThreadCpu.Snapshot();
        var (sent0, replies0, dropped0) = counters.Read();
        var samples0 = sink.Samples;
        var written0 = recorder?.WrittenSamples ?? 0;
        var alloc0 = GC.GetTotalAllocatedBytes(precise: false);
        var gc0 = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var pause0 = GC.GetTotalPauseDuration();
        var rcvbuf0 = UdpRcvbufErrors();
        var socketDrops0 = UdpSocketDrops(reflectors.Ports);
        long exceptions = 0;
        AppDomain.CurrentDomain.FirstChanceException += (_, _) => Interlocked.Increment(ref exceptions);
        for (var left = o.Seconds; left > 0; left -= 10)
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(10, left)));
            var all = state.All;
            Console.WriteLine(string.Create(inv, $"  t+{wall.Elapsed.TotalSeconds:0}s: up {all.Count(s => s.Status == PathStatus.Up)}/{all.Count}, probes sent {counters.Read().Sent - sent0}"));
        }

        var seconds = wall.Elapsed.TotalSeconds;
        var cpu = (self.TotalProcessorTime - cpu0).TotalSeconds / seconds;
        var reflectorCpu = (reflectors.TotalProcessorTime() - reflectorCpu0).TotalSeconds / seconds;
        var threads = ThreadCpu.Delta(threads0, ThreadCpu.Snapshot());
        var (sent1, replies1, dropped1) = counters.Read();
        var samples = sink.Samples - samples0;
        var written = (recorder?.WrittenSamples ?? 0) - written0;
        var alloc = GC.GetTotalAllocatedBytes(precise: false) - alloc0;
        var gcs = (GC.CollectionCount(0) - gc0.Item1, GC.CollectionCount(1) - gc0.Item2, GC.CollectionCount(2) - gc0.Item3);
        var pause = GC.GetTotalPauseDuration() - pause0;
        var thrown = Interlocked.Read(ref exceptions);
        var rcvbuf = UdpRcvbufErrors() - rcvbuf0;
        var socketDrops1 = UdpSocketDrops(reflectors.Ports);
        var reflectorDrops = socketDrops1.Reflectors - socketDrops0.Reflectors;
        var senderDrops = socketDrops1.Others - socketDrops0.Others;
        var openSockets = factory.OpenSocketCount;

        allocations?.Enabled = false;
        var final = state.All;
        var memRunning = GC.GetTotalMemory(forceFullCollection: true);
        var wsRunning = Environment.WorkingSet;
        var up = final.Count(s => s.Status == PathStatus.Up);
        var lossy = final.Where(s => s.PacketLossPct > 0).ToList();

        await monitor.StopAsync(CancellationToken.None);
        if (recorder is not null)
        {
            await recorder.StopAsync(CancellationToken.None);
        }

        var n = o.Paths;
        Console.WriteLine();
        Console.WriteLine(string.Create(inv, $"paths                      {n} (1 STAMP target each, {o.SourceAddresses} links, {o.FarEnds} far ends, {o.Reflectors} reflector(s), reflector={o.ReflectorExe}, sink={o.Sink})"));
        Console.WriteLine(string.Create(inv, $"STAMP sender sockets open  {openSockets}"));
        Console.WriteLine(string.Create(inv, $"measured                   {seconds:0.0} s after {o.Warmup} s warm-up"));
        Console.WriteLine(string.Create(inv, $"probes sent/s              {(sent1 - sent0) / seconds:0}"));
        Console.WriteLine(string.Create(inv, $"replies matched/s          {(replies1 - replies0) / seconds:0}   (datagrams dropped: {dropped1 - dropped0}, replies dropped by monitor queue: {monitor.DroppedReplies})"));
        Console.WriteLine(string.Create(inv, $"kernel UDP RcvbufErrors    {rcvbuf} in the span ({rcvbuf / seconds:0}/s; host-wide: a full socket receive buffer)"));
        Console.WriteLine(string.Create(inv, $"  per-socket drops         reflector sockets {reflectorDrops}, other UDP sockets on the host (here the senders') {senderDrops} (/proc/net/udp*; sockets closed in the span are missed)"));
        Console.WriteLine(string.Create(inv, $"CPU monitor process        {cpu:0.000} cores{(o.ReflectorExe == "inproc" ? " (includes the in-process reflectors)" : "")}"));
        Console.WriteLine(string.Create(inv, $"CPU reflector process(es)  {reflectorCpu:0.000} cores"));
        foreach (var (name, share) in threads.OrderByDescending(t => t.Value).Where(t => t.Value > 0))
        {
            Console.WriteLine(string.Create(inv, $"  thread {name,-20} {share / seconds:0.000} cores"));
        }

        Console.WriteLine(string.Create(inv, $"allocated                  {alloc / seconds / 1024 / 1024:0.00} MB/s ({alloc / seconds / Math.Max(1, (sent1 - sent0) / seconds):0} B per probe), GCs gen0/1/2 {gcs.Item1}/{gcs.Item2}/{gcs.Item3}, pause {pause.TotalMilliseconds:0} ms"));
        Console.WriteLine(string.Create(inv, $"exceptions thrown/s        {thrown / seconds:0} (first-chance, all handled)"));
        foreach (var (type, ticks) in allocations?.Top(12) ?? [])
        {
            Console.WriteLine(string.Create(inv, $"  allocation ticks {ticks,6}  {type}"));
        }

        Console.WriteLine(string.Create(inv, $"samples to sink/s          {samples / seconds:0}{(recorder is null ? "" : string.Create(inv, $"; persisted/s {written / seconds:0}; dropped {recorder.DroppedSamples}; queued at end {recorder.QueuedSamples}"))}"));
        Console.WriteLine(string.Create(inv, $"managed heap               before topology {memBase / 1024.0:0} KB, with topology {memTopology / 1024.0:0} KB, monitoring {memRunning / 1024.0:0} KB"));
        Console.WriteLine(string.Create(inv, $"managed per 100 paths      monitor+sessions {(memRunning - memTopology) * 100.0 / n / 1024:0.0} KB; incl. topology {(memRunning - memBase) * 100.0 / n / 1024:0.0} KB"));
        Console.WriteLine(string.Create(inv, $"working set                with topology {wsTopology / 1048576.0:0.0} MB, monitoring {wsRunning / 1048576.0:0.0} MB ({(wsRunning - wsTopology) * 100.0 / n / 1024:0.0} KB per 100 paths)"));
        Console.WriteLine(string.Create(inv, $"paths Up at end            {up}/{final.Count} ({up * 100.0 / final.Count:0.00} %); paths with loss in window {lossy.Count}, worst {(lossy.Count == 0 ? 0 : lossy.Max(s => s.PacketLossPct)):0.0} %; mean latency {final.Average(s => s.LatencyMs):0.000} ms"));
        foreach (var s in final.Where(s => s.Status != PathStatus.Up).Take(5))
        {
            Console.WriteLine($"  not up: {s.PathId} {s.Status} score {s.HealthScore} {s.Reason}");
        }

        SqliteStoreCleanup(tempDir);
        return 0;
    }

    private static TopologySnapshot BuildTopology(ProbeHarnessOptions o, IReadOnlyList<int> reflectorPorts)
    {
        var site = new Site("bench", "Benchmark site", null, ItemSource.Config);
        var links = Enumerable.Range(0, o.SourceAddresses)
            .Select(i => new WanLink($"lo{i}", site.Id, $"loopback {i}", null, $"127.0.0.{i + 1}", null, WanLink.DefaultCost, ItemSource.Config))
            .ToArray();
        var paths = Enumerable.Range(0, o.Paths)
            .Select(i => new PathDefinition(string.Create(CultureInfo.InvariantCulture, $"p{i:D5}"), "bench path", links[i % links.Length].Id, null,
                [ProbeHarnessOptions.FarEnd(i / links.Length % o.FarEnds, reflectorPorts)], ItemSource.Config))
            .ToArray();
        return new TopologySnapshot([site], links, paths);
    }

    /// <summary>Host-wide count of UDP datagrams the kernel dropped because a socket's receive buffer was full.</summary>
    private static long UdpRcvbufErrors()
    {
        try
        {
            var lines = File.ReadAllLines("/proc/net/snmp").Where(l => l.StartsWith("Udp:", StringComparison.Ordinal)).ToArray();
            var names = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var values = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return long.Parse(values[Array.IndexOf(names, "RcvbufErrors")], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>
    /// Datagrams dropped per UDP socket (the last column of /proc/net/udp and /proc/net/udp6),
    /// summed over the sockets on the reflector ports and over all others (on this box, the
    /// senders'). Cumulative per socket, so sockets closed between two reads are missed.
    /// </summary>
    private static (long Reflectors, long Others) UdpSocketDrops(IReadOnlyCollection<int> reflectorPorts)
    {
        long reflectors = 0, others = 0;
        foreach (var file in new[] { "/proc/net/udp", "/proc/net/udp6" })
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines(file);
            }
            catch (IOException)
            {
                continue;
            }

            foreach (var line in lines.Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 13)
                {
                    continue;
                }

                var local = fields[1];
                var port = int.Parse(local[(local.IndexOf(':', StringComparison.Ordinal) + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                var drops = long.Parse(fields[^1], CultureInfo.InvariantCulture);
                if (reflectorPorts.Contains(port))
                {
                    reflectors += drops;
                }
                else
                {
                    others += drops;
                }
            }
        }

        return (reflectors, others);
    }

    private static void SqliteStoreCleanup(DirectoryInfo dir)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            dir.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
