using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Patronus.Persistence;
using Patronus.Persistence.Security;
using Patronus.Server.Security;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.Security;

/// <summary>
/// The one token-version check (every request's access token and every open GraphQL WebSocket): on a
/// real SQLite file and a fake clock.
/// </summary>
public sealed class UserCacheTests
{
    private static readonly TimeSpan s_cacheFor = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A cache over a fresh SQLite file on a fake clock, holding alice (operator, token version 1) and
    /// bob (disabled, so at version 2: every change bumps the version).
    /// </summary>
    private sealed class Harness : IAsyncDisposable
    {
        public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

        private TempSqliteStore _db = null!;

        public SqliteStore Store => _db.Store;

        public UserCache Cache { get; private set; } = null!;

        public static async Task<Harness> StartAsync()
        {
            var h = new Harness();
            h._db = await TempSqliteStore.CreateAsync(h.Time);
            h.Cache = new UserCache(h.Store, h.Time, Options.Create(new AuthOptions { UserCacheDuration = s_cacheFor }));

            var now = h.Time.GetUtcNow();
            Assert.True((await h.Store.InsertUserAsync(new UserRecord("alice", UserRole.Operator, "hash", false, 1, now, now))).Succeeded);
            Assert.True((await h.Store.InsertUserAsync(new UserRecord("bob", UserRole.Viewer, "hash", false, 1, now, now))).Succeeded);
            Assert.True((await h.Store.UpdateUserAsync("bob", new UserChange(Disabled: true))).Succeeded);
            return h;
        }

        public ValueTask DisposeAsync() => _db.DisposeAsync();
    }

    [Theory]
    [InlineData("alice", "1", true)] // current
    [InlineData("alice", "2", false)] // a version the user does not have (stale, or forged ahead)
    [InlineData("alice", "0", false)]
    [InlineData("alice", "01", false)] // the version as the issuer writes it, nothing else
    [InlineData("bob", "2", false)] // disabled, at its current version
    [InlineData("bob", "1", false)]
    [InlineData("carol", "1", false)] // no such user
    [InlineData(null, "1", false)] // no sub claim
    [InlineData("alice", null, false)] // no ver claim
    public async Task IsCurrentAsync_UserAndVersion_TrueOnlyForAnEnabledUserAtThatVersion(string? username, string? version, bool expected)
    {
        await using var h = await Harness.StartAsync();

        Assert.Equal(expected, await h.Cache.IsCurrentAsync(username, version, CancellationToken.None));
        Assert.Equal(expected, await h.Cache.IsCurrentAsync(Principal(username, version), CancellationToken.None));
    }

    [Fact]
    public async Task IsCurrentAsync_ChangedElsewhere_StillCurrentUntilTheCacheEntryExpires()
    {
        await using var h = await Harness.StartAsync();
        Assert.True(await h.Cache.IsCurrentAsync("alice", "1", CancellationToken.None));

        // Another instance (or the CLI) changes the user: this cache learns it within its duration.
        Assert.True((await h.Store.UpdateUserAsync("alice", new UserChange(Role: UserRole.Viewer))).Succeeded);
        h.Time.Advance(s_cacheFor - TimeSpan.FromMilliseconds(1));
        Assert.True(await h.Cache.IsCurrentAsync("alice", "1", CancellationToken.None));

        h.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(await h.Cache.IsCurrentAsync("alice", "1", CancellationToken.None));
        Assert.True(await h.Cache.IsCurrentAsync("alice", "2", CancellationToken.None));
    }

    [Fact]
    public async Task IsCurrentAsync_ChangedThroughThisInstance_StaleAtOnce()
    {
        await using var h = await Harness.StartAsync();
        Assert.True(await h.Cache.IsCurrentAsync("alice", "1", CancellationToken.None));

        Assert.True((await h.Store.UpdateUserAsync("alice", new UserChange(Disabled: true))).Succeeded);
        h.Cache.Invalidate("alice");

        Assert.False(await h.Cache.IsCurrentAsync("alice", "1", CancellationToken.None));
    }

    /// <summary>An access token's principal as the JwtBearer handler builds it (claims by their wire names).</summary>
    private static ClaimsPrincipal Principal(string? username, string? version)
    {
        var claims = new List<Claim> { new("role", "operator") };
        if (username is not null)
        {
            claims.Add(new Claim("sub", username));
        }

        if (version is not null)
        {
            claims.Add(new Claim("ver", version, ClaimValueTypes.Integer64));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, "AuthenticationTypes.Federation", "sub", "role"));
    }
}
