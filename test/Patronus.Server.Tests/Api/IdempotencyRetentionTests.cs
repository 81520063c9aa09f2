using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Cluster;
using Patronus.Persistence.Idempotency;
using Patronus.Server.Api;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.Api;

/// <summary>Expired idempotency keys are deleted by the leader only (<see cref="IdempotencyRetention"/>).</summary>
public sealed class IdempotencyRetentionTests
{
    private static readonly IdempotencyKey s_key = new("admin", "POST", "/api/v1/sites", "k");

    private static async Task StoreKeyAsync(Patronus.Persistence.SqliteStore store, TimeProvider time)
    {
        var now = time.GetUtcNow();
        Assert.Equal(IdempotencyClaimStatus.Claimed, (await store.ClaimIdempotencyKeyAsync(s_key, "f", now + IdempotencyMiddleware.ClaimTimeout, now + IdempotencyMiddleware.Lifetime)).Status);
        Assert.True(await store.CompleteIdempotencyKeyAsync(s_key, "f", new StoredResponse(201, null, null, []), now + IdempotencyMiddleware.Lifetime));
    }

    [Fact]
    public async Task PurgeAsync_Leader_DeletesOnlyWhatExpired()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 5, 0, 0, 0, TimeSpan.Zero));
        await using var temp = await TempSqliteStore.CreateAsync(time);
        await StoreKeyAsync(temp.Store, time);
        var retention = new IdempotencyRetention(temp.Store, Leadership.SingleNode("n1", time), time, NullLogger<IdempotencyRetention>.Instance);

        time.Advance(IdempotencyMiddleware.Lifetime - TimeSpan.FromSeconds(1));
        Assert.Equal(0, await retention.PurgeAsync(CancellationToken.None));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, await retention.PurgeAsync(CancellationToken.None));
    }

    [Fact]
    public async Task PurgeAsync_Follower_DeletesNothing()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 5, 0, 0, 0, TimeSpan.Zero));
        await using var temp = await TempSqliteStore.CreateAsync(time);
        await StoreKeyAsync(temp.Store, time);
        var retention = new IdempotencyRetention(temp.Store, new Leadership("n2", time), time, NullLogger<IdempotencyRetention>.Instance);

        time.Advance(IdempotencyMiddleware.Lifetime * 2);

        Assert.Equal(0, await retention.PurgeAsync(CancellationToken.None));
        var leader = new IdempotencyRetention(temp.Store, Leadership.SingleNode("n1", time), time, NullLogger<IdempotencyRetention>.Instance);
        Assert.Equal(1, await leader.PurgeAsync(CancellationToken.None)); // the follower left it
    }
}
