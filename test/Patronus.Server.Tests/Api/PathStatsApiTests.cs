using System.Globalization;
using System.Net;
using System.Text.Json;
using Patronus.Engine.Health;
using Patronus.Engine.Storage;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.Api;

/// <summary><c>GET /api/v1/paths/{id}/stats</c> on a real quickstart server: history inserted through its store, and its own live samples.</summary>
public sealed class PathStatsApiTests
{
    private const string Path = "demo-wan1-loopback";

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    [Fact]
    public async Task Stats_CustomPeriodOfInsertedHistory_AggregatesOverIt()
    {
        await using var server = await RunningServer.StartAsync();
        var store = server.Services.GetRequiredService<IHealthHistoryStore>();
        var now = server.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        // Ten minutes three hours ago, a sample a second (the default interval): 1..600 ms latency,
        // Down for the last 60 s. Long before the quickstart started, so its own samples are not in it.
        var start = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero).AddHours(-3);
        var samples = Enumerable.Range(0, 600).Select(i => new PathHealthSample(Path, start.AddSeconds(i), i + 1, i >= 540 ? 100 : 0, 2,
            i >= 540 ? 0 : 100, i >= 540 ? PathStatus.Down : PathStatus.Up)).ToList();
        // As the recorder writes them with raw samples on: the rows, and their 10-second buckets.
        Assert.Equal(StoreStatus.Ok, (await store.InsertPathHealthAsync(samples)).Status);
        var aggregator = new HealthBucketAggregator();
        var buckets = new List<PathHealthBucket>();
        samples.ForEach(s => aggregator.Add(s, buckets));
        aggregator.TakeAll(buckets);
        Assert.Equal(StoreStatus.Ok, (await store.InsertPathHealthBucketsAsync(buckets)).Status);

        var stats = await server.GetJsonAsync($"/api/v1/paths/{Path}/stats?period=custom&since={Iso(start.AddMinutes(-5))}&until={Iso(start.AddMinutes(15))}");

