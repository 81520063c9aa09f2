using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Patronus.Server.Security;
using Patronus.Server.Tests.TestSupport;
using Patronus.TestSupport;

namespace Patronus.Server.Tests.Security;

/// <summary>First run: serve logs a one-time setup URL while no user exists; the page's POST creates the first admin once.</summary>
public sealed partial class FirstRunSetupTests
{
    private static async Task<(RunningServer Server, string Url)> StartWithoutUsersAsync(FakeLoggerProvider logs)
    {
        var server = await RunningServer.StartAsync(createAdmin: false, logging: l => l.AddProvider(logs));
        string? url = null;
        await Poll.AssertAsync(() => Task.FromResult((url = SetupUrl(logs)) is not null), TimeSpan.FromSeconds(10), "the setup URL is logged");
        return (server, url!);
    }

    private static string? SetupUrl(FakeLoggerProvider logs) =>
        logs.Collector.GetSnapshot().Select(r => UrlPattern().Match(r.Message)).FirstOrDefault(m => m.Success)?.Value;

    private static string Token(string url) => url[(url.IndexOf("#token=", StringComparison.Ordinal) + 7)..];

    private static Task<HttpResponseMessage> SetupAsync(RunningServer server, string token, string password = RunningServer.Password) =>
        server.Anonymous.PostAsJsonAsync("/api/v1/auth/setup", new { token, username = "root-admin", password });

    [Fact]
    public async Task Serve_NoUsers_LogsALoopbackSetupUrlWithARandomToken()
    {
        using var logs = new FakeLoggerProvider();
        var (server, url) = await StartWithoutUsersAsync(logs);
        await using var running = server;

        Assert.Equal($"{server.Client.BaseAddress!.GetLeftPart(UriPartial.Authority)}/setup", url[..url.IndexOf('#', StringComparison.Ordinal)]);
        Assert.Equal(43, Token(url).Length); // 32 random bytes, base64url
        Assert.True((await server.Anonymous.GetFromJsonAsync<JsonElement>("/api/v1/auth/setup")).GetProperty("setup_required").GetBoolean());
    }

    [Fact]
    public async Task Setup_WithTheLoggedToken_CreatesTheAdminOnce()
    {
        using var logs = new FakeLoggerProvider();
        var (server, url) = await StartWithoutUsersAsync(logs);
        await using var running = server;

        using var created = await SetupAsync(server, Token(url));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await server.LoginAsync("root-admin", RunningServer.Password);
        var me = await server.NewClient((await server.LoginAsync("root-admin", RunningServer.Password)).GetProperty("access_token").GetString())
            .GetFromJsonAsync<JsonElement>("/api/v1/auth/me");
        Assert.Equal("admin", me.GetProperty("role").GetString());

        using var again = await SetupAsync(server, Token(url));
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
        Assert.False((await server.Anonymous.GetFromJsonAsync<JsonElement>("/api/v1/auth/setup")).GetProperty("setup_required").GetBoolean());
    }

    [Fact]
    public async Task SetupRequired_AdminCreatedByTheCliMeanwhile_FalseAndTokenEnded()
    {
        using var logs = new FakeLoggerProvider();
        var (server, url) = await StartWithoutUsersAsync(logs);
        await using var running = server;

        await server.Services.GetRequiredService<UserAccounts>().AddAsync("cli-admin", Patronus.Persistence.Security.UserRole.Admin, RunningServer.Password, CancellationToken.None);

        Assert.False((await server.Anonymous.GetFromJsonAsync<JsonElement>("/api/v1/auth/setup")).GetProperty("setup_required").GetBoolean());
        using var late = await SetupAsync(server, Token(url));
        Assert.Equal(HttpStatusCode.Unauthorized, late.StatusCode);
    }

    [Fact]
    public async Task Setup_WrongToken_401AndNoUser()
    {
        using var logs = new FakeLoggerProvider();
        var (server, url) = await StartWithoutUsersAsync(logs);
        await using var running = server;

        using var wrong = await SetupAsync(server, Token(url)[..^1] + (Token(url)[^1] == 'A' ? 'B' : 'A'));

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.True((await server.Anonymous.GetFromJsonAsync<JsonElement>("/api/v1/auth/setup")).GetProperty("setup_required").GetBoolean());
    }

    [Fact]
    public async Task Setup_WeakPassword_400OnThePasswordField_TokenStillValid()
    {
        using var logs = new FakeLoggerProvider();
        var (server, url) = await StartWithoutUsersAsync(logs);
        await using var running = server;

        using var weak = await SetupAsync(server, Token(url), "short");
        Assert.Equal(HttpStatusCode.BadRequest, weak.StatusCode);
        Assert.True((await weak.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("password", out _));

        using var created = await SetupAsync(server, Token(url));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }

    [Fact]
    public void Matches_AfterAnHour_False()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 5, 3, 0, 0, TimeSpan.Zero));
        using var setup = new SetupToken(clock);
        var token = setup.Issue();
        Assert.True(setup.Matches(token));

        clock.Advance(SetupToken.Lifetime - TimeSpan.FromSeconds(1));
        Assert.True(setup.Matches(token));
        Assert.True(setup.Pending);

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(setup.Matches(token));
        Assert.False(setup.Pending);
    }

    [Fact]
    public void Issue_NewToken_EndsTheEarlierOne()
    {
        using var setup = new SetupToken(TimeProvider.System);
        var first = setup.Issue();
        var second = setup.Issue();

        Assert.NotEqual(first, second);
        Assert.False(setup.Matches(first));
        Assert.True(setup.Matches(second));
    }

    [Theory]
    [InlineData("http://0.0.0.0:8080", "http://127.0.0.1:8080")]
    [InlineData("http://[::]:9090", "http://127.0.0.1:9090")]
    [InlineData("http://+:8080", "http://127.0.0.1:8080")]
    [InlineData("http://127.0.0.1:41234", "http://127.0.0.1:41234")]
    [InlineData("https://10.240.0.1:8443", "https://10.240.0.1:8443")]
    public void BaseUrl_WildcardHost_Loopback(string address, string expected) =>
        Assert.Equal(expected, FirstRunSetup.BaseUrl([address]));

    [GeneratedRegex(@"http://127\.0\.0\.1:\d+/setup#token=[A-Za-z0-9_-]+")]
    private static partial Regex UrlPattern();
}
