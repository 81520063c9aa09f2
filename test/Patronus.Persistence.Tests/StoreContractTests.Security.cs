using Patronus.Engine.Storage;
using Patronus.Persistence.Security;

namespace Patronus.Persistence.Tests;

public abstract partial class StoreContractTests
{
    private static UserRecord User(string name, UserRole role = UserRole.Operator) =>
        new(name, role, "AQAAAAIAAYagAAAAEhash", false, 1, Start, Start);

    private RefreshTokenRecord Refresh(string hash, string family, string user = "alice", TimeSpan? lifetime = null) =>
        new(hash, family, user, Time.GetUtcNow(), Time.GetUtcNow() + (lifetime ?? TimeSpan.FromDays(7)));

    [Fact]
    public async Task User_InsertGetListUpdate_RoundTrip()
    {
        var store = await MigratedStoreAsync();
        AssertOk(await store.InsertUserAsync(User("alice")));
        AssertOk(await store.InsertUserAsync(User("bob", UserRole.Viewer)));
        AssertStatus(StoreStatus.Conflict, await store.InsertUserAsync(User("alice")), "alice");

        var alice = await store.GetUserAsync("alice");
        Assert.NotNull(alice);
        Assert.Equal((UserRole.Operator, false, 1L), (alice.Role, alice.Disabled, alice.TokenVersion));
        Assert.Null(await store.GetUserAsync("ALICE"));
        Assert.Equal(["alice", "bob"], (await store.ListUsersAsync()).Select(u => u.Username));

        AssertOk(await store.UpdateUserAsync("alice", new UserChange(Role: UserRole.Admin, Disabled: true, PasswordHash: "new")));
        alice = await store.GetUserAsync("alice");
        Assert.Equal((UserRole.Admin, true, "new", 2L), (alice!.Role, alice.Disabled, alice.PasswordHash, alice.TokenVersion));
        AssertStatus(StoreStatus.NotFound, await store.UpdateUserAsync("carol", new UserChange(Disabled: true)), "carol");
    }

    [Fact]
    public async Task RefreshToken_Rotate_ConsumesOnceAndReuseRevokesFamily()
    {
        var store = await MigratedStoreAsync();
        AssertOk(await store.InsertUserAsync(User("alice")));
        AssertOk(await store.InsertRefreshTokenAsync(Refresh("h1", "f1")));

        var first = await store.RotateRefreshTokenAsync("h1", Refresh("h2", "ignored", "ignored"));
        Assert.Equal(new RefreshRotation(RefreshRotationStatus.Rotated, "alice"), first);

        // h1 presented again: a reuse; the family (h2 included) is revoked.
        Assert.Equal(RefreshRotationStatus.Reused, (await store.RotateRefreshTokenAsync("h1", Refresh("h3", "f1"))).Status);
        Assert.Equal(RefreshRotationStatus.Revoked, (await store.RotateRefreshTokenAsync("h2", Refresh("h4", "f1"))).Status);
        Assert.Equal(RefreshRotationStatus.NotFound, (await store.RotateRefreshTokenAsync("nope", Refresh("h5", "f1"))).Status);
    }

    [Fact]
    public async Task RefreshToken_ConcurrentRotations_ExactlyOneWins()
    {
        var store = await MigratedStoreAsync();
        AssertOk(await store.InsertUserAsync(User("alice")));
        AssertOk(await store.InsertRefreshTokenAsync(Refresh("h1", "f1")));
        var other = NewStore();

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            (i % 2 == 0 ? store : other).RotateRefreshTokenAsync("h1", Refresh($"n{i}", "f1"))));

        Assert.Single(results, r => r.Status == RefreshRotationStatus.Rotated);
        Assert.All(results.Where(r => r.Status != RefreshRotationStatus.Rotated),
            r => Assert.Contains(r.Status, new[] { RefreshRotationStatus.Reused, RefreshRotationStatus.Revoked }));
    }

    [Fact]
    public async Task RefreshToken_ExpiredOrUserChanged_NotRotated()
    {
        var store = await MigratedStoreAsync();
        AssertOk(await store.InsertUserAsync(User("alice")));
        AssertOk(await store.InsertRefreshTokenAsync(Refresh("short", "f1", lifetime: TimeSpan.FromMinutes(1))));
        AssertOk(await store.InsertRefreshTokenAsync(Refresh("long", "f2")));
        Time.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(RefreshRotationStatus.Expired, (await store.RotateRefreshTokenAsync("short", Refresh("x", "f1"))).Status);
        AssertOk(await store.UpdateUserAsync("alice", new UserChange(PasswordHash: "changed")));
        Assert.Equal(RefreshRotationStatus.Revoked, (await store.RotateRefreshTokenAsync("long", Refresh("y", "f2"))).Status);
        Assert.Equal(1, await store.DeleteExpiredRefreshTokensAsync(Time.GetUtcNow()));
    }

    [Fact]
    public async Task RefreshToken_Logout_RevokesFamilyOnly()
    {
        var store = await MigratedStoreAsync();
        AssertOk(await store.InsertUserAsync(User("alice")));
        AssertOk(await store.InsertRefreshTokenAsync(Refresh("a", "f1")));
        AssertOk(await store.InsertRefreshTokenAsync(Refresh("b", "f2")));
        AssertStatus(StoreStatus.MissingReference, await store.InsertRefreshTokenAsync(Refresh("c", "f3", "nobody")));

        Assert.False(await store.RevokeRefreshFamilyAsync("a", "someone-else")); // another user's token: as if unknown
        Assert.True(await store.RevokeRefreshFamilyAsync("a", "alice"));
        Assert.False(await store.RevokeRefreshFamilyAsync("missing"));
        Assert.Equal(RefreshRotationStatus.Revoked, (await store.RotateRefreshTokenAsync("a", Refresh("a2", "f1"))).Status);
        Assert.Equal(RefreshRotationStatus.Rotated, (await store.RotateRefreshTokenAsync("b", Refresh("b2", "f2"))).Status);
    }

    [Fact]
    public async Task Audit_InsertAndQuery_NewestFirstSinceLimit()
    {
        var store = await MigratedStoreAsync();
        for (var i = 0; i < 5; i++)
        {
            await store.InsertAuditAsync(new AuditRecord(Start.AddMinutes(i), i == 0 ? null : "alice", "POST /api/v1/sites/", $"/api/v1/sites/{i}",
                "127.0.0.1", i % 2 == 0 ? "success" : "denied", i % 2 == 0 ? 201 : 403, i == 4 ? "detail" : null));
        }

        var entries = await store.GetAuditAsync(Start.AddMinutes(1), 3);
        Assert.Equal(["/api/v1/sites/4", "/api/v1/sites/3", "/api/v1/sites/2"], entries.Select(e => e.Target));
        Assert.Equal(("alice", "success", 201, "detail", Start.AddMinutes(4)), (entries[0].Username, entries[0].Result, entries[0].StatusCode, entries[0].Detail, entries[0].Timestamp));
        Assert.True(entries[0].AuditId > entries[1].AuditId);
    }

    [Fact]
    public async Task Secret_GetOrAdd_FirstValueWinsAcrossStores()
    {
        var store = await MigratedStoreAsync();
        var other = NewStore();

        var values = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => (i % 2 == 0 ? store : other).GetOrAddSecretAsync("jwt", $"v{i}")));

        Assert.Single(values.Distinct());
        Assert.Equal(values[0], await store.GetOrAddSecretAsync("jwt", "later"));
    }
}
