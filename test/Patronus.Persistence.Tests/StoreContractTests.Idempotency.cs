using Patronus.Persistence.Idempotency;

namespace Patronus.Persistence.Tests;

/// <summary>The REST API's idempotency keys (migration 11, docs/ha.md safe retries).</summary>
public abstract partial class StoreContractTests
{
    private static readonly IdempotencyKey s_key = new("alice", "POST", "/api/v1/sites", "k-1");
    private static readonly StoredResponse s_created = new(201, "application/json; charset=utf-8", "/api/v1/sites/s1", "{\"id\":\"s1\"}"u8.ToArray());
    private static readonly TimeSpan s_claim = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_lifetime = TimeSpan.FromHours(24);

    private Task<IdempotencyClaim> ClaimAsync(SqlStore store, IdempotencyKey key, string fingerprint) =>
        store.ClaimIdempotencyKeyAsync(key, fingerprint, Time.GetUtcNow() + s_claim, Time.GetUtcNow() + s_lifetime);

    [Fact]
    public async Task ClaimIdempotencyKeyAsync_NewKey_ClaimedThenPendingThenCompletedReplaysResponse()
    {
        var store = await MigratedStoreAsync();

        Assert.Equal(IdempotencyClaimStatus.Claimed, (await ClaimAsync(store, s_key, "f1")).Status);
        Assert.Equal(IdempotencyClaimStatus.Pending, (await ClaimAsync(store, s_key, "f1")).Status);
        Assert.True(await store.CompleteIdempotencyKeyAsync(s_key, "f1", s_created, Time.GetUtcNow() + s_lifetime));

        var replay = await ClaimAsync(store, s_key, "f1");
        Assert.Equal(IdempotencyClaimStatus.Completed, replay.Status);
        Assert.Equal((201, s_created.ContentType, s_created.Location), (replay.Response!.StatusCode, replay.Response.ContentType, replay.Response.Location));
        Assert.Equal(s_created.Body, replay.Response.Body);
        Assert.False(await store.CompleteIdempotencyKeyAsync(s_key, "f1", s_created with { StatusCode = 200 }, Time.GetUtcNow() + s_lifetime));
    }

    [Fact]
    public async Task ClaimIdempotencyKeyAsync_OtherFingerprint_MismatchWhetherPendingOrCompleted()
    {
        var store = await MigratedStoreAsync();
        Assert.Equal(IdempotencyClaimStatus.Claimed, (await ClaimAsync(store, s_key, "f1")).Status);

        Assert.Equal(IdempotencyClaimStatus.Mismatch, (await ClaimAsync(store, s_key, "f2")).Status);
        await store.CompleteIdempotencyKeyAsync(s_key, "f1", s_created, Time.GetUtcNow() + s_lifetime);
        Assert.Equal(IdempotencyClaimStatus.Mismatch, (await ClaimAsync(store, s_key, "f2")).Status);

        // Time.Advance past the claim does not change that: a mismatch is never taken over.
        Time.Advance(s_claim * 2);
        Assert.Equal(IdempotencyClaimStatus.Mismatch, (await ClaimAsync(store, s_key, "f2")).Status);
    }

    [Fact]
    public async Task ClaimIdempotencyKeyAsync_ScopedPerUserMethodAndPath_EachClaimedApart()
    {
        var store = await MigratedStoreAsync();
        Assert.Equal(IdempotencyClaimStatus.Claimed, (await ClaimAsync(store, s_key, "f1")).Status);

        Assert.Equal(IdempotencyClaimStatus.Claimed, (await ClaimAsync(store, s_key with { User = "bob" }, "f2")).Status);
        Assert.Equal(IdempotencyClaimStatus.Claimed, (await ClaimAsync(store, s_key with { Method = "PUT" }, "f2")).Status);
        Assert.Equal(IdempotencyClaimStatus.Claimed, (await ClaimAsync(store, s_key with { Path = "/api/v1/links" }, "f2")).Status);
    }

    [Fact]
    public async Task ClaimIdempotencyKeyAsync_PendingClaimRanOut_SameRequestTakesItOver()
    {
        var store = await MigratedStoreAsync();
        Assert.Equal(IdempotencyClaimStatus.Claimed, (await ClaimAsync(store, s_key, "f1")).Status);

        Time.Advance(s_claim - TimeSpan.FromMilliseconds(1));
        Assert.Equal(IdempotencyClaimStatus.Pending, (await ClaimAsync(store, s_key, "f1")).Status);
        Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(IdempotencyClaimStatus.Claimed, (await ClaimAsync(store, s_key, "f1")).Status);

        // Both claimants ran the same request: the first to complete is the stored result, the late one finds it completed.
        Assert.True(await store.CompleteIdempotencyKeyAsync(s_key, "f1", s_created, Time.GetUtcNow() + s_lifetime));
        Assert.False(await store.CompleteIdempotencyKeyAsync(s_key, "f1", s_created with { StatusCode = 200 }, Time.GetUtcNow() + s_lifetime));
        Assert.Equal(201, (await ClaimAsync(store, s_key, "f1")).Response!.StatusCode);
    }

