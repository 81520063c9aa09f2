using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.InteropServices;

namespace Patronus.Server.Export;

/// <summary>
/// The exporter's own cost (meter <c>Patronus.Export</c>): how long each render of a scrape took,
/// in wall time and in CPU time of the rendering thread. The two differ when the thread was
/// descheduled or paused by the GC mid-render (on a busy 2-core box by 2–3×, docs/performance.md),
/// so the pair tells a slow scrape's render work from its waiting. A render is recorded once it
/// is complete, so it shows from the next scrape on.
/// </summary>
public sealed class ExportMetrics : IDisposable
{
    public const string MeterName = "Patronus.Export";

    private readonly Meter _meter;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _cpu;

    public ExportMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);
        _duration = _meter.CreateHistogram<double>("patronus.metrics.render.duration", "s", "Wall time of each /metrics render (every producer, into the response buffer)");
        _cpu = _meter.CreateHistogram<double>("patronus.metrics.render.cpu_time", "s", "CPU time of the rendering thread during each /metrics render (Linux; not recorded elsewhere)");
    }

    /// <summary>Starts timing a render on this thread.</summary>
    public static RenderTiming Start() => new(Stopwatch.GetTimestamp(), ThreadCpu.Now());

    /// <summary>Records a render started by <see cref="Start"/> on this same thread.</summary>
    public void Rendered(RenderTiming started)
    {
        _duration.Record(Stopwatch.GetElapsedTime(started.Timestamp).TotalSeconds);
        if (started.CpuTime >= TimeSpan.Zero && ThreadCpu.Now() is var now && now >= TimeSpan.Zero)
        {
            _cpu.Record((now - started.CpuTime).TotalSeconds);
        }
    }

    public void Dispose() => _meter.Dispose();

    /// <summary>The start of a render: a monotonic timestamp and the thread's CPU time (negative where unknown).</summary>
    public readonly record struct RenderTiming(long Timestamp, TimeSpan CpuTime);

    /// <summary>The calling thread's CPU time (<c>CLOCK_THREAD_CPUTIME_ID</c>), or -1 tick off Linux or on failure.</summary>
    internal static class ThreadCpu
    {
        private const int ClockThreadCpuTime = 3; // CLOCK_THREAD_CPUTIME_ID, linux/time.h

        public static TimeSpan Now()
        {
            if (!OperatingSystem.IsLinux() || ClockGetTime(ClockThreadCpuTime, out var ts) != 0)
            {
                return TimeSpan.FromTicks(-1);
            }

            return TimeSpan.FromTicks((ts.Seconds * TimeSpan.TicksPerSecond) + (ts.Nanoseconds / 100));
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct Timespec
        {
            public long Seconds;
            public long Nanoseconds;
        }

        [DllImport("libc", EntryPoint = "clock_gettime")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        private static extern int ClockGetTime(int clock, out Timespec ts);
    }
}
