using System.Diagnostics.Metrics;
using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Patronus.Persistence.Security;
using Patronus.Server.Security;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.Security;

/// <summary>The audit log's caps and its per-source summaries, on a real SQLite file and a fake clock.</summary>
public sealed class AuditLogTests
{
    private static readonly DateTimeOffset s_start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>An audit log over a fresh SQLite file, on a fake clock.</summary>
    private sealed class Harness : IAsyncDisposable
    {
        private readonly ServiceProvider _meters = new ServiceCollection().AddMetrics().BuildServiceProvider();
        private TempSqliteStore _db = null!;

        public FakeTimeProvider Time { get; } = new(s_start);

        public AuditLog Audit { get; private set; } = null!;

        public static async Task<Harness> StartAsync()
        {
            var h = new Harness();
            h._db = await TempSqliteStore.CreateAsync(h.Time);
            h.Audit = new AuditLog(h._db.Store, new AuditAggregator(h.Time), new AuditMetrics(h._meters.GetRequiredService<IMeterFactory>()), h.Time, NullLogger<AuditLog>.Instance);
            return h;
        }

        public async Task<List<AuditRecord>> RowsAsync() => [.. await _db.Store.GetAuditAsync(DateTimeOffset.UnixEpoch, 1000)];

        public async ValueTask DisposeAsync()
        {
            Audit.Dispose();
            await _db.DisposeAsync();
            await _meters.DisposeAsync();
        }
    }

