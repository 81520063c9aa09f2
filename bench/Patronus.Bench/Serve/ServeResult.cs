using System.Globalization;
using System.Text;

namespace Patronus.Bench.Serve;

/// <summary>What one <c>serve</c> run measured (times from launch; CPU and memory over the measured span).</summary>
internal sealed record ServeResult(TimeSpan Ready, TimeSpan AllUp, double Cores, double ReflectorCores, double RssMaxMegabytes,
    double PeakRssMegabytes, IReadOnlyList<double> ScrapeMilliseconds, long LeftUp, long NotUpNow, int ScrapeBytes, IReadOnlyList<double> GcPauseMilliseconds, IReadOnlyList<double> SentPerSecond, long ServeDrops, long ReflectorDrops)
{
    /// <summary>The bars missed, each as one readable line (empty: all met).</summary>
    public IReadOnlyList<string> Check(ServeBars bars)
    {
        var failures = new List<string>();
        var inv = CultureInfo.InvariantCulture;
        void Bar(bool met, FormattableString line)
        {
            if (!met)
            {
                failures.Add(line.ToString(inv));
            }
        }

        Bar(Ready.TotalSeconds <= bars.ReadySeconds, $"ready after {Ready.TotalSeconds:F2} s > {bars.ReadySeconds} s");
        Bar(AllUp.TotalSeconds <= bars.AllUpSeconds, $"every path Up after {AllUp.TotalSeconds:F2} s > {bars.AllUpSeconds} s");
        Bar(Cores <= bars.Cores, $"CPU {Cores:F2} cores > {bars.Cores}");
        Bar(PeakRssMegabytes <= bars.RssMegabytes, $"peak RSS {PeakRssMegabytes:F0} MB > {bars.RssMegabytes} MB");
        Bar(ScrapeMilliseconds.Max() <= bars.ScrapeMilliseconds, $"slowest /metrics scrape {ScrapeMilliseconds.Max():F1} ms > {bars.ScrapeMilliseconds} ms");
        Bar(LeftUp <= bars.LeftUp, $"{LeftUp} status changes away from Up > {bars.LeftUp}");
        return failures;
    }

    public string Summary(ServeHarnessOptions o, IReadOnlyList<string> failures)
    {
        var inv = CultureInfo.InvariantCulture;
        var sorted = ScrapeMilliseconds.Order().ToArray();
        var b = new StringBuilder();
        b.AppendLine(inv, $"| measure | value | bar |");
        b.AppendLine("|---|---|---|");
        b.AppendLine(inv, $"| launch → /health/ready | {Ready.TotalSeconds:F2} s | ≤ {o.Bars.ReadySeconds} s |");
        b.AppendLine(inv, $"| launch → all {o.Paths} paths Up | {AllUp.TotalSeconds:F2} s | ≤ {o.Bars.AllUpSeconds} s |");
        b.AppendLine(inv, $"| serve CPU over {o.Seconds} s | {Cores:F2} cores | ≤ {o.Bars.Cores} |");
        b.AppendLine(inv, $"| serve RSS, max sampled / peak (VmHWM) | {RssMaxMegabytes:F0} / {PeakRssMegabytes:F0} MB | ≤ {o.Bars.RssMegabytes} MB |");
        b.AppendLine(inv, $"| /metrics over HTTP, {sorted.Length} scrapes of {ScrapeBytes / 1e6:F1} MB: p50 / p99 / max | {Percentile(sorted, 0.5):F1} / {Percentile(sorted, 0.99):F1} / {sorted[^1]:F1} ms | max ≤ {o.Bars.ScrapeMilliseconds} ms |");
        var slowest = ScrapeMilliseconds.Select((ms, i) => (ms, i)).OrderByDescending(x => x.ms).Take(3).Select(x => string.Create(inv, $"#{x.i + 1}: {x.ms:F1} (serve GC paused {GcPauseAround(x.i):F1})"));
        b.AppendLine(inv, $"| slowest scrapes (# in the span, ms; serve's GC pause time between the scrapes before and after it) | {string.Join(", ", slowest)} | |");
        b.AppendLine(inv, $"| status changes away from Up since launch | {LeftUp} (not Up at the end: {NotUpNow}) | ≤ {o.Bars.LeftUp} |");
        b.AppendLine(inv, $"| probes sent per second, mean / highest between two scrapes | {SentPerSecond.Average():F0} / {SentPerSecond.Max():F0} | |");
        b.AppendLine(inv, $"| reflectors' CPU (not serve's) | {ReflectorCores:F2} cores | |");
        b.AppendLine(inv, $"| datagrams the kernel dropped since launch (receive buffer full): serve / reflectors | {ServeDrops} / {ReflectorDrops} | |");
        b.Append(inv, $"summary: serve paths={o.Paths} ready={Ready.TotalSeconds:F2}s all_up={AllUp.TotalSeconds:F2}s cores={Cores:F2} rss_peak={PeakRssMegabytes:F0}MB scrape_p50={Percentile(sorted, 0.5):F1}ms scrape_max={sorted[^1]:F1}ms left_up={LeftUp} ");
        b.Append(failures.Count == 0 ? "PASS" : "FAIL: " + string.Join("; ", failures));
        return b.ToString();
    }

    /// <summary>Serve's GC pause time (ms) between the readings of the scrapes before and after scrape <paramref name="i"/>.</summary>
    private double GcPauseAround(int i) =>
        GcPauseMilliseconds.Count == 0 ? 0 : GcPauseMilliseconds[Math.Min(i + 1, GcPauseMilliseconds.Count - 1)] - GcPauseMilliseconds[Math.Max(i - 1, 0)];

    private static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
