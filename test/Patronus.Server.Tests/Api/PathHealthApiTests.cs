using System.Net;
using System.Text.Json;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.Api;

/// <summary>The quickstart's real probes through the real reflector, read over the REST API.</summary>
public sealed class PathHealthApiTests
{
    private static Task<JsonElement> WaitForAsync(RunningServer server, string url, Func<JsonElement, bool> condition, TimeSpan timeout) =>
        server.WaitForJsonAsync(url, condition, timeout);

    [Fact]
    public async Task Quickstart_BothPathsUpWithMeasuredLatency_Within10s()
    {
        await using var server = await RunningServer.StartAsync();
        var health = await WaitForAsync(server, "/api/v1/metrics/health",
            j => j.GetProperty("paths").GetArrayLength() == 2 &&
                 j.GetProperty("paths").EnumerateArray().All(p => p.GetProperty("health").GetProperty("status").GetString() == "up"),
            TimeSpan.FromSeconds(10));

        foreach (var p in health.GetProperty("paths").EnumerateArray())
        {
            var h = p.GetProperty("health");
            Assert.True(h.GetProperty("latency_ms").GetDouble() > 0, "latency must be measured, not 0");
            Assert.Equal(0, h.GetProperty("packet_loss_pct").GetDouble());
            Assert.Equal(100, h.GetProperty("health_score").GetDouble());
            Assert.EndsWith("Z", h.GetProperty("last_checked").GetString(), StringComparison.Ordinal);
        }

        var one = await server.GetJsonAsync("/api/v1/paths/demo-wan1-loopback/health");
        Assert.Equal(1, one.GetProperty("targets_up").GetInt32());
        Assert.Equal("within thresholds", one.GetProperty("reason").GetString());
        // No tunnel traffic: the probes' loss is the path's (docs/health.md, "Passive loss").
        Assert.Equal("active", one.GetProperty("loss_source").GetString());
        Assert.Equal(0, one.GetProperty("active_loss_pct").GetDouble());
        Assert.Equal(JsonValueKind.Null, one.GetProperty("passive_loss").ValueKind);

        // Samples (one a second) are persisted as 10-second buckets; the last hour's history shows them.
        var history = await WaitForAsync(server, "/api/v1/paths/demo-wan1-loopback/health/history",
            j => j.GetProperty("buckets").GetArrayLength() >= 1, TimeSpan.FromSeconds(30));
        Assert.Equal("10s", history.GetProperty("resolution").GetString());
        Assert.All(history.GetProperty("buckets").EnumerateArray(), b => Assert.Equal(100, b.GetProperty("uptime_pct").GetDouble()));
        Assert.Empty((await server.GetJsonAsync("/api/v1/paths/demo-wan1-loopback/health/history?resolution=raw")).GetProperty("samples").EnumerateArray());
    }

    [Fact]
    public async Task PathToNothing_DownWithFullLoss()
    {
        // A STAMP target on a loopback port where nothing listens: every probe is lost.
        var config = """
            { "Sites": [ { "Id": "s" } ], "Links": [ { "Id": "l", "Site": "s", "SourceAddress": "127.0.0.1" } ],
              "Paths": [ { "Id": "dead", "Link": "l", "Targets": [ "127.0.0.1:9" ] } ] }
            """;
        await using var server = await RunningServer.StartAsync(config);
        var h = await WaitForAsync(server, "/api/v1/paths/dead/health",
            j => j.GetProperty("health").GetProperty("last_checked").ValueKind == JsonValueKind.String, TimeSpan.FromSeconds(10));
        Assert.Equal("down", h.GetProperty("health").GetProperty("status").GetString());
        Assert.Equal(100, h.GetProperty("health").GetProperty("packet_loss_pct").GetDouble());
    }

    [Theory]
    [InlineData("?since=yesterday", "since")]
    [InlineData("?resolution=5m", "resolution")]
    [InlineData("?limit=0", "limit")]
    [InlineData("?since=2026-11-22T10:00:00Z&until=2026-11-22T09:00:00Z", "since")]
    public async Task History_BadQuery_ProblemNamesParameter(string query, string field)
    {
        await using var server = await RunningServer.StartAsync();
        using var response = await server.Client.GetAsync($"/api/v1/paths/demo-wan1-loopback/health/history{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task Health_UnknownPath_NotFound()
    {
        await using var server = await RunningServer.StartAsync();
        using var a = await server.Client.GetAsync("/api/v1/paths/nope/health");
        using var b = await server.Client.GetAsync("/api/v1/paths/nope/health/history");
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (a.StatusCode, b.StatusCode));
    }
}
