using System.Globalization;

namespace Patronus.Bench.Serve;

/// <summary>Another process's CPU time and resident memory, from /proc (Linux).</summary>
internal static class ProcessCpu
{
    private const double SecondsPerTick = 1.0 / 100; // USER_HZ

    /// <summary>User + system CPU seconds of process <paramref name="pid"/> so far (all its threads).</summary>
    public static double Seconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // comm may hold spaces
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * SecondsPerTick;
    }

    /// <summary>Resident memory now (VmRSS), MB.</summary>
    public static double RssMegabytes(int pid) => StatusKilobytes(pid, "VmRSS:") / 1024.0;

    /// <summary>The highest resident memory since launch (VmHWM), MB.</summary>
    public static double PeakRssMegabytes(int pid) => StatusKilobytes(pid, "VmHWM:") / 1024.0;

    private static long StatusKilobytes(int pid, string key)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(key.Length).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
