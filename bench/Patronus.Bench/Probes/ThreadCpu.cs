using System.Globalization;

namespace Patronus.Bench.Probes;

/// <summary>
/// CPU time of this process's threads grouped by thread name (Linux /proc/self/task/*/stat:
/// ".NET Sockets" is the epoll loop, ".NET TP Worker" the thread pool, ".NET BGC"/".NET Server GC"
/// the collector), so the report can say what dominates without a profiler.
/// </summary>
internal static class ThreadCpu
{
    private static readonly double s_secondsPerTick = 1.0 / 100; // USER_HZ is 100 on Linux

    /// <summary>CPU seconds per thread, keyed "tid/name".</summary>
    public static Dictionary<string, double> Snapshot()
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        if (!Directory.Exists("/proc/self/task"))
        {
            return result;
        }

        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(task, "stat"));
            }
            catch (IOException)
            {
                continue; // the thread exited
            }

            // pid (comm) state ... field 14 utime, 15 stime; comm may contain spaces, so split after ')'.
            var open = stat.IndexOf('(', StringComparison.Ordinal);
            var close = stat.LastIndexOf(')');
            var name = stat[(open + 1)..close];
            var fields = stat[(close + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            result[Path.GetFileName(task) + "/" + name] = ticks * s_secondsPerTick;
        }

        return result;
    }

    /// <summary>CPU seconds per thread name between two snapshots (threads that exited in between are lost).</summary>
    public static Dictionary<string, double> Delta(Dictionary<string, double> before, Dictionary<string, double> after) =>
        after.GroupBy(kv => kv.Key[(kv.Key.IndexOf('/', StringComparison.Ordinal) + 1)..], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(kv => kv.Value - before.GetValueOrDefault(kv.Key)), StringComparer.Ordinal);
}
