using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Cluster;
using Patronus.Persistence;
using Patronus.Persistence.Security;
using Patronus.Server.Hosting;
using Patronus.Server.Security;
using Patronus.Server.Tests.TestSupport;
using Patronus.TestSupport;

namespace Patronus.Server.Tests.Security;

/// <summary>The bootstrap's hourly cleanup: audit retention, on a real SQLite store and a fake clock.</summary>
public sealed class AuthBootstrapTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task ExecuteAsync_AtStartAndEachCleanupInterval_DeletesAuditEntriesPastRetention()
    {
        using var dir = new TempDir();
        var config = PatronusConfiguration.Load(new CommandLineOverrides(DataDir: dir.Path), new Dictionary<string, string?>(), out var errors);
        Assert.True(config is not null, string.Join("\n", errors));
        var clock = new FakeTimeProvider(s_now);
        await using var store = SqlStore.Create(config.Store, clock);
        await store.MigrateAsync();
        var state = new StoreState();
        state.MarkMigrated(await store.GetSchemaVersionAsync());
        var options = Options.Create(new AuthOptions { AuditRetention = TimeSpan.FromDays(90) });
        var expired = s_now.AddDays(-91);
        var expiresInADay = s_now.AddDays(-89).AddHours(-12);
        var recent = s_now.AddDays(-1);
        foreach (var at in new[] { expired, expiresInADay, recent })
        {
            await store.InsertAuditAsync(new AuditRecord(at, "alice", "POST /api/v1/sites/", "/api/v1/sites/x", "127.0.0.1", "success", 201));
        }

        async Task<DateTimeOffset[]> AuditTimesAsync() => (await store.GetAuditAsync(DateTimeOffset.UnixEpoch, 100)).Select(e => e.Timestamp).Order().ToArray();
        using var bootstrap = new AuthBootstrap(store, store, options, state, new SigningKeys(options, config, store, NullLogger<SigningKeys>.Instance),
            config, clock, NullLogger<AuthBootstrap>.Instance);

        await bootstrap.StartAsync(CancellationToken.None);
        await Poll.AssertAsync(async () => (await AuditTimesAsync()).Length == 2, TimeSpan.FromSeconds(10), "the pass at start deletes the entry older than 90 days");
        Assert.Equal([expiresInADay, recent], await AuditTimesAsync());

        clock.Advance(TimeSpan.FromDays(1));
        await Poll.AssertAsync(async () => (await AuditTimesAsync()).Length == 1, TimeSpan.FromSeconds(10), "a day later the next one has turned 90 days old");
        Assert.Equal([recent], await AuditTimesAsync());
        await bootstrap.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task CleanupOnceAsync_Follower_AuditKeptAndNoFencedWrite_Leader_Deleted()
    {
        using var dir = new TempDir();
        var config = PatronusConfiguration.Load(new CommandLineOverrides(DataDir: dir.Path), new Dictionary<string, string?>(), out var errors);
        Assert.True(config is not null, string.Join("\n", errors));
        var clock = new FakeTimeProvider(s_now);
        var leadership = new Leadership("f", clock);
        await using var store = SqlStore.Create(config.Store, clock, leadership: leadership);
        await store.MigrateAsync();
        await store.InsertAuditAsync(new AuditRecord(s_now.AddDays(-91), "alice", "POST /api/v1/sites/", "/api/v1/sites/x", "127.0.0.1", "success", 201));
        var options = Options.Create(new AuthOptions { AuditRetention = TimeSpan.FromDays(90) });
        using var bootstrap = new AuthBootstrap(store, store, options, new StoreState(), new SigningKeys(options, config, store, NullLogger<SigningKeys>.Instance),
            config, clock, NullLogger<AuthBootstrap>.Instance, leadership);

        await bootstrap.CleanupOnceAsync(CancellationToken.None);

        // Before: the follower's delete was refused by the fence and counted as a fenced write every hour.
        Assert.Single(await store.GetAuditAsync(DateTimeOffset.UnixEpoch, 10));
        Assert.Equal(0, leadership.RefusedWrites);

        var term = (await store.TryAcquireLeaseAsync("f", TimeSpan.FromHours(1))).Term;
        var lease = new LeaseState(TimeSpan.FromHours(1));
        lease.Granted(term, leadership.Clock.Elapsed, leadership.Clock.Elapsed);
        leadership.Publish(lease, roleChanged: true);
        await bootstrap.CleanupOnceAsync(CancellationToken.None);
        Assert.Empty(await store.GetAuditAsync(DateTimeOffset.UnixEpoch, 10));
    }
}
