using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Patronus.Server.Tests.TestSupport;
using Patronus.TestSupport;

namespace Patronus.Server.Tests.Export;

/// <summary>/metrics and the JSON export on a real quickstart server (two demo paths probing a loopback reflector).</summary>
public sealed class MetricsEndpointTests
{
    /// <summary>promtool lints the seed's own names (abbreviated unit "ms", a gauge ending in _total); they are kept for the seed's dashboards, and nothing else may be flagged.</summary>
    private static readonly string[] s_seedNamesPromtoolFlags = ["cluster_nodes_total", "patronus_path_jitter_ms", "patronus_path_latency_ms"];

    private static async Task<string> ScrapeWhenPathsUpAsync(RunningServer server)
    {
        await server.WaitForJsonAsync("/api/v1/metrics/health",
            j => j.GetProperty("paths").EnumerateArray().Count(p => p.GetProperty("health").GetProperty("status").GetString() == "up") == 2,
            TimeSpan.FromSeconds(10));
        using var response = await server.Client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task Scrape_HasEveryPromisedFamily_NoDuplicateSeries_ValuesMatchJson()
    {
        await using var server = await RunningServer.StartAsync();
        await server.Client.GetAsync("/api/v1/paths/nope"); // a 404 for the HTTP families
        var text = await ScrapeWhenPathsUpAsync(server);
        var (samples, types) = PrometheusText.Parse(text);

        Assert.Empty(PrometheusText.Duplicates(samples));
        foreach (var (family, type) in new[]
        {
            ("patronus_path_latency_ms", "gauge"), ("patronus_path_packet_loss", "gauge"), ("patronus_path_jitter_ms", "gauge"),
            ("patronus_path_health_score", "gauge"), ("patronus_path_status", "gauge"), ("patronus_paths", "gauge"),
            ("patronus_probe_sent_total", "counter"), ("patronus_probe_replies_total", "counter"), ("patronus_reflector_reflected_total", "counter"),
            ("patronus_http_requests_total", "counter"), ("patronus_http_request_duration_seconds", "histogram"),
            ("patronus_store_query_duration_seconds", "histogram"), ("patronus_websocket_connections", "gauge"),
            ("patronus_loop_last_tick_age_seconds", "gauge"), ("patronus_build_info", "gauge"), ("patronus_uptime_seconds", "gauge"),
            ("process_cpu_seconds_total", "counter"), ("process_resident_memory_bytes", "gauge"), ("dotnet_gc_collections_total", "counter"),
            ("dotnet_gc_pause_seconds_total", "counter"),
            ("patronus_tunnel_path_sent_bytes_total", "counter"), ("patronus_tunnel_path_received_packets_total", "counter"),
            ("patronus_tunnel_path_active", "gauge"), ("patronus_tunnel_peer_last_handshake_seconds", "gauge"),
            ("patronus_tunnel_compression_bytes_before_total", "counter"), ("patronus_tunnel_compression_bytes_after_total", "counter"),
            ("patronus_tunnel_compression_packets_total", "counter"), ("patronus_tunnel_compression_ratio", "gauge"),
            ("patronus_tunnel_passive_loss_percent", "gauge"), ("patronus_tunnel_passive_reordered_percent", "gauge"),
            ("patronus_tunnel_passive_jitter_seconds", "gauge"), ("patronus_tunnel_passive_rtt_seconds", "gauge"),
        })
        {
            Assert.True(types.TryGetValue(family, out var t), $"family {family} missing from the scrape:\n{text}");
            Assert.Equal(type, t);
        }

        // The single box is a cluster of one (docs/ha.md): itself, healthy, the leader with term 1, no elections.
        foreach (var (family, value) in new[]
        {
            ("cluster_nodes_total", 1.0), ("cluster_nodes_healthy", 1), ("cluster_is_leader", 1), ("cluster_current_term", 1),
            ("cluster_elections_total", 0), ("cluster_failovers_total", 0), ("cluster_heartbeats_sent_total", 0),
            ("cluster_heartbeats_received_total", 0), ("cluster_fenced_writes_total", 0),
        })
        {
            Assert.Equal(value, samples.Single(s => s.Name == family).Value);
        }

        // Issue 18: the seed's ten cluster families under exactly its names, and no prefixed alias beside them.
        foreach (var (family, type) in new[]
        {
            ("cluster_nodes_total", "gauge"), ("cluster_nodes_healthy", "gauge"), ("cluster_is_leader", "gauge"), ("cluster_current_term", "gauge"),
            ("cluster_elections_total", "counter"), ("cluster_heartbeats_sent_total", "counter"), ("cluster_heartbeats_received_total", "counter"),
            ("cluster_state_replications_total", "counter"), ("cluster_failovers_total", "counter"), ("cluster_state_size_bytes", "gauge"),
        })
        {
            Assert.True(types.TryGetValue(family, out var t), $"seed family {family} missing from the scrape:\n{text}");
            Assert.Equal(type, t);
        }

        Assert.DoesNotContain(types.Keys, f => f.StartsWith("patronus_cluster", StringComparison.Ordinal));

        var json = await server.GetJsonAsync("/api/v1/metrics/health");
        foreach (var path in json.GetProperty("paths").EnumerateArray())
        {
            var id = path.GetProperty("path_id").GetString();
            Assert.Equal("demo", samples.Single(s => s.Name == "patronus_path_health_score" && s.Label("path_id") == id).Label("site"));
            Assert.Equal(1, samples.Single(s => s.Name == "patronus_path_status" && s.Label("path_id") == id && s.Label("status") == "up").Value);
            Assert.Equal(0, samples.Single(s => s.Name == "patronus_path_status" && s.Label("path_id") == id && s.Label("status") == "down").Value);
        }

        Assert.Equal(2, samples.Single(s => s.Name == "patronus_paths").Value);
        Assert.Contains(samples, s => s.Name == "patronus_http_requests_total" && s.Label("route") == "/api/v1/paths/{id}" && s.Label("status") == "404");
        Assert.All(samples.Where(s => s.Name == "patronus_loop_last_tick_age_seconds"), s => Assert.InRange(s.Value, 0, 15));
        Assert.Equal(["bfd", "failover", "health_monitor"], samples.Where(s => s.Name == "patronus_loop_last_tick_age_seconds").Select(s => s.Label("loop")).Order());
        Assert.True(samples.Single(s => s.Name == "patronus_probe_sent_total" && s.Label("protocol") == "stamp").Value > 0);
    }

    [Fact]
    public async Task Scrape_PromtoolCheckMetrics_OnlyTheSeedNamesFlagged()
    {
        await using var server = await RunningServer.StartAsync();
        var text = await ScrapeWhenPathsUpAsync(server);
        var (rc, output) = await RunAsync("promtool", "check metrics", text);

        // rc 1 is a parse error (never acceptable), rc 3 lint findings only.
        Assert.True(rc is 0 or 3, $"promtool check metrics: rc {rc}\n{output}");
        var flagged = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]).Distinct().Order().ToList();
        Assert.True(flagged.SequenceEqual(s_seedNamesPromtoolFlags), $"promtool flagged more than the seed's names:\n{output}");
        Assert.All(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.EndsWith(
            l.StartsWith("cluster_nodes_total ", StringComparison.Ordinal) ? "non-counter metrics should not have \"_total\" suffix" : "metric names should not contain abbreviated units",
            l, StringComparison.Ordinal));
    }

    /// <summary>
    /// A forced collection shows in the scrape as a runtime suspension with reason gc (a histogram
    /// in seconds plus the wait counter), and promtool accepts the families.
    /// </summary>
    [Fact]
    public async Task Scrape_AfterGcCollect_RuntimeSuspensionFamilies_PromtoolClean()
    {
        await using var server = await RunningServer.StartAsync();
        await ScrapeWhenPathsUpAsync(server);
        string text = "";
        for (var i = 0; i < 100; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true);
            text = await server.Client.GetStringAsync("/metrics");
            if (text.Contains("patronus_runtime_suspension_duration_seconds_count{reason=\"gc\"}", StringComparison.Ordinal))
            {
                break;
            }
        }

        var (samples, types) = PrometheusText.Parse(text);
        Assert.Equal("histogram", types.GetValueOrDefault("patronus_runtime_suspension_duration_seconds"));
        Assert.Equal("counter", types.GetValueOrDefault("patronus_runtime_suspension_wait_seconds_total"));
        Assert.True(samples.Single(s => s.Name == "patronus_runtime_suspension_duration_seconds_count" && s.Label("reason") == "gc").Value >= 1);
        Assert.True(samples.Single(s => s.Name == "patronus_runtime_suspension_duration_seconds_sum" && s.Label("reason") == "gc").Value > 0);
        var (rc, output) = await RunAsync("promtool", "check metrics", text);
        Assert.True(rc is 0 or 3, $"promtool check metrics: rc {rc}\n{output}");
        Assert.DoesNotContain("patronus_runtime", output, StringComparison.Ordinal);
    }

    /// <summary>Every metric deploy/ alerts on or graphs is a family a running server really writes (the earlier exporter's rules named metrics that did not exist).</summary>
    [Fact]
    public async Task DeployReferences_EveryMetricExistsInALiveScrape()
    {
        await using var server = await RunningServer.StartAsync();
        var text = await ScrapeWhenPathsUpAsync(server);
        var (_, types) = PrometheusText.Parse(text);
        var emitted = new HashSet<string>(StringComparer.Ordinal) { "up" }; // Prometheus adds it per target
        foreach (var (family, type) in types)
        {
            emitted.Add(family);
            if (type == "histogram")
            {
                emitted.UnionWith([family + "_bucket", family + "_sum", family + "_count"]);
            }
        }

        var referenced = Observability.DeployMetricReferences.ReferencedMetricNames(Observability.DeployMetricReferences.FindRepoRoot());
        Assert.NotEmpty(referenced);
        var missing = referenced.Where(n => !emitted.Contains(n)).Order().ToList();
        Assert.True(missing.Count == 0, $"deploy/ references metrics the server does not emit: {string.Join(", ", missing)}\nscrape families: {string.Join(", ", types.Keys.Order())}");
    }

    [Fact]
    public async Task ApiExport_SameFormatAsMetrics()
    {
        await using var server = await RunningServer.StartAsync();
        using var response = await server.Client.GetAsync("/api/v1/metrics/export");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Contains("# TYPE patronus_path_health_score gauge", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_WhenConfigured_RequiredAndFailuresCounted()
    {
        const string Token = "0123456789abcdef0123456789abcdef";
        await using var server = await RunningServer.StartAsync(environment: new() { ["PATRONUS__METRICS__TOKEN"] = Token });
        var anonymous = server.Anonymous; // the metrics token is not a user token

        using (var none = await anonymous.GetAsync("/metrics"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
            Assert.Equal("Bearer", none.Headers.WwwAuthenticate.Single().Scheme);
        }

        using (var wrong = new HttpRequestMessage(HttpMethod.Get, "/metrics"))
        {
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token[..^1] + "0");
            using var response = await anonymous.SendAsync(wrong);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        using var right = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var ok = await anonymous.SendAsync(right);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var (samples, _) = PrometheusText.Parse(await ok.Content.ReadAsStringAsync());
        Assert.Equal(1, samples.Single(s => s.Name == "patronus_auth_failures_total" && s.Label("reason") == "missing_token").Value);
        Assert.Equal(1, samples.Single(s => s.Name == "patronus_auth_failures_total" && s.Label("reason") == "invalid_token").Value);
    }

    [Fact]
    public async Task Token_TooShort_RefusesToStart()
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var server = await RunningServer.StartAsync(environment: new() { ["PATRONUS__METRICS__TOKEN"] = "short" });
        });
        Assert.Contains("Metrics:Token must be at least 16 characters", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task JsonExport_SeedShape_FiniteNumbers_UtcTimes()
    {
        await using var server = await RunningServer.StartAsync();
        await ScrapeWhenPathsUpAsync(server);
        var export = await server.GetJsonAsync("/api/v1/metrics/export/json");

        var paths = export.GetProperty("paths").EnumerateArray().ToList();
        Assert.Equal(2, paths.Count);
        foreach (var path in paths)
        {
            var health = path.GetProperty("health");
            foreach (var field in new[] { "latency_ms", "packet_loss_pct", "jitter_ms", "health_score" })
            {
                Assert.Equal(JsonValueKind.Number, health.GetProperty(field).ValueKind);
            }

            Assert.Equal("up", health.GetProperty("status").GetString());
            Assert.EndsWith("Z", health.GetProperty("last_checked").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(JsonValueKind.Array, export.GetProperty("policies").ValueKind);
        Assert.Equal(JsonValueKind.Array, export.GetProperty("failovers").ValueKind);
        var exportedAt = export.GetProperty("exported_at").GetString()!;
        Assert.EndsWith("Z", exportedAt, StringComparison.Ordinal);
        Assert.True(DateTimeOffset.UtcNow - DateTimeOffset.Parse(exportedAt, System.Globalization.CultureInfo.InvariantCulture) < TimeSpan.FromMinutes(1));

        using var bad = await server.Client.GetAsync("/api/v1/metrics/export/json?since=yesterday");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("since", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ready_ListsEngineLoops()
    {
        await using var server = await RunningServer.StartAsync();
        var ready = await server.GetJsonAsync("/health/ready");
        var loops = ready.GetProperty("components").GetProperty("engine_loops");
        Assert.Equal("healthy", loops.GetProperty("status").GetString());
        Assert.StartsWith("ran ", loops.GetProperty("failover").GetString(), StringComparison.Ordinal);
    }

    internal static async Task<(int ExitCode, string Output)> RunAsync(string tool, string arguments, string? stdin = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(tool, arguments)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Assert.Fail($"{tool} is not installed ({ex.Message}); ./test.sh installs it (apt package prometheus)");
            throw;
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (stdin is not null)
            {
                await process.StandardInput.WriteAsync(stdin);
            }

            process.StandardInput.Close();
            await process.WaitForExitAsync();
            return (process.ExitCode, await output + await error);
        }
    }
}
