using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.Security;

/// <summary>
/// The browser's session mode of the auth API: the refresh token in an HttpOnly, SameSite=Strict
/// cookie scoped to the auth routes, never in a body; refresh rotates it, logout revokes it.
/// </summary>
public sealed class BrowserSessionTests
{
    private const string Cookie = "patronus_refresh";

    /// <summary>A client that keeps no cookies by itself: the tests send and read them by hand.</summary>
    private static HttpClient Bare(RunningServer server) =>
        new(new HttpClientHandler { UseCookies = false }) { BaseAddress = server.Client.BaseAddress };

    private static string SetCookie(HttpResponseMessage response) =>
        Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(Cookie + "=", StringComparison.Ordinal));

    private static string Value(string setCookie) => setCookie[(Cookie.Length + 1)..setCookie.IndexOf(';', StringComparison.Ordinal)];

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string url, object body, string? cookie = null, string? access = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body) };
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", $"{Cookie}={cookie}");
        }

        if (access is not null)
        {
            request.Headers.Authorization = new("Bearer", access);
        }

        return await client.SendAsync(request);
    }

    private static async Task<(string Access, string Cookie)> LoginAsync(HttpClient client)
    {
        using var response = await PostAsync(client, "/api/v1/auth/login", new { username = RunningServer.AdminName, password = RunningServer.Password, cookie = true });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (body.GetProperty("access_token").GetString()!, Value(SetCookie(response)));
    }

    [Fact]
    public async Task Login_CookieMode_RefreshTokenOnlyInAStrictHttpOnlyCookieOnTheAuthPath()
    {
        await using var server = await RunningServer.StartAsync();
        using var client = Bare(server);

        using var response = await PostAsync(client, "/api/v1/auth/login", new { username = RunningServer.AdminName, password = RunningServer.Password, cookie = true });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(body.TryGetProperty("refresh_token", out _));
        Assert.Equal(900, body.GetProperty("expires_in").GetInt32());
        var setCookie = SetCookie(response).ToLowerInvariant();
        Assert.Contains("; path=/api/v1/auth", setCookie, StringComparison.Ordinal);
        Assert.Contains("; httponly", setCookie, StringComparison.Ordinal);
        Assert.Contains("; samesite=strict", setCookie, StringComparison.Ordinal);
        Assert.Contains("; max-age=604800", setCookie, StringComparison.Ordinal);
        Assert.DoesNotContain("; secure", setCookie, StringComparison.Ordinal); // plain http on loopback: a Secure cookie would not come back
        using var api = server.NewClient(body.GetProperty("access_token").GetString());
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/sites/")).StatusCode);
    }

    [Fact]
    public async Task Login_JsonMode_Unchanged_NoCookie()
    {
        await using var server = await RunningServer.StartAsync();
        using var client = Bare(server);

        using var response = await PostAsync(client, "/api/v1/auth/login", new { username = RunningServer.AdminName, password = RunningServer.Password });

        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).TryGetProperty("refresh_token", out _));
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task Refresh_CookieMode_RotatesTheCookie_OldOneRefused()
    {
        await using var server = await RunningServer.StartAsync();
        using var client = Bare(server);
        var (_, first) = await LoginAsync(client);

        using var refreshed = await PostAsync(client, "/api/v1/auth/refresh", new { }, first);
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        var body = await refreshed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(body.TryGetProperty("refresh_token", out _));
        var second = Value(SetCookie(refreshed));
        Assert.NotEqual(first, second);
        using var api = server.NewClient(body.GetProperty("access_token").GetString());
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/auth/me")).StatusCode);

        // The consumed cookie is reuse: refused, the cookie cleared, and the whole session ended.
        using var reused = await PostAsync(client, "/api/v1/auth/refresh", new { }, first);
        Assert.Equal(HttpStatusCode.Unauthorized, reused.StatusCode);
        Assert.Contains("expires=thu, 01 jan 1970", SetCookie(reused).ToLowerInvariant(), StringComparison.Ordinal);
        using var afterReuse = await PostAsync(client, "/api/v1/auth/refresh", new { }, second);
        Assert.Equal(HttpStatusCode.Unauthorized, afterReuse.StatusCode);
    }

    [Fact]
    public async Task Refresh_NoCookieNoBody_400NamesTheField()
    {
        await using var server = await RunningServer.StartAsync();
        using var client = Bare(server);

        using var response = await PostAsync(client, "/api/v1/auth/refresh", new { });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("refresh_token", out _));
    }

    [Fact]
    public async Task Logout_CookieMode_RevokesTheSessionAndClearsTheCookie()
    {
        await using var server = await RunningServer.StartAsync();
        using var client = Bare(server);
        var (access, cookie) = await LoginAsync(client);

        using var logout = await PostAsync(client, "/api/v1/auth/logout", new { }, cookie, access);
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        Assert.Contains("expires=thu, 01 jan 1970", SetCookie(logout).ToLowerInvariant(), StringComparison.Ordinal);

        using var refresh = await PostAsync(client, "/api/v1/auth/refresh", new { }, cookie);
        Assert.Equal(HttpStatusCode.Unauthorized, refresh.StatusCode);
    }
}
