using System.Diagnostics;
using Patronus.Prometheus;

namespace Patronus.Server.Export;

/// <summary>
/// Process and runtime families under the names Prometheus client libraries use
/// (<c>process_*</c>), so existing dashboards and alerts work, plus the .NET GC and thread pool.
/// Memory and descriptors come from <c>/proc/self</c> where it exists (Linux), with the .NET
/// figures as fallback.
/// </summary>
internal sealed class ProcessMetricsProducer : IMetricsProducer
{
    private static readonly double s_startTime = Process.GetCurrentProcess().StartTime.ToUniversalTime().Subtract(DateTime.UnixEpoch).TotalSeconds;

    public void Collect(PrometheusTextWriter writer)
    {
        Write(writer, "process_cpu_seconds_total", MetricType.Counter, "Total user and system CPU time spent in seconds", Environment.CpuUsage.TotalTime.TotalSeconds);
        var (resident, virtualBytes) = Memory();
        Write(writer, "process_resident_memory_bytes", MetricType.Gauge, "Resident memory size in bytes", resident);
        Write(writer, "process_virtual_memory_bytes", MetricType.Gauge, "Virtual memory size in bytes", virtualBytes);
        Write(writer, "process_start_time_seconds", MetricType.Gauge, "Start time of the process since unix epoch in seconds", s_startTime);
        if (OpenFds() is { } fds)
        {
            Write(writer, "process_open_fds", MetricType.Gauge, "Number of open file descriptors", fds);
        }

        writer.Family("dotnet_gc_collections_total", MetricType.Counter, "Garbage collections by generation");
        for (var generation = 0; generation <= GC.MaxGeneration; generation++)
        {
            writer.Sample("dotnet_gc_collections_total", [new Label("generation", Generation(generation))], (long)GC.CollectionCount(generation));
        }

        Write(writer, "dotnet_gc_heap_size_bytes", MetricType.Gauge, "Managed heap size after the last collection in bytes", GC.GetGCMemoryInfo().HeapSizeBytes);
        Write(writer, "dotnet_gc_allocated_bytes_total", MetricType.Counter, "Bytes allocated on the managed heap since the process started", GC.GetTotalAllocatedBytes());
        // Total time the runtime held managed threads paused for collections: a slow scrape or a late
        // probe read next to a jump here was the GC's doing, not the code's.
        Write(writer, "dotnet_gc_pause_seconds_total", MetricType.Counter, "Time managed threads were paused for garbage collection since the process started, in seconds", GC.GetTotalPauseDuration().TotalSeconds);
        Write(writer, "dotnet_threadpool_threads", MetricType.Gauge, "Thread pool threads", ThreadPool.ThreadCount);
    }

    private static string Generation(int generation) => generation switch
    {
        0 => "gen0",
        1 => "gen1",
        2 => "gen2",
        _ => "gen" + generation.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static void Write(PrometheusTextWriter writer, string name, MetricType type, string help, double value)
    {
        writer.Family(name, type, help);
        writer.Sample(name, value);
    }

    // /proc/self/statm: sizes in pages — total program size, then resident.
    private static (double Resident, double Virtual) Memory()
    {
        try
        {
            var fields = File.ReadAllText("/proc/self/statm").Split(' ');
            var page = Environment.SystemPageSize;
            return (double.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) * page,
                double.Parse(fields[0], System.Globalization.CultureInfo.InvariantCulture) * page);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            using var self = Process.GetCurrentProcess();
            return (self.WorkingSet64, self.VirtualMemorySize64);
        }
    }

    private static int? OpenFds()
    {
        try
        {
            return Directory.Exists("/proc/self/fd") ? Directory.EnumerateFileSystemEntries("/proc/self/fd").Count() : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
