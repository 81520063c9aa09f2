using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Patronus.Engine.Probes;
using Patronus.Engine.Probes.Stamp;

namespace Patronus.Bench.Probes;

/// <summary>
/// The far ends: STAMP reflectors on 0.0.0.0:18620… (each answers every 127.1.x.y far end
/// routed to its port over loopback), in child processes (default) or in this one.
/// </summary>
internal sealed class Reflectors : IAsyncDisposable
{
    private readonly List<Process> _processes = [];
    private readonly List<StampReflector> _inProcess = [];
    private readonly ProbeMetrics _metrics = new();

    /// <summary>The listening endpoints.</summary>
    public List<string> Endpoints { get; } = [];

    public static async Task<Reflectors> StartAsync(ProbeHarnessOptions o)
    {
        var r = new Reflectors();
        for (var i = 0; i < o.Reflectors; i++)
        {
            var endpoint = new IPEndPoint(IPAddress.Any, ProbeHarnessOptions.FirstReflectorPort + i);
            r.Endpoints.Add(endpoint.ToString());
            if (o.ReflectorExe == "inproc")
            {
                r._inProcess.Add(StampReflector.Start(endpoint, TimeProvider.System, r._metrics, NullLogger.Instance));
                continue;
            }

            var start = o.ReflectorExe == "self" ? Self() : new ProcessStartInfo(o.ReflectorExe);
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

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# reflectors: {string.Join(", ", r.Endpoints)} ({o.ReflectorExe})"));
        return r;
    }

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

    private static ProcessStartInfo Self()
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