    [Fact]
    public async Task ClaimIdempotencyKeyAsync_CompletedEntryExpired_ClaimedAgainEvenWithOtherFingerprint()
    {
        var store = await MigratedStoreAsync();
        await ClaimAsync(store, s_key, "f1");
        await store.CompleteIdempotencyKeyAsync(s_key, "f1", s_created, Time.GetUtcNow() + s_lifetime);

        Time.Advance(s_lifetime - TimeSpan.FromMilliseconds(1));
        Assert.Equal(IdempotencyClaimStatus.Completed, (await ClaimAsync(store, s_key, "f1")).Status);
        Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(IdempotencyClaimStatus.Claimed, (await ClaimAsync(store, s_key, "f2")).Status);
    }

    [Fact]
    public async Task ReleaseIdempotencyKeyAsync_Pending_ClaimableAtOnce_CompletedKept()
    {
        var store = await MigratedStoreAsync();
        await ClaimAsync(store, s_key, "f1");

        await store.ReleaseIdempotencyKeyAsync(s_key, "f1");
        Assert.Equal(IdempotencyClaimStatus.Claimed, (await ClaimAsync(store, s_key, "f2")).Status);

        await store.CompleteIdempotencyKeyAsync(s_key, "f2", s_created, Time.GetUtcNow() + s_lifetime);
        await store.ReleaseIdempotencyKeyAsync(s_key, "f2");
        Assert.Equal(IdempotencyClaimStatus.Completed, (await ClaimAsync(store, s_key, "f2")).Status);
    }

    [Fact]
    public async Task ClaimIdempotencyKeyAsync_TwoStoresOnOneDatabase_EachSeesTheOthersKeys()
    {
        var first = await MigratedStoreAsync();
        var second = NewStore();
        Assert.Equal(IdempotencyClaimStatus.Claimed, (await ClaimAsync(first, s_key, "f1")).Status);

        Assert.Equal(IdempotencyClaimStatus.Pending, (await ClaimAsync(second, s_key, "f1")).Status);
        Assert.Equal(IdempotencyClaimStatus.Mismatch, (await ClaimAsync(second, s_key, "f2")).Status);
        await first.CompleteIdempotencyKeyAsync(s_key, "f1", s_created, Time.GetUtcNow() + s_lifetime);
        Assert.Equal(s_created.Body, (await ClaimAsync(second, s_key, "f1")).Response!.Body);
    }

    [Fact]
    public async Task ClaimIdempotencyKeyAsync_ConcurrentClaimsOfOneKey_ExactlyOneClaimed()
    {
        await MigratedStoreAsync();
        var stores = Enumerable.Range(0, 8).Select(_ => NewStore()).ToList();

        var claims = await Task.WhenAll(stores.Select(s => ClaimAsync(s, s_key, "f1")));

        Assert.Single(claims, c => c.Status == IdempotencyClaimStatus.Claimed);
        Assert.All(claims.Where(c => c.Status != IdempotencyClaimStatus.Claimed), c => Assert.Equal(IdempotencyClaimStatus.Pending, c.Status));
    }

    [Fact]
    public async Task DeleteIdempotencyKeysBeforeAsync_DeletesOnlyExpired()
    {
        var store = await MigratedStoreAsync();
        await ClaimAsync(store, s_key, "f1");
        await store.CompleteIdempotencyKeyAsync(s_key, "f1", s_created, Time.GetUtcNow() + TimeSpan.FromHours(1));
        await ClaimAsync(store, s_key with { Key = "k-2" }, "f1");
        await store.CompleteIdempotencyKeyAsync(s_key with { Key = "k-2" }, "f1", s_created, Time.GetUtcNow() + TimeSpan.FromHours(3));

        Assert.Equal(1, await store.DeleteIdempotencyKeysBeforeAsync(Time.GetUtcNow() + TimeSpan.FromHours(2)));

        Assert.Equal(IdempotencyClaimStatus.Claimed, (await ClaimAsync(store, s_key, "f2")).Status);
        Assert.Equal(IdempotencyClaimStatus.Completed, (await ClaimAsync(store, s_key with { Key = "k-2" }, "f1")).Status);
    }
}
