using System.Diagnostics;
using System.Globalization;
using System.Text;
using Patronus.Engine.Traffic;

namespace Patronus.Bench.Traffic;

/// <summary>
/// <c>Patronus.Bench traffic-reads [--counters N] [--reads R]</c> (root): what one read of the
/// accounting table's counters costs, over netlink (serve's reader) and through <c>nft -j list
/// counters</c> (the reader before it), on a table shaped like serve's at N paths (N named counters,
/// one rule per counter) in a network namespace created for the run. Prints, per reader, the wall
/// time per read (median, p99), this process's CPU and managed allocation per read, and the CPU
/// of the child processes per read (nft).
/// </summary>
internal static class CounterReadHarness
{
    private const string Inside = "--in-namespace";

    public static async Task<int> RunAsync(string[] args)
    {
        int counters, reads;
        try
        {
            counters = Option(args, "--counters", 1000);
            reads = Option(args, "--reads", 200);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }

        if (reads < 4)
        {
            await Console.Error.WriteLineAsync("traffic-reads: --reads must be at least 4 (four alternating rounds)");
            return 2;
        }

        if (args.Contains(Inside))
        {
            return Measure(counters, reads);
        }

        // The readers talk to the namespace they run in: run this harness again inside a fresh one.
        var ns = $"pbench-acct-{Environment.ProcessId}";
        await Routing.KernelRoutesHarness.RunAsync("ip", "netns", "add", ns);
        try
        {
            await Routing.KernelRoutesHarness.RunAsync("ip", "-n", ns, "link", "set", "lo", "up");
            var script = new StringBuilder($"add table inet {AccountingRuleset.Table}\n");
            script.Append(CultureInfo.InvariantCulture, $"add chain inet {AccountingRuleset.Table} postrouting {{ type filter hook postrouting priority 1000; policy accept; }}\n");
            for (var i = 0; i < counters; i++)
            {
                script.Append(CultureInfo.InvariantCulture, $"add counter inet {AccountingRuleset.Table} path_p{i}\n");
                script.Append(CultureInfo.InvariantCulture, $"add rule inet {AccountingRuleset.Table} postrouting oifname \"wan{i % 4}\" ip daddr 10.{i >> 8 & 255}.{i & 255}.1 counter name \"path_p{i}\"\n");
            }

            var file = Path.Combine(Path.GetTempPath(), $"{ns}.nft");
            await File.WriteAllTextAsync(file, script.ToString());
            try
            {
                await Routing.KernelRoutesHarness.RunAsync("ip", "netns", "exec", ns, "nft", "-f", file);
            }
            finally
            {
                File.Delete(file);
            }

            var self = Probes.Reflectors.Self();
            var child = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", ns, self.FileName, .. self.ArgumentList, "traffic-reads", "--counters",
                counters.ToString(CultureInfo.InvariantCulture), "--reads", reads.ToString(CultureInfo.InvariantCulture), Inside]))!;
            await child.WaitForExitAsync();
            return child.ExitCode;
        }
        finally
        {
            await Routing.KernelRoutesHarness.RunAsync("ip", "netns", "del", ns);
        }
    }

    private static int Measure(int counters, int reads)
    {
        Console.WriteLine($"# traffic-reads: {counters} counters and rules, {reads} reads per reader, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        var nftPath = NftProcessRunner.Find(null) ?? throw new InvalidOperationException("nft not found");
        using var netlink = NftNetlinkCounterReader.Open();
        using var nft = new NftJsonCounterReader(new NftProcessRunner(nftPath));
        Console.WriteLine("reader    wall p50 ms  wall p99 ms  own CPU ms/read  child CPU ms/read  allocated KB/read");
        // Each reader fills one dictionary, kept from read to read as the service keeps its own.
        var intoNetlink = new Dictionary<string, NftCounter>(StringComparer.Ordinal);
        var intoNft = new Dictionary<string, NftCounter>(StringComparer.Ordinal);

        // Warm both up (JIT, the name table), then alternate rounds so drift hits both alike.
        Round(netlink, intoNetlink, counters, 20);
        Round(nft, intoNft, counters, 5);
        var results = new Dictionary<string, List<Sample>> { ["netlink"] = [], ["nft"] = [] };
        for (var round = 0; round < 4; round++)
        {
            results["netlink"].AddRange(Round(netlink, intoNetlink, counters, reads / 4));
            results["nft"].AddRange(Round(nft, intoNft, counters, reads / 4));
        }

        foreach (var (name, samples) in results)
        {
            var walls = samples.Select(s => s.WallMs).Order().ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-9} {walls[walls.Length / 2],11:F3}  {walls[(int)(walls.Length * 0.99)],11:F3}  {samples.Average(s => s.OwnCpuMs),15:F3}  {samples.Average(s => s.ChildCpuMs),17:F3}  {samples.Average(s => s.AllocatedKb),17:F1}"));
        }

        return 0;
    }

    private static List<Sample> Round(INftCounterReader reader, Dictionary<string, NftCounter> into, int counters, int reads)
    {
        var samples = new List<Sample>(reads);
        var self = Process.GetCurrentProcess();
        for (var i = 0; i < reads; i++)
        {
            self.Refresh();
            var cpu = self.TotalProcessorTime;
            var children = ChildrenCpuTicks();
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var start = Stopwatch.GetTimestamp();
            var read = reader.ReadAsync(into, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            var wall = Stopwatch.GetElapsedTime(start);
            var bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
            self.Refresh();
            if (read.Status != NftReadStatus.Read || into.Count != counters)
            {
                throw new InvalidOperationException($"{reader.Source}: {read.Status} {read.Error}, {into.Count} counters");
            }

            samples.Add(new Sample(wall.TotalMilliseconds, (self.TotalProcessorTime - cpu).TotalMilliseconds,
                (ChildrenCpuTicks() - children) * 1000.0 / 100, bytes / 1024.0));
        }

        return samples;
    }

    /// <summary>cutime + cstime of /proc/self/stat: CPU of waited-for children, in clock ticks (100 per second).</summary>
    private static long ChildrenCpuTicks()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        if (i < 0)
        {
            return fallback;
        }

        return i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new ArgumentException($"traffic-reads: {name} takes a positive whole number, got '{(i + 1 < args.Length ? args[i + 1] : "nothing")}'");
    }

    private readonly record struct Sample(double WallMs, double OwnCpuMs, double ChildCpuMs, double AllocatedKb);
}
