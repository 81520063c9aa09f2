using System.Net;
using System.Text;
using Patronus.Persistence.Security;
using Patronus.Server.Api;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.Api;

/// <summary>Safe retries of REST writes with <c>Idempotency-Key</c> (<see cref="IdempotencyMiddleware"/>, docs/ha.md).</summary>
public sealed class IdempotencyApiTests
{
    private static HttpRequestMessage Post(string url, string json, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.Add(IdempotencyMiddleware.HeaderName, key);
        }

        return request;
    }

    private static async Task<int> SiteCountAsync(RunningServer server, string id)
    {
        var sites = await server.GetJsonAsync("/api/v1/sites");
        return sites.EnumerateArray().Count(s => s.GetProperty("id").GetString() == id);
    }

    [Fact]
    public async Task Post_SameKeyTwice_SecondReplaysFirstCreatedWithoutRunningAgain()
    {
        await using var server = await RunningServer.StartAsync();
        const string site = """{"id":"branch-1","name":"Branch 1"}""";

        using var first = await server.Client.SendAsync(Post("/api/v1/sites", site, "create-branch-1"));
        using var second = await server.Client.SendAsync(Post("/api/v1/sites", site, "create-branch-1"));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode); // without the key: 409, the site exists
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        Assert.Equal(first.Content.Headers.ContentType, second.Content.Headers.ContentType);
        var body = await first.Content.ReadAsByteArrayAsync();
        Assert.Equal(body, await second.Content.ReadAsByteArrayAsync());
        // Sent with its length, whole when written — not chunked and ended only after the audit ran.
        Assert.NotEqual(true, first.Headers.TransferEncodingChunked);
        Assert.NotEqual(true, second.Headers.TransferEncodingChunked);
        Assert.False(first.Headers.Contains(IdempotencyMiddleware.ReplayedHeader));
        Assert.Equal(["true"], second.Headers.GetValues(IdempotencyMiddleware.ReplayedHeader));
        Assert.Equal(1, await SiteCountAsync(server, "branch-1"));

        using var again = await server.Client.SendAsync(Post("/api/v1/sites", site, null));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task PostAndDelete_Keyed_AnswerKeptWithTheWriteIsTheItemsViewAndDeleteReplays204()
    {
        await using var server = await RunningServer.StartAsync();
        using var created = await server.Client.SendAsync(Post("/api/v1/sites", """{"id":"branch-1","name":"Branch 1"}""", "c"));

        // The answer is made before the commit, from the item as written: the same bytes as the view a GET shows.
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/api/v1/sites/branch-1", created.Headers.Location?.OriginalString);
        using var view = await server.Client.GetAsync("/api/v1/sites/branch-1");
        Assert.Equal(await view.Content.ReadAsStringAsync(), await created.Content.ReadAsStringAsync());
        Assert.Equal(view.Content.Headers.ContentType, created.Content.Headers.ContentType);

        using var delete = new HttpRequestMessage(HttpMethod.Delete, "/api/v1/sites/branch-1");
        delete.Headers.Add(IdempotencyMiddleware.HeaderName, "d");
        using var deleted = await server.Client.SendAsync(delete);
        using var again = new HttpRequestMessage(HttpMethod.Delete, "/api/v1/sites/branch-1");
        again.Headers.Add(IdempotencyMiddleware.HeaderName, "d");
        using var replayed = await server.Client.SendAsync(again);

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, replayed.StatusCode); // without the key: 404
        Assert.True(replayed.Headers.Contains(IdempotencyMiddleware.ReplayedHeader));
    }

    [Fact]
    public async Task Post_SameKeyOtherBody_422NamingTheKeyAndNothingCreated()
    {
        await using var server = await RunningServer.StartAsync();
        using var first = await server.Client.SendAsync(Post("/api/v1/sites", """{"id":"branch-1"}""", "k"));

        using var other = await server.Client.SendAsync(Post("/api/v1/sites", """{"id":"branch-2"}""", "k"));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
        var problem = await other.Content.ReadAsStringAsync();
        Assert.Contains("Idempotency-Key reused", problem, StringComparison.Ordinal);
        Assert.Contains("'k'", problem, StringComparison.Ordinal);
        Assert.Equal(0, await SiteCountAsync(server, "branch-2"));
    }

    [Fact]
    public async Task Post_SameKeyOtherUser_RunsForEach()
    {
        await using var server = await RunningServer.StartAsync();
        var operatorClient = await server.ClientAsAsync("ops", UserRole.Operator);

        using var admin = await server.Client.SendAsync(Post("/api/v1/sites", """{"id":"branch-1"}""", "k"));
        using var ops = await operatorClient.SendAsync(Post("/api/v1/sites", """{"id":"branch-2"}""", "k"));

        Assert.Equal(HttpStatusCode.Created, admin.StatusCode);
        Assert.Equal(HttpStatusCode.Created, ops.StatusCode);
        Assert.Equal(1, await SiteCountAsync(server, "branch-2"));
    }

    [Fact]
    public async Task Post_ConcurrentDuplicates_OneRunsOtherWaitsAndReplays()
    {
        await using var server = await RunningServer.StartAsync();
        const string site = """{"id":"branch-1"}""";

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => server.Client.SendAsync(Post("/api/v1/sites", site, "same"))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Single(responses, r => !r.Headers.Contains(IdempotencyMiddleware.ReplayedHeader));
        Assert.Equal(1, await SiteCountAsync(server, "branch-1"));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task Post_RefusedRequest_ResultReplayedToo()
    {
        await using var server = await RunningServer.StartAsync();
        using var invalid = await server.Client.SendAsync(Post("/api/v1/sites", """{"name":"no id"}""", "bad"));
        using var replay = await server.Client.SendAsync(Post("/api/v1/sites", """{"name":"no id"}""", "bad"));

        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.True(replay.Headers.Contains(IdempotencyMiddleware.ReplayedHeader));
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    public async Task Post_InvalidKey_400(string key)
    {
        await using var server = await RunningServer.StartAsync();
        using var request = Post("/api/v1/sites", """{"id":"branch-1"}""", null);
        request.Headers.TryAddWithoutValidation(IdempotencyMiddleware.HeaderName, key);

        using var response = await server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, await SiteCountAsync(server, "branch-1"));
    }
}
