using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Paths;
using Patronus.Persistence;
using Patronus.Persistence.Idempotency;
using Patronus.Server.Api;
using Patronus.Server.Commands;
using Patronus.Server.Security;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.Api;

/// <summary>
/// A keyed create whose node dies after the write committed and before the middleware settled its key
/// (<see cref="IdempotencyMiddleware"/>, <see cref="IdempotentWrite"/>): the death is simulated by a store
/// whose settle step fails (as a killed node never runs it); the retry, on another middleware after the
/// claim ran out, must replay the first answer — before the answer was kept in the write's own
/// transaction it ran the create again and answered 409 (the lab saw it 0–1 times a run).
/// </summary>
public sealed class IdempotencyCrashTests
{
    private const string SiteJson = """{"id":"branch-1","name":"Branch 1"}""";
    private const string UserJson = """{"username":"carol","role":"viewer","password":"Tangerine-Orbit-7-Lantern"}""";

    [Fact]
    public async Task Post_NodeDiesBetweenWriteAndAnswer_RetryAfterClaimRunsOutReplaysTheFirstAnswer()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var temp = await TempSqliteStore.CreateAsync(time);
        var store = temp.Store;

        var first = await SendAsync(new IdempotencyMiddleware(CreateSite(store), new DiesBeforeSettling(store), time, NullLogger<IdempotencyMiddleware>.Instance));
        Assert.Equal(StatusCodes.Status201Created, first.Status);

        time.Advance(IdempotencyMiddleware.ClaimTimeout * 2);
        var retry = await SendAsync(new IdempotencyMiddleware(CreateSite(store), store, time, NullLogger<IdempotencyMiddleware>.Instance));

        Assert.Equal(StatusCodes.Status201Created, retry.Status); // 409 "already exists" before
        Assert.Equal("true", retry.Replayed);
        Assert.Equal(first.Location, retry.Location);
        Assert.Equal(first.Body, retry.Body);
        Assert.Single((await store.LoadTopologyAsync()).Sites, s => s.Id == "branch-1");
    }

    [Fact]
    public async Task PostUser_NodeDiesBetweenWriteAndAnswer_RetryAfterClaimRunsOutReplaysTheFirstAnswer()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var temp = await TempSqliteStore.CreateAsync(time);
        var store = temp.Store;
        RequestDelegate createUser = async context =>
            await (await UserEndpoints.CreateAsync(context, new UserAccounts(store, time), context.RequestAborted)).ExecuteAsync(context);

        var first = await SendAsync(new IdempotencyMiddleware(createUser, new DiesBeforeSettling(store), time, NullLogger<IdempotencyMiddleware>.Instance),
            "/api/v1/users", UserJson);
        Assert.Equal(StatusCodes.Status201Created, first.Status);

        time.Advance(IdempotencyMiddleware.ClaimTimeout * 2);
        var retry = await SendAsync(new IdempotencyMiddleware(createUser, store, time, NullLogger<IdempotencyMiddleware>.Instance), "/api/v1/users", UserJson);

        // Before user writes kept their answer in their own transaction: 409 "a user named 'carol' already exists".
        Assert.Equal(StatusCodes.Status201Created, retry.Status);
        Assert.Equal("true", retry.Replayed);
        Assert.Equal(("/api/v1/users/carol", first.Body), (retry.Location, retry.Body));
        Assert.Contains("\"role\":\"viewer\"", first.Body, StringComparison.Ordinal);
        Assert.Single(await store.ListUsersAsync(), u => u.Username == "carol");
    }

    /// <summary>The real REST write (<see cref="Writes.RunAsync"/>) of a site straight into <paramref name="store"/>.</summary>
    private static RequestDelegate CreateSite(SqlStore store) => async context =>
    {
        var result = await Writes.RunAsync<Site>(context.Request, async body =>
        {
            var site = new Site(body["id"]!.GetValue<string>(), body["name"]!.GetValue<string>(), null, ItemSource.Api);
            var written = await store.InsertSiteAsync(site);
            return written.Succeeded ? site : CommandError.Conflict("Already exists", written.Message ?? "");
        }, SiteDto.From, s => $"sites/{s.Id}", context.RequestAborted);
        await result.ExecuteAsync(context);
    };

    private static Task<(int Status, string? Location, string? Replayed, string Body)> SendAsync(IdempotencyMiddleware middleware) =>
        SendAsync(middleware, "/api/v1/sites", SiteJson);

    private static async Task<(int Status, string? Location, string? Replayed, string Body)> SendAsync(IdempotencyMiddleware middleware, string path, string json)
    {
        var services = new ServiceCollection().AddLogging().AddProblemDetails();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = ApiJson.Options.PropertyNamingPolicy);
        await using var provider = services.BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = provider };
        context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "admin")], "test"));
        context.Request.Method = "POST";
        context.Request.Path = path;
        context.Request.ContentType = "application/json";
        context.Request.Headers[IdempotencyMiddleware.HeaderName] = "create-branch-1";
        var bytes = Encoding.UTF8.GetBytes(json);
        context.Request.Body = new MemoryStream(bytes);
        context.Request.ContentLength = bytes.Length;
        using var response = new MemoryStream();
        context.Response.Body = response;

        await middleware.InvokeAsync(context);

        return (context.Response.StatusCode, context.Response.Headers.Location.FirstOrDefault(),
            context.Response.Headers[IdempotencyMiddleware.ReplayedHeader].FirstOrDefault(), Encoding.UTF8.GetString(response.ToArray()));
    }

    /// <summary>The store as a node killed after its write sees it: the key is claimed, but settling it never happens.</summary>
    private sealed class DiesBeforeSettling(IIdempotencyStore store) : IIdempotencyStore
    {
        public Task<IdempotencyClaim> ClaimIdempotencyKeyAsync(IdempotencyKey key, string fingerprint, DateTimeOffset claimUntil, DateTimeOffset expiresAt,
            CancellationToken cancellationToken = default) => store.ClaimIdempotencyKeyAsync(key, fingerprint, claimUntil, expiresAt, cancellationToken);

        public Task<bool> CompleteIdempotencyKeyAsync(IdempotencyKey key, string fingerprint, StoredResponse response, DateTimeOffset expiresAt,
            CancellationToken cancellationToken = default) => throw new TimeoutException("the node died before its answer was stored");

        public Task ReleaseIdempotencyKeyAsync(IdempotencyKey key, string fingerprint, CancellationToken cancellationToken = default) =>
            throw new TimeoutException("the node died");

        public Task<long> DeleteIdempotencyKeysBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default) =>
            store.DeleteIdempotencyKeysBeforeAsync(cutoff, cancellationToken);
    }
}