    private static DefaultHttpContext Request(string address, string? user = null)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(address);
        if (user is not null)
        {
            context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, user)], "Bearer"));
        }

        return context;
    }

    [Fact]
    public async Task RecordAsync_RefusedLoginsFromOneAddress_FirstRowThenOneSummaryAfterTheMinute()
    {
        await using var h = await Harness.StartAsync();
        for (var i = 0; i < 10; i++)
        {
            var ownRow = await h.Audit.RecordAsync(Request("192.0.2.7"), "login", $"user{i}", 401, $"user{i}", "wrong username or password");
            Assert.Equal(i == 0, ownRow); // what callers log by: only the first is logged too
            h.Time.Advance(TimeSpan.FromSeconds(1));
        }

        var first = Assert.Single(await h.RowsAsync());
        Assert.Equal(("login", "user0", "192.0.2.7", "denied"), (first.Action, first.Username, first.ClientAddress, first.Result));

        await h.Audit.WriteSummariesAsync(all: false); // the minute is not over yet
        Assert.Single(await h.RowsAsync());

        h.Time.Advance(TimeSpan.FromMinutes(1));
        await h.Audit.WriteSummariesAsync(all: false);

        var summary = Assert.Single(await h.RowsAsync(), r => r.Action == "summary");
        Assert.Equal(("192.0.2.7", "denied", 401), (summary.ClientAddress, summary.Result, summary.StatusCode));
        Assert.Null(summary.Username);
        Assert.StartsWith("9 more refused requests between 12:00:01 and 12:00:09 UTC: login → 401 ×9; usernames tried: user1, user2, user3, user4, user5, …", summary.Detail, StringComparison.Ordinal);

        // A new minute starts with a full row again.
        await h.Audit.RecordAsync(Request("192.0.2.7"), "login", "user10", 401, "user10");
        Assert.Equal(3, (await h.RowsAsync()).Count);
    }

    [Fact]
    public async Task RecordAsync_AcceptedAndSignedInFailures_OneRowEach()
    {
        await using var h = await Harness.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            await h.Audit.RecordAsync(Request("192.0.2.7", "alice"), "PUT /api/v1/sites/{id}", "/api/v1/sites/x", 200);
            await h.Audit.RecordAsync(Request("192.0.2.7", "alice"), "PUT /api/v1/sites/{id}", "/api/v1/sites/nope", 404);
        }

        Assert.Equal(6, (await h.RowsAsync()).Count);
    }

    [Fact]
    public async Task RecordAsync_SignedInUserDenied_SummarisedPerUserNotPerAddress()
    {
        await using var h = await Harness.StartAsync();
        await h.Audit.RecordAsync(Request("192.0.2.1", "viewer1"), "POST /api/v1/sites", "/api/v1/sites", 403);
        await h.Audit.RecordAsync(Request("192.0.2.2", "viewer1"), "POST /api/v1/sites", "/api/v1/sites", 403);
        await h.Audit.RecordAsync(Request("192.0.2.1", "viewer2"), "POST /api/v1/sites", "/api/v1/sites", 403);
        h.Time.Advance(TimeSpan.FromMinutes(2));
        await h.Audit.WriteSummariesAsync(all: false);

        var rows = await h.RowsAsync();

        Assert.Equal(3, rows.Count); // viewer1's first, viewer2's first, viewer1's summary
        var summary = Assert.Single(rows, r => r.Action == "summary");
        Assert.Equal("viewer1", summary.Username);
        Assert.DoesNotContain("usernames tried", summary.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecordAsync_ManySources_RowsBoundedByOverflowWindow()
    {
        await using var h = await Harness.StartAsync();
        for (var i = 0; i < 1000; i++)
        {
            var address = $"10.{i / 256}.{i % 256}.1";
            await h.Audit.RecordAsync(Request(address), "POST /api/v1/sites", "/api/v1/sites", 401);
            await h.Audit.RecordAsync(Request(address), "POST /api/v1/sites", "/api/v1/sites", 401);
        }

        Assert.Equal(AuditAggregator.MaxSources + 1, (await h.RowsAsync()).Count);
        await h.Audit.WriteSummariesAsync(all: true);
        var rows = await h.RowsAsync();
        Assert.Equal(2 * (AuditAggregator.MaxSources + 1), rows.Count);
        Assert.Contains(rows, r => r.Action == "summary" && r.ClientAddress == "*" && r.Detail!.StartsWith("1799 more", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RecordAsync_Ipv6AddressesOfOneSlash64_OneSource()
    {
        await using var h = await Harness.StartAsync();
        await h.Audit.RecordAsync(Request("2001:db8:1:2::1"), "login", "a", 401, "a");
        await h.Audit.RecordAsync(Request("2001:db8:1:2:ffff::9"), "login", "b", 401, "b");
        await h.Audit.RecordAsync(Request("2001:db8:1:3::1"), "login", "c", 401, "c");
        await h.Audit.WriteSummariesAsync(all: true);

        var rows = await h.RowsAsync();

        Assert.Equal(3, rows.Count);
        Assert.Equal("2001:db8:1:2::/64", Assert.Single(rows, r => r.Action == "summary").ClientAddress);
    }

    [Fact]
    public async Task RecordAsync_HugeAndHostileFields_Capped()
    {
        await using var h = await Harness.StartAsync();
        var name = "x\0y\nz" + new string('u', 70_000);
        await h.Audit.RecordAsync(Request("192.0.2.7", "admin"), "POST /api/v1/" + new string('p', 9_000), "/api/v1/" + new string('p', 9_000), 404,
            name, new string('d', 70_000));

        var row = Assert.Single(await h.RowsAsync());

        Assert.Equal(AuditLog.MaxUsernameChars + 1, row.Username!.Length);
        Assert.StartsWith("x?y?z", row.Username, StringComparison.Ordinal);
        Assert.EndsWith("…", row.Username, StringComparison.Ordinal);
        Assert.Equal(AuditLog.MaxActionChars + 1, row.Action.Length);
        Assert.Equal(AuditLog.MaxTargetChars + 1, row.Target!.Length);
        Assert.Equal(AuditLog.MaxDetailChars + 1, row.Detail!.Length);
    }

    [Theory]
    [InlineData(null, 5, null)]
    [InlineData("", 5, "")]
    [InlineData("abcde", 5, "abcde")]
    [InlineData("abcdef", 5, "abcde…")]
    [InlineData("a\tb\u007fc", 5, "a?b?c")]
    [InlineData("\u0085x", 5, "?x")]
    [InlineData("abcd\U0001F600", 5, "abcd…")] // never half a surrogate pair
    public void Cap_Table(string? value, int max, string? expected) => Assert.Equal(expected, AuditLog.Cap(value, max));

    [Fact]
    public async Task StopAsync_OpenWindows_SummariesWritten()
    {
        await using var h = await Harness.StartAsync();
        await h.Audit.RecordAsync(Request("192.0.2.7"), "login", "a", 429, "a");
        await h.Audit.RecordAsync(Request("192.0.2.7"), "login", "a", 429, "a");

        await h.Audit.StopAsync(CancellationToken.None);

        Assert.Contains(await h.RowsAsync(), r => r.Action == "summary" && r.Detail!.StartsWith("1 more", StringComparison.Ordinal));
    }
}
