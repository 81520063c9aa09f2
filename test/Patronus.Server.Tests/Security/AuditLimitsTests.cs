using System.Net;
using System.Net.Http.Json;
using Patronus.Persistence.Security;
using Patronus.TestSupport;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.Security;

/// <summary>
/// What a request can make the audit log store (issue 13.2): refused anonymous requests do not
/// get a row each, and every stored field is capped, so an anonymous client cannot fill the disk.
/// </summary>
public sealed class AuditLimitsTests
{
    private static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    private static async Task<IReadOnlyList<AuditRecord>> AuditAsync(RunningServer server) =>
        await server.Services.GetRequiredService<IAuditStore>().GetAuditAsync(DateTimeOffset.UnixEpoch, 1000);

    private static async Task<double> AggregatedAsync(RunningServer server)
    {
        var (samples, _) = PrometheusText.Parse(await server.Anonymous.GetStringAsync("/metrics"));
        return samples.Where(s => s.Name == "patronus_audit_aggregated_total").Sum(s => s.Value);
    }

    [Fact]
    public async Task AnonymousRefusedWrites_ManyRequests_NoRowPerRequestButCounted()
    {
        await using var server = await RunningServer.StartAsync();
        var anonymous = server.Anonymous;
        for (var i = 0; i < 20; i++)
        {
            using var refused = await anonymous.PostAsync("/api/v1/sites", Json("{}"));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            using var nowhere = await anonymous.PostAsync($"/api/v1/nothing-here/{i}", Json("{}"));
            Assert.True((int)nowhere.StatusCode >= 400);
        }

        var anonymousRows = (await AuditAsync(server)).Where(e => e.Username is null).ToList();

        Assert.True(anonymousRows.Count <= 1, $"{anonymousRows.Count} rows for 40 refused anonymous requests");
        Assert.Equal(40 - anonymousRows.Count, await AggregatedAsync(server));
    }

    [Fact]
    public async Task Login_FailuresFromOneAddress_OneRowNotOnePerAttempt()
    {
        await using var server = await RunningServer.StartAsync();
        for (var i = 0; i < 10; i++)
        {
            using var failed = await server.Anonymous.PostAsJsonAsync("/api/v1/auth/login", new { username = $"guess{i}", password = "Wrong-Passw0rd-xx" });
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        var rows = (await AuditAsync(server)).Where(e => e.Action == "login" && e.Result != "success").ToList();

        Assert.Single(rows);
        Assert.Equal("guess0", rows[0].Username);
    }

    [Fact]
    public async Task Login_HugeUsername_StoredFieldsCapped()
    {
        await using var server = await RunningServer.StartAsync();
        var name = new string('x', 60_000);
        using var failed = await server.Anonymous.PostAsJsonAsync("/api/v1/auth/login", new { username = name, password = "Wrong-Passw0rd-xx" });
        Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);

        var row = Assert.Single(await AuditAsync(server), e => e.Action == "login" && e.Result != "success");

        Assert.InRange(row.Username!.Length, 1, 65);
        Assert.InRange(row.Target?.Length ?? 0, 0, 257);
        Assert.StartsWith("xxxx", row.Username, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Write_LongPath_ActionAndTargetCapped()
    {
        await using var server = await RunningServer.StartAsync();
        var id = new string('a', 6_000);
        using var put = await server.PutJsonAsync($"/api/v1/sites/{id}", """{"name":"x"}""");
        Assert.True((int)put.StatusCode >= 400);
        using var post = await server.PostJsonAsync($"/api/v1/{id}", "{}");
        Assert.True((int)post.StatusCode >= 400);

        var rows = (await AuditAsync(server)).Where(e => e.Username == RunningServer.AdminName && e.Action != "login").ToList();

        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.InRange(r.Target!.Length, 1, 257));
        Assert.All(rows, r => Assert.InRange(r.Action.Length, 1, 129));
        Assert.Contains(rows, r => r.Action == "PUT /api/v1/sites/{id}");
    }
}
