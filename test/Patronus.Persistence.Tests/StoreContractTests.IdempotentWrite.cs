using Patronus.Engine.Failover;
using Patronus.Engine.Paths;
using Patronus.Engine.Storage;
using Patronus.Persistence.Idempotency;
using Patronus.Persistence.Security;

namespace Patronus.Persistence.Tests;

/// <summary>A keyed REST write keeps its answer in its own transaction (<see cref="IdempotentWrite"/>, docs/ha.md safe retries).</summary>
public abstract partial class StoreContractTests
{
    /// <summary>Runs <paramref name="write"/> as the keyed write of <paramref name="key"/>, answering with <paramref name="answer"/> of the item written.</summary>
    private async Task<(T Result, IdempotentWrite Write)> KeyedAsync<T>(IdempotencyKey key, Func<object?, StoredResponse> answer, Func<Task<T>> write)
    {
        var keyed = new IdempotentWrite(key, "f1", Time.GetUtcNow() + s_lifetime);
        keyed.AnswerWith(answer);
        using (IdempotentWrite.Enter(keyed))
        {
            return (await write(), keyed);
        }
    }

    private static StoredResponse SiteCreated(object? written) =>
        s_created with { Location = $"/api/v1/sites/{((Site)written!).Id}", Body = System.Text.Encoding.UTF8.GetBytes(((Site)written!).Name) };

    [Fact]
    public async Task InsertSiteAsync_KeyedWriteDiesBeforeItsAnswerIsSettled_RetryReplaysTheAnswerCommittedWithIt()
    {
        var store = await MigratedStoreAsync();
        Assert.Equal(IdempotencyClaimStatus.Claimed, (await ClaimAsync(store, s_key, "f1")).Status);

        var (result, write) = await KeyedAsync(s_key, SiteCreated, () => store.InsertSiteAsync(new Site("s1", "Site one", null, ItemSource.Api)));
        AssertOk(result);
        Assert.Equal("/api/v1/sites/s1", write.Stored?.Location);

        // The node dies here, before the middleware settles the key: CompleteIdempotencyKeyAsync never runs.
        // Before the answer was kept in the write's transaction the retry took the claim over once it ran
        // out and ran the create again (409: the site exists).
        Time.Advance(s_claim * 2);
        var retry = await ClaimAsync(NewStore(), s_key, "f1");

        Assert.Equal(IdempotencyClaimStatus.Completed, retry.Status);
        Assert.Equal((201, "/api/v1/sites/s1"), (retry.Response!.StatusCode, retry.Response.Location));
        Assert.Equal("Site one"u8.ToArray(), retry.Response.Body);
    }

    [Fact]
    public async Task InsertSiteAsync_KeyedWriteRefused_NoAnswerKeptAndKeyStillPending()
    {
        var store = await MigratedStoreAsync();
        AssertOk(await store.InsertSiteAsync(new Site("s1", "Site one", null, ItemSource.Api)));
        await ClaimAsync(store, s_key, "f1");

        var (result, write) = await KeyedAsync(s_key, SiteCreated, () => store.InsertSiteAsync(new Site("s1", "again", null, ItemSource.Api)));

        Assert.Equal(StoreStatus.Conflict, result.Status);
        Assert.Null(write.Stored);
        Assert.Equal(IdempotencyClaimStatus.Pending, (await ClaimAsync(store, s_key, "f1")).Status); // the middleware stores the 409 after
    }

    [Fact]
    public async Task InsertFailoverPolicyAsync_Keyed_AnswerMadeFromThePolicyWithItsStoreAssignedId()
    {
        var store = await StoreWithTwoPathsAsync();
        await ClaimAsync(store, s_key, "f1");

        var (result, write) = await KeyedAsync(s_key, w => s_created with { Location = $"/p/{((FailoverPolicy)w!).Id}" },
            () => store.InsertFailoverPolicyAsync(Policy("to-dc", "p1", ["p2"])));

        AssertOk(result.Result);
        Assert.Equal($"/p/{result.Id}", write.Stored?.Location);
        Assert.Equal($"/p/{result.Id}", (await ClaimAsync(store, s_key, "f1")).Response?.Location);
    }

