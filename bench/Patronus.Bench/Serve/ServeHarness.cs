using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using Patronus.Bench.Probes;

namespace Patronus.Bench.Serve;

/// <summary>
/// Issue 14's bar 1, measured whole: a real <c>patronus serve</c> process (the product as shipped,
/// embedded SQLite history with rollups and retention on, or <c>--store</c>) monitoring N STAMP
/// paths at 1 probe/s against healthy reflectors in separate processes, scraped over HTTP like
/// Prometheus does. It times launch → <c>/health/ready</c> 200 and launch → every path Up (from
/// <c>patronus_path_status</c>), then over the measured span scrapes <c>/metrics</c> at a fixed
/// interval (each scrape timed from request to last byte on a kept-alive connection) and samples
/// the process's CPU and resident memory from /proc; at the end it reads
/// <c>patronus_health_status_changes_total</c> for changes away from Up since launch. Ports are
/// picked free per run (API and reflectors) and everything lives in a temp directory, so two runs
/// can share a host. Traffic stays on 127.0.0.0/8.
/// </summary>
internal static class ServeHarness
{
    private static readonly CultureInfo s_inv = CultureInfo.InvariantCulture;

    public static async Task<int> RunAsync(ServeHarnessOptions o)
    {
        Console.WriteLine(string.Create(s_inv, $"# serve harness {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm}Z: paths {o.Paths}, span {o.Seconds} s, links {o.Sources}, reflectors {o.Reflectors}, store {(o.Store.Length == 0 ? "sqlite (embedded)" : Redact(o.Store))}"));
        Console.WriteLine(string.Create(s_inv, $"# {Environment.ProcessorCount} cores, load {LoadAverage()}, bin {o.PatronusBin}"));

        var work = Directory.CreateTempSubdirectory("patronus-serve-bench-");
        try
        {
            await using var reflectors = await Reflectors.StartAsync(o.Reflectors, "self");
            var port = FreeTcpPort();
            var config = Path.Combine(work.FullName, "patronus.json");
            await File.WriteAllTextAsync(config, Config(o, reflectors.Ports));
            await using var log = new StreamWriter(Path.Combine(work.FullName, "serve.log"));
            using var serve = StartServe(o, config, Path.Combine(work.FullName, "data"), port, log, out var launched);

            // Killed (timeout, Ctrl+C): take serve and the reflectors along instead of leaving them running.
            using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => KillAll(serve, reflectors));
            using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => KillAll(serve, reflectors));
            try
            {
                var result = await MeasureAsync(o, serve, launched, port, reflectors, Path.Combine(work.FullName, "scrapes.csv"));
                var failures = result.Check(o.Bars);
                Console.WriteLine(result.Summary(o, failures));
                return o.Check && failures.Count > 0 ? 1 : 0;
            }
            finally
            {
                await StopAsync(serve);
            }
        }
        finally
        {
            if (o.Keep)
            {
                Console.WriteLine($"# kept {work.FullName}");
            }
            else
            {
                work.Delete(recursive: true);
            }
        }
    }

    private static async Task<ServeResult> MeasureAsync(ServeHarnessOptions o, Process serve, long launched, int port, Reflectors reflectors, string scrapeLog)
    {
        // One line per scrape of the span (kept with --keep): when a slow scrape happened and what
        // serve's GC and CPU did around it, to line it up with serve.log.
        await using var csv = new StreamWriter(scrapeLog);
        await csv.WriteLineAsync("utc,scrape_ms,serve_gc_pause_ms_total,serve_gen2_total,serve_cpu_s,serve_metrics_ms_total,render_ms_total,render_cpu_ms_total");
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = new Uri(string.Create(s_inv, $"http://127.0.0.1:{port}")),
            Timeout = TimeSpan.FromSeconds(30),
        };
        var deadline = TimeSpan.FromSeconds(o.StartTimeout);

        // Launch → ready.
        TimeSpan? ready = null;
        while (ready is null)
        {
            Alive(serve);
            if (Stopwatch.GetElapsedTime(launched) > deadline)
            {
                throw new TimeoutException($"not ready after {o.StartTimeout} s");
            }

            try
            {
                using var response = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    ready = Stopwatch.GetElapsedTime(launched);
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            if (ready is null)
            {
                await Task.Delay(20);
            }
        }

        Console.WriteLine(string.Create(s_inv, $"ready after {ready.Value.TotalSeconds:F2} s"));

        // Ready → every path measured Up.
        TimeSpan? allUp = null;
        var up = 0;
        while (allUp is null)
        {
            Alive(serve);
            if (Stopwatch.GetElapsedTime(launched) > deadline)
            {
                throw new TimeoutException($"{up} of {o.Paths} paths Up after {o.StartTimeout} s");
            }

            var text = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            up = (int)MetricsText.Sum(text, "patronus_path_status", "status=\"up\"");
            if (up >= o.Paths)
            {
                allUp = Stopwatch.GetElapsedTime(launched);
            }
            else
            {
                await Task.Delay(200);
            }
        }

        Console.WriteLine(string.Create(s_inv, $"all {o.Paths} paths Up after {allUp.Value.TotalSeconds:F2} s"));

        // The measured span.
        var scrapes = new List<double>();
        var rss = new List<double>();
        var cpu0 = ProcessCpu.Seconds(serve.Id);
        var reflectorCpu0 = reflectors.TotalProcessorTime();
        var span = Stopwatch.GetTimestamp();
        var next = span;
        var interval = Stopwatch.Frequency * o.ScrapeIntervalMs / 1000;
        var last = "";
        var sentRates = new List<double>();
        var body = new byte[8 * 1024 * 1024];
        var gcPauses = new List<double>();
        (double Sent, long At)? previous = null;
        (double Wall, double Cpu, double Count)? renderFirst = null, renderLast = null;
        while (Stopwatch.GetElapsedTime(span) < TimeSpan.FromSeconds(o.Seconds))
        {
            Alive(serve);
            var start = Stopwatch.GetTimestamp();
            using (var response = await http.GetAsync(new Uri("/metrics", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead))
            {
                // Timed to the last byte into a buffer kept across scrapes, as a scraper reads it; the
                // text is decoded after the clock stops: decoding 4.5 MB into a .NET string (9 MB on the
                // large-object heap, once a second) is the harness's cost, not serve's, and it showed
                // as scrape time (p50 45.9 ms here while curl measured ~17 ms on the same server).
                (body, var length) = await ReadBodyAsync(response, body);
                scrapes.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                response.EnsureSuccessStatusCode();
                last = System.Text.Encoding.UTF8.GetString(body.AsSpan(0, length));
            }

            // Probes sent per second between two scrapes: fast probing after losses shows here.
            var sent = MetricsText.Sum(last, "patronus_probe_sent_total", "protocol=");
            if (previous is { } p)
            {
                sentRates.Add((sent - p.Sent) / Stopwatch.GetElapsedTime(p.At, start).TotalSeconds);
            }

            previous = (sent, start);
            gcPauses.Add(MetricsText.Sum(last, "dotnet_gc_pause_seconds_total", "") * 1000);

            // Serve's own render histograms (since the exporter has them): each scrape shows the
            // renders before it, so the span's renders are the difference of the first and last.
            if (last.Contains("patronus_metrics_render_cpu_time_seconds_count", StringComparison.Ordinal))
            {
                renderLast = (MetricsText.Sum(last, "patronus_metrics_render_duration_seconds_sum", ""),
                    MetricsText.Sum(last, "patronus_metrics_render_cpu_time_seconds_sum", ""),
                    MetricsText.Sum(last, "patronus_metrics_render_cpu_time_seconds_count", ""));
                renderFirst ??= renderLast;
            }

            await csv.WriteLineAsync(string.Create(s_inv,
                $"{DateTimeOffset.UtcNow:HH:mm:ss.fff},{scrapes[^1]:F1},{gcPauses[^1]:F1},{MetricsText.Sum(last, "dotnet_gc_collections_total", "gen2"):F0},{ProcessCpu.Seconds(serve.Id):F2},{MetricsText.Sum(last, "patronus_http_request_duration_seconds_sum", "route=\"/metrics\"") * 1000:F1},{renderLast?.Wall * 1000:F1},{renderLast?.Cpu * 1000:F1}"));

            rss.Add(ProcessCpu.RssMegabytes(serve.Id));
            next += interval;
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }
        }

        if (renderFirst is { } r0 && renderLast is { } r1 && r1.Count > r0.Count)
        {
            var n = r1.Count - r0.Count;
            Console.WriteLine(string.Create(s_inv,
                $"render inside serve ({n:F0} renders of the span): mean {(r1.Wall - r0.Wall) / n * 1000:F2} ms wall, {(r1.Cpu - r0.Cpu) / n * 1000:F2} ms thread CPU"));
        }
        else
        {
            Console.WriteLine("render inside serve: not exported by this build (patronus_metrics_render_*)");
        }

        var elapsed = Stopwatch.GetElapsedTime(span).TotalSeconds;
        var cores = (ProcessCpu.Seconds(serve.Id) - cpu0) / elapsed;
        var reflectorCores = (reflectors.TotalProcessorTime() - reflectorCpu0).TotalSeconds / elapsed;
        return new ServeResult(
            ready.Value, allUp.Value, cores, reflectorCores, rss.Max(), ProcessCpu.PeakRssMegabytes(serve.Id), scrapes,
            LeftUp: (long)MetricsText.Sum(last, "patronus_health_status_changes_total", "from=\"up\""),
            NotUpNow: o.Paths - (long)MetricsText.Sum(last, "patronus_path_status", "status=\"up\""),
            ScrapeBytes: last.Length,
            GcPauseMilliseconds: gcPauses,
            SentPerSecond: sentRates.Count == 0 ? [0] : sentRates,
            ServeDrops: UdpSocketDrops.Of([serve.Id]),
            ReflectorDrops: UdpSocketDrops.Of(reflectors.ProcessIds));
    }

    private static Process StartServe(ServeHarnessOptions o, string config, string dataDir, int port, StreamWriter log, out long launched)
    {
        var start = new ProcessStartInfo(o.PatronusBin) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["serve", "--config", config, "--data-dir", dataDir, "--urls", string.Create(s_inv, $"http://127.0.0.1:{port}")])
        {
            start.ArgumentList.Add(arg);
        }

        if (o.Store.Length > 0)
        {
            start.ArgumentList.Add("--store");
            start.ArgumentList.Add(o.Store);
        }

        launched = Stopwatch.GetTimestamp();
        var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {o.PatronusBin}");

        // Keep the pipes drained (a full pipe would stall serve's logging): everything to serve.log,
        // warnings and errors to the console too.
        process.OutputDataReceived += (_, e) => Echo(e.Data);
        process.ErrorDataReceived += (_, e) => Echo(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;

        void Echo(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (log)
            {
                log.WriteLine(line);
            }

            if (line.Contains(" warn: ", StringComparison.Ordinal) || line.Contains(" fail: ", StringComparison.Ordinal) || line.Contains(" crit: ", StringComparison.Ordinal))
            {
                Console.WriteLine("serve: " + line);
            }
        }
    }

    private static async Task StopAsync(Process serve)
    {
        if (serve.HasExited)
        {
            return;
        }

        // SIGTERM: a graceful stop, as systemd does.
        _ = Kill(serve.Id, 15);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await serve.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            serve.Kill(entireProcessTree: true);
        }
    }

    private static void KillAll(Process serve, Reflectors reflectors)
    {
        try
        {
            serve.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }

        reflectors.Kill();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private static void Alive(Process serve)
    {
        if (serve.HasExited)
        {
            throw new InvalidOperationException($"serve exited with {serve.ExitCode}");
        }
    }

    /// <summary>The generated config: L links on 127.0.0.x, N paths to far ends 127.1.x.y spread over the reflectors.</summary>
    internal static string Config(ServeHarnessOptions o, IReadOnlyList<int> reflectorPorts)
    {
        var farEnds = (o.Paths + o.Sources - 1) / o.Sources;
        var links = Enumerable.Range(0, o.Sources)
            .Select(i => new { Id = $"lo{i}", Site = "bench", Name = $"loopback {i}", SourceAddress = $"127.0.0.{i + 1}" }).ToArray();
        var paths = Enumerable.Range(0, o.Paths)
            .Select(i => new
            {
                Id = string.Create(s_inv, $"p{i:D5}"),
                Link = links[i % links.Length].Id,
                Targets = new[] { ProbeHarnessOptions.FarEnd(i / links.Length % farEnds, reflectorPorts) },
            }).ToArray();
        return JsonSerializer.Serialize(new
        {
            Sites = new[] { new { Id = "bench", Name = "Benchmark site" } },
            Links = links,
            Paths = paths,
            Reflector = new { Enabled = false },
            Failover = new { KernelRoutes = false },
            Traffic = new { Enabled = false },
            Health = new { Interval = "00:00:01" },
        });
    }

    /// <summary>Reads a response body to its end into <paramref name="buffer"/>, doubling it when full.</summary>
    private static async Task<(byte[] Buffer, int Length)> ReadBodyAsync(HttpResponseMessage response, byte[] buffer)
    {
        await using var stream = await response.Content.ReadAsStreamAsync();
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }

            var read = await stream.ReadAsync(buffer.AsMemory(length));
            if (read == 0)
            {
                return (buffer, length);
            }

            length += read;
        }
    }

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static string Redact(string store)
    {
        var at = store.IndexOf('@', StringComparison.Ordinal);
        var scheme = store.IndexOf("://", StringComparison.Ordinal);
        return at > 0 && scheme > 0 ? string.Concat(store.AsSpan(0, scheme + 3), "…", store.AsSpan(at)) : store;
    }
}
