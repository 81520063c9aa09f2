using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Net.Http.Json;
using System.Text.Json;
using Patronus.Server.Tests.TestSupport;
using Patronus.TestSupport;
using Xunit.Abstractions;

namespace Patronus.Server.Tests.Export;

/// <summary>
/// A real Prometheus server (apt <c>prometheus</c>) scrapes a running server: what the format
/// promises is what a real scraper reads, and the values it stores are the ones the API shows.
/// </summary>
public sealed class PrometheusServerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task RealPrometheus_ScrapesServe_HealthScoreMatchesJson()
    {
        await using var server = await RunningServer.StartAsync();
        await server.WaitForJsonAsync("/api/v1/metrics/health",
            j => j.GetProperty("paths").EnumerateArray().All(p => p.GetProperty("health").GetProperty("status").GetString() == "up"),
            TimeSpan.FromSeconds(10));

        await using var prometheus = await PrometheusProcess.StartAsync(server.Client.BaseAddress!, output);
        var target = await prometheus.WaitForTargetUpAsync(TimeSpan.FromSeconds(30));
        output.WriteLine($"target: {target}");
        Assert.Equal("up", target.GetProperty("health").GetString());
        Assert.Equal("", target.GetProperty("lastError").GetString());

        // Prometheus holds the last scrape (up to a second old) and the JSON is read now: on a busy
        // machine a score may move in between, so each path is compared until the two agree on a
        // value and on Up (they must, within a few scrapes).
        var health = await server.GetJsonAsync("/api/v1/metrics/health");
        foreach (var path in health.GetProperty("paths").EnumerateArray())
        {
            var id = path.GetProperty("path_id").GetString()!;
            await Poll.AssertAsync(
                async () =>
                {
                    var now = await server.GetJsonAsync("/api/v1/metrics/health");
                    var expected = now.GetProperty("paths").EnumerateArray().Single(p => p.GetProperty("path_id").GetString() == id)
                        .GetProperty("health").GetProperty("health_score").GetDouble();
                    var result = await prometheus.QueryAsync($"patronus_path_health_score{{job=\"patronus\",path_id=\"{id}\"}}");
                    if (result.GetArrayLength() == 0)
                    {
                        return false; // the target is up before its first scrape's samples answer queries: ask again
                    }

                    var sample = Assert.Single(result.EnumerateArray());
                    Assert.Equal("demo", sample.GetProperty("metric").GetProperty("site").GetString());
                    var scraped = double.Parse(sample.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
                    var up = await prometheus.QueryAsync($"patronus_path_status{{path_id=\"{id}\",status=\"up\"}}");
                    if (up.GetArrayLength() == 0)
                    {
                        return false;
                    }

                    var isUp = Assert.Single(up.EnumerateArray()).GetProperty("value")[1].GetString();
                    return expected == scraped && isUp == "1";
                },
                TimeSpan.FromSeconds(20),
                $"{id}: Prometheus's scrape and the JSON agree on the score and on Up");
        }

        // A histogram as Prometheus reads it: the buckets make a quantile.
        var p95 = await prometheus.QueryAsync("histogram_quantile(0.95, sum by (le) (patronus_http_request_duration_seconds_bucket))");
        Assert.Single(p95.EnumerateArray());
    }
}

/// <summary>A throwaway Prometheus server on loopback scraping one target every second.</summary>
internal sealed class PrometheusProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TempDir _dir;
    private readonly HttpClient _client;

    private PrometheusProcess(Process process, TempDir dir, HttpClient client)
    {
        _process = process;
        _dir = dir;
        _client = client;
    }

    public static async Task<PrometheusProcess> StartAsync(Uri target, ITestOutputHelper output)
    {
        var dir = new TempDir();
        var config = Path.Combine(dir.Path, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: patronus
                metrics_path: /metrics
                static_configs:
                  - targets: ["{target.Authority}"]
            """);
        var port = FreePort();
        var start = new ProcessStartInfo("prometheus",
            $"--config.file={config} --storage.tsdb.path={Path.Combine(dir.Path, "tsdb")} --web.listen-address=127.0.0.1:{port}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            dir.Dispose();
            Assert.Fail($"prometheus is not installed ({ex.Message}); ./test.sh installs it (apt package prometheus)");
            throw;
        }

        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line && (line.Contains("level=error", StringComparison.Ordinal) || line.Contains("level=warn", StringComparison.Ordinal)))
            {
                try
                {
                    output.WriteLine($"prometheus: {line}");
                }
                catch (InvalidOperationException)
                {
                    // The test has finished.
                }
            }
        };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return new PrometheusProcess(process, dir, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) });
    }

    /// <summary>Polls /api/v1/targets until the target has been scraped successfully.</summary>
    public async Task<JsonElement> WaitForTargetUpAsync(TimeSpan timeout)
    {
        var last = "(no answer)";
        JsonElement target = default;
        var up = await Poll.UntilAsync(async () =>
        {
            Assert.False(_process.HasExited, $"prometheus exited with {(_process.HasExited ? _process.ExitCode : 0)}");
            try
            {
                var json = await _client.GetFromJsonAsync<JsonElement>("/api/v1/targets");
                last = json.ToString();
                var active = json.GetProperty("data").GetProperty("activeTargets");
                target = active.GetArrayLength() > 0 ? active[0] : default;
                return target.ValueKind == JsonValueKind.Object && target.GetProperty("health").GetString() == "up";
            }
            catch (HttpRequestException)
            {
                return false; // not listening yet
            }
        }, timeout, TimeSpan.FromMilliseconds(200));

        Assert.True(up, $"prometheus did not scrape the target successfully within {timeout}: {last}");
        return target;
    }

    public async Task<JsonElement> QueryAsync(string promql)
    {
        var json = await _client.GetFromJsonAsync<JsonElement>("/api/v1/query?query=" + Uri.EscapeDataString(promql));
        Assert.Equal("success", json.GetProperty("status").GetString());
        return json.GetProperty("data").GetProperty("result");
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _dir.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