        Assert.Equal(Path, stats.GetProperty("path_id").GetString());
        Assert.Equal("custom", stats.GetProperty("period").GetString());
        Assert.Equal(Iso(start.AddMinutes(-5)), stats.GetProperty("period_start").GetString());
        Assert.Equal(Iso(start.AddMinutes(15)), stats.GetProperty("period_end").GetString());
        Assert.Equal("10s", stats.GetProperty("resolution").GetString());
        Assert.Equal(600, stats.GetProperty("sample_count").GetInt64());
        Assert.Equal(50, stats.GetProperty("coverage_pct").GetDouble()); // 10 of 20 minutes
        Assert.Equal(90, stats.GetProperty("uptime_pct").GetDouble());
        Assert.Equal(300.5, stats.GetProperty("latency_avg_ms").GetDouble());
        Assert.Equal((1.0, 600.0), (stats.GetProperty("latency_min_ms").GetDouble(), stats.GetProperty("latency_max_ms").GetDouble()));
        Assert.Equal(570, stats.GetProperty("latency_p95_ms").GetDouble()); // rank ⌈0.95 × 600⌉
        Assert.True(stats.GetProperty("latency_p95_exact").GetBoolean());
        Assert.Equal(10, stats.GetProperty("packet_loss_avg_pct").GetDouble());
        Assert.Equal(2, stats.GetProperty("jitter_avg_ms").GetDouble());
        Assert.Equal(90, stats.GetProperty("health_score_avg").GetDouble());
    }

    [Fact]
    public async Task Stats_Quickstart_LiveSamplesInTheLastHour()
    {
        await using var server = await RunningServer.StartAsync();

        var stats = await server.WaitForJsonAsync($"/api/v1/paths/{Path}/stats?period=hour",
            j => j.GetProperty("sample_count").GetInt64() >= 3, TimeSpan.FromSeconds(30)); // the first 10-second bucket is written ~11 s after the first sample

        Assert.Equal("10s", stats.GetProperty("resolution").GetString());
        var start = DateTimeOffset.Parse(stats.GetProperty("period_start").GetString()!, CultureInfo.InvariantCulture);
        var end = DateTimeOffset.Parse(stats.GetProperty("period_end").GetString()!, CultureInfo.InvariantCulture);
        Assert.Equal(TimeSpan.FromHours(1), end - start);
        Assert.EndsWith("Z", stats.GetProperty("period_end").GetString(), StringComparison.Ordinal);
        Assert.True(stats.GetProperty("latency_p95_ms").GetDouble() > 0);
        Assert.False(stats.GetProperty("latency_p95_exact").GetBoolean()); // raw samples are off by default
        Assert.InRange(stats.GetProperty("coverage_pct").GetDouble(), 0.01, 1);
        Assert.InRange(stats.GetProperty("uptime_pct").GetDouble(), 0, 100);

        // Without a period: the last day, read from 1-minute buckets where there are any, else 10-second ones.
        var day = await server.GetJsonAsync($"/api/v1/paths/{Path}/stats");
        Assert.Equal("day", day.GetProperty("period").GetString());
        Assert.True(day.GetProperty("sample_count").GetInt64() >= 3);
    }

    [Fact]
    public async Task Stats_PeriodWithoutData_NullMeasurementsAndZeroCount()
    {
        await using var server = await RunningServer.StartAsync();

        var stats = await server.GetJsonAsync($"/api/v1/paths/{Path}/stats?period=custom&since=2020-01-01T00:00:00Z&until=2020-02-01T00:00:00%2B02:00");

        Assert.Equal(0, stats.GetProperty("sample_count").GetInt64());
        Assert.Equal(0, stats.GetProperty("coverage_pct").GetDouble());
        Assert.Equal("2020-01-31T22:00:00.000Z", stats.GetProperty("period_end").GetString());
        Assert.Equal("1h", stats.GetProperty("resolution").GetString());
        foreach (var field in new[] { "uptime_pct", "latency_avg_ms", "latency_min_ms", "latency_max_ms", "latency_p95_ms", "latency_p95_exact",
                     "packet_loss_avg_pct", "jitter_avg_ms", "health_score_avg" })
        {
            Assert.Equal(JsonValueKind.Null, stats.GetProperty(field).ValueKind);
        }

        // The first representable day: nothing to read, nothing overflows.
        var first = await server.GetJsonAsync($"/api/v1/paths/{Path}/stats?period=custom&since=0001-01-01T00:00:00Z&until=0001-01-02T00:00:00Z");
        Assert.Equal(0, first.GetProperty("sample_count").GetInt64());
    }

    [Theory]
    [InlineData("?period=year", "period")]
    [InlineData("?period=custom", "since")]
    [InlineData("?period=custom&since=2026-01-01T00:00:00Z", "until")]
    [InlineData("?period=custom&since=yesterday&until=2026-01-01T00:00:00Z", "since")]
    [InlineData("?period=custom&since=2026-01-01T00:00:00&until=2026-01-02T00:00:00Z", "since")] // no zone
    [InlineData("?period=custom&since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", "until")]
    [InlineData("?period=custom&since=2026-01-01T00:00:00Z&until=2026-01-01T00:00:00Z", "until")]
    [InlineData("?period=custom&since=2024-01-01T00:00:00Z&until=2026-01-01T00:00:00Z", "since")] // over 400 days
    [InlineData("?period=day&since=2026-01-01T00:00:00Z", "since")]
    [InlineData("?until=2026-01-01T00:00:00Z", "until")]
    public async Task Stats_BadQuery_ProblemNamesParameter(string query, string field)
    {
        await using var server = await RunningServer.StartAsync();

        using var response = await server.Client.GetAsync($"/api/v1/paths/{Path}/stats{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task Stats_UnknownPath_NotFoundNamingIt()
    {
        await using var server = await RunningServer.StartAsync();

        using var response = await server.Client.GetAsync("/api/v1/paths/nope/stats?period=hour");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Contains("'nope'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