    [Fact]
    public async Task DeleteSiteAsync_KeyedMissingSite_NothingKept_KeyedExistingSite_AnswerCommittedWithTheDelete()
    {
        var store = await MigratedStoreAsync();
        var deleteKey = s_key with { Method = "DELETE", Path = "/api/v1/sites/s1" };
        await ClaimAsync(store, deleteKey, "f1");
        var noContent = new StoredResponse(204, null, null, []);

        var (missing, none) = await KeyedAsync(deleteKey, _ => noContent, () => store.DeleteSiteAsync("s1"));
        Assert.Equal(StoreStatus.NotFound, missing.Status);
        Assert.Null(none.Stored);

        AssertOk(await store.InsertSiteAsync(new Site("s1", "Site one", null, ItemSource.Api)));
        var (deleted, write) = await KeyedAsync(deleteKey, _ => noContent, () => store.DeleteSiteAsync("s1"));
        AssertOk(deleted);
        Assert.Same(noContent, write.Stored);
        Assert.Equal(204, (await ClaimAsync(store, deleteKey, "f1")).Response?.StatusCode);
    }

    [Fact]
    public async Task InsertUserAsync_KeyedWriteDiesBeforeItsAnswerIsSettled_RetryReplaysTheAnswerMadeFromTheRowAsStored()
    {
        var store = await MigratedStoreAsync();
        var key = s_key with { Path = "/api/v1/users" };
        await ClaimAsync(store, key, "f1");

        var (result, write) = await KeyedAsync(key, w => s_created with { Location = $"/api/v1/users/{((UserRecord)w!).Username}", Body = System.Text.Encoding.UTF8.GetBytes(((UserRecord)w!).Role.ToString()) },
            () => store.InsertUserAsync(User("alice", UserRole.Viewer)));
        AssertOk(result);
        Assert.Equal("/api/v1/users/alice", write.Stored?.Location);

        // The node dies before the middleware settles the key. Before user writes kept their answer in
        // their own transaction, the retry took the claim over and answered 409 "already exists".
        Time.Advance(s_claim * 2);
        var retry = await ClaimAsync(NewStore(), key, "f1");

        Assert.Equal(IdempotencyClaimStatus.Completed, retry.Status);
        Assert.Equal((201, "/api/v1/users/alice"), (retry.Response!.StatusCode, retry.Response.Location));
        Assert.Equal("Viewer"u8.ToArray(), retry.Response.Body);
    }

    [Fact]
    public async Task UpdateUserAsync_Keyed_AnswerFromTheUpdatedRow_MissingUserOrDuplicateInsertKeepsNothing()
    {
        var store = await MigratedStoreAsync();
        AssertOk(await store.InsertUserAsync(User("alice")));
        var key = s_key with { Method = "PUT", Path = "/api/v1/users/alice" };
        await ClaimAsync(store, key, "f1");
        static StoredResponse Answer(object? w) => s_created with { StatusCode = 200, Location = null, Body = System.Text.Encoding.UTF8.GetBytes($"{((UserRecord)w!).Role} {((UserRecord)w!).TokenVersion}") };

        var (missing, none) = await KeyedAsync(key, Answer, () => store.UpdateUserAsync("nobody", new UserChange(UserRole.Admin, null, null)));
        Assert.Equal(StoreStatus.NotFound, missing.Status);
        Assert.Null(none.Stored);
        var (duplicate, noneEither) = await KeyedAsync(key, Answer, () => store.InsertUserAsync(User("alice")));
        Assert.Equal(StoreStatus.Conflict, duplicate.Status);
        Assert.Null(noneEither.Stored);

        var (updated, write) = await KeyedAsync(key, Answer, () => store.UpdateUserAsync("alice", new UserChange(UserRole.Admin, null, null)));

        AssertOk(updated);
        Assert.Equal("Admin 2"u8.ToArray(), write.Stored?.Body); // the role and token version as updated, not as sent
        Assert.Equal("Admin 2"u8.ToArray(), (await ClaimAsync(store, key, "f1")).Response?.Body);
    }
}
