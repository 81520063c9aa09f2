using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
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

            var start = exe == "self" ? Self() : new ProcessStartInfo(exe);
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

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# reflectors: {string.Join(", ", r.Endpoints)} ({exe})"));
        return r;
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
