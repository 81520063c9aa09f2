using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Patronus.Server.Observability;

namespace Patronus.Bench.Runtime;

/// <summary>
/// <c>Patronus.Bench suspension-watch [--collections N] [--rounds R]</c>: what watching runtime
/// suspensions (<see cref="RuntimeSuspensionWatch"/>) costs per suspension. Each round forces N
/// gen0 collections (each one suspension) over a small live heap, without the watch and then with
/// it, and waits until the watch has seen every one of its collections (so the dispatch thread's
/// work is inside the round). Reports, median over the rounds, the process's CPU time (user +
/// system, all threads) and the bytes allocated on the managed heap (all threads) per collection,
/// each way, and their difference: the watch's cost. Before the rounds, <c>--churn S</c> seconds
/// of framework calls (LINQ, formatting, dictionaries: ReadyToRun code that tiered compilation
/// counts and recompiles) run under a watch, which then prints the suspensions it saw by reason —
/// how to see whether tiering knobs (e.g. <c>DOTNET_TC_DeleteCallCountingStubsAfter</c>) take effect.
/// </summary>
internal static class SuspensionWatchHarness
{
    public static async Task<int> RunAsync(string[] args)
    {
        var collections = Option(args, "--collections", 2000);
        var rounds = Option(args, "--rounds", 5);
        var churn = Option(args, "--churn", 5);
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();

        var byReason = new Dictionary<string, int>();
        using (var listener = new System.Diagnostics.Metrics.MeterListener())
        using (new RuntimeSuspensionWatch(NullLogger<RuntimeSuspensionWatch>.Instance, meters))
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == RuntimeSuspensionWatch.MeterName && instrument.Name == "patronus.runtime.suspension.duration")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "reason" && tag.Value is string reason)
                    {
                        lock (byReason)
                        {
                            byReason[reason] = byReason.GetValueOrDefault(reason) + 1;
                        }
                    }
                }
            });
            listener.Start();
            var sink = Churn(TimeSpan.FromSeconds(churn));
            await Task.Delay(TimeSpan.FromSeconds(2));
            lock (byReason)
            {
                Console.WriteLine($"churn {churn} s (checksum {sink}): suspensions by reason: {string.Join(", ", byReason.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"))}");
            }
        }

        // A live heap of ~4 MB in small objects, so a gen0 collection has something to mark.
        var live = Enumerable.Range(0, 40_000).Select(i => new byte[64 + (i % 64)]).ToArray();
        var without = new List<(double Cpu, double Bytes)>();
        var with = new List<(double Cpu, double Bytes)>();
        for (var round = 0; round < rounds; round++)
        {
            without.Add(Measure(collections));
            using var watch = new RuntimeSuspensionWatch(NullLogger<RuntimeSuspensionWatch>.Instance, meters);
            with.Add(await MeasureWatchedAsync(collections, watch));
        }

        GC.KeepAlive(live);
        var (cpu0, bytes0) = (Median(without.Select(w => w.Cpu)), Median(without.Select(w => w.Bytes)));
        var (cpu1, bytes1) = (Median(with.Select(w => w.Cpu)), Median(with.Select(w => w.Bytes)));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"gen0 collections: {collections} per round, {rounds} rounds (medians)\n" +
            $"without watch: {cpu0:F1} µs CPU, {bytes0:F0} B allocated per collection\n" +
            $"with watch:    {cpu1:F1} µs CPU, {bytes1:F0} B allocated per collection\n" +
            $"watch costs:   {cpu1 - cpu0:F1} µs CPU, {bytes1 - bytes0:F0} B per suspension"));
        return 0;
    }

    private static (double Cpu, double Bytes) Measure(int collections)
    {
        var cpu = Environment.CpuUsage.TotalTime;
        var bytes = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < collections; i++)
        {
            GC.Collect(0, GCCollectionMode.Forced, blocking: true);
        }

        return ((Environment.CpuUsage.TotalTime - cpu).TotalMicroseconds / collections, (GC.GetTotalAllocatedBytes(precise: true) - bytes) / (double)collections);
    }

    private static async Task<(double Cpu, double Bytes)> MeasureWatchedAsync(int collections, RuntimeSuspensionWatch watch)
    {
        var cpu = Environment.CpuUsage.TotalTime;
        var bytes = GC.GetTotalAllocatedBytes(precise: true);
        var seen = watch.Count;
        for (var i = 0; i < collections; i++)
        {
            GC.Collect(0, GCCollectionMode.Forced, blocking: true);
        }

        // Until the dispatch thread has handled this round's suspensions (bounded: 30 s).
        var deadline = Stopwatch.StartNew();
        while (watch.Count < seen + collections && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(10);
        }

        if (watch.Count < seen + collections)
        {
            Console.Error.WriteLine($"the watch saw {watch.Count - seen} of {collections} collections within 30 s");
        }

        return ((Environment.CpuUsage.TotalTime - cpu).TotalMicroseconds / collections, (GC.GetTotalAllocatedBytes(precise: true) - bytes) / (double)collections);
    }

    // Framework code in many shapes, called often enough for tiered compilation to count it,
    // promote it and (past its threshold of completed counters) suspend the runtime to delete them.
    private static long Churn(TimeSpan span)
    {
        long sink = 0;
        var clock = Stopwatch.StartNew();
        var numbers = Enumerable.Range(0, 64).ToArray();
        while (clock.Elapsed < span)
        {
            var map = new Dictionary<string, int>();
            foreach (var n in numbers)
            {
                map[n.ToString(CultureInfo.InvariantCulture)] = n;
            }

            sink += numbers.Where(n => n % 3 == 0).Select(n => n * 2).Sum() + map.Count + string.Join(",", numbers.Take(8)).Length
                + numbers.OrderByDescending(n => n).First() + new HashSet<int>(numbers).Count + numbers.Aggregate(0L, (a, n) => a ^ n)
                + (long)double.Parse("1.5", CultureInfo.InvariantCulture) + DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture).Length
                + new List<int>(numbers).BinarySearch(7) + Convert.ToBase64String(BitConverter.GetBytes(sink)).Length + Guid.NewGuid().ToString().Length;
        }

        return sink;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;
    }
}
