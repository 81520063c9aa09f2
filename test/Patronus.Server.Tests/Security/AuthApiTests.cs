using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Patronus.Persistence.Security;
using Patronus.Server.Security;
using Patronus.Server.Tests.TestSupport;
using Patronus.TestSupport;

namespace Patronus.Server.Tests.Security;

/// <summary>Login, refresh, logout and token validation through a real server.</summary>
public sealed class AuthApiTests
{
    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string url, object body) =>
        await client.PostAsJsonAsync(url, body);

    private static async Task<double> FailuresAsync(RunningServer server, string reason)
    {
        var (samples, _) = PrometheusText.Parse(await server.Anonymous.GetStringAsync("/metrics"));
        return samples.SingleOrDefault(s => s.Name == "patronus_auth_failures_total" && s.Label("reason") == reason)?.Value ?? 0;
    }

    private static async Task<HttpStatusCode> GetStatusAsync(RunningServer server, string? token, string url = "/api/v1/sites/")
    {
        using var response = await server.NewClient(token).GetAsync(url);
        return response.StatusCode;
    }

    [Fact]
    public async Task Login_ReturnsBearerPair_AccessTokenWorks()
    {
        await using var server = await RunningServer.StartAsync();
        var tokens = await server.LoginAsync(RunningServer.AdminName, RunningServer.Password);

        Assert.Equal("Bearer", tokens.GetProperty("token_type").GetString());
        Assert.Equal(900, tokens.GetProperty("expires_in").GetInt32());
        Assert.Equal(HttpStatusCode.OK, await GetStatusAsync(server, tokens.GetProperty("access_token").GetString()));
        var me = await server.GetJsonAsync("/api/v1/auth/me");
        Assert.Equal(("admin", "admin"), (me.GetProperty("username").GetString(), me.GetProperty("role").GetString()));
    }

    /// <summary>What an access token carries on the wire (docs/security.md): the names clients and other instances read.</summary>
    [Fact]
    public async Task Login_AccessToken_CarriesTheDocumentedClaims()
    {
        await using var server = await RunningServer.StartAsync();
        var tokens = await server.LoginAsync(RunningServer.AdminName, RunningServer.Password);
        var token = new JsonWebToken(tokens.GetProperty("access_token").GetString());

        Assert.Equal("at+jwt", token.Typ);
        Assert.Equal(
            ["aud", "exp", "iat", "iss", "jti", "nbf", "role", "sub", "token_use", "ver"],
            token.Claims.Select(c => c.Type).Order(StringComparer.Ordinal));
        Assert.Equal(("admin", "admin", "1", "access"),
            (token.GetClaim("sub").Value, token.GetClaim("role").Value, token.GetClaim("ver").Value, token.GetClaim("token_use").Value));
        Assert.Equal(("patronus", "patronus-api"), (token.Issuer, token.Audiences.Single()));
    }

    [Fact]
    public async Task Login_WrongPasswordOrUnknownUser_401CountedAndAudited()
    {
        await using var server = await RunningServer.StartAsync();
        using var wrong = await PostAsync(server.Anonymous, "/api/v1/auth/login", new { username = "admin", password = "Wrong-Passw0rd-xx" });
        using var unknown = await PostAsync(server.Anonymous, "/api/v1/auth/login", new { username = "nobody", password = "Wrong-Passw0rd-xx" });

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal((await wrong.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(),
            (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()); // tells nothing about which names exist
        Assert.Equal(2, await FailuresAsync(server, "login_failed"));
        // The first refusal from an address gets its row; the next ones in that minute are summarised (AuditLogTests).
        var audit = await server.GetJsonAsync("/api/v1/audit?limit=10");
        Assert.Contains(audit.GetProperty("entries").EnumerateArray(), e =>
            e.GetProperty("action").GetString() == "login" && e.GetProperty("username").GetString() == "admin" &&
            e.GetProperty("result").GetString() == "denied" && e.GetProperty("client_address").GetString() == "127.0.0.1");
    }

    [Fact]
    public async Task Login_RepeatedFailuresFromOneAddress_429WithRetryAfterEvenForRightPassword()
    {
        await using var server = await RunningServer.StartAsync(environment: new() { ["PATRONUS__AUTH__LOGINFAILURESPERUSER"] = "2", ["PATRONUS__AUTH__LOGINBACKOFF"] = "00:00:30" });
        for (var i = 0; i < 2; i++)
        {
            using var failed = await PostAsync(server.Anonymous, "/api/v1/auth/login", new { username = "admin", password = "Wrong-Passw0rd-xx" });
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        using var limited = await PostAsync(server.Anonymous, "/api/v1/auth/login", new { username = "admin", password = RunningServer.Password });

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.InRange(limited.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 30);
        Assert.Equal(1, await FailuresAsync(server, "rate_limited"));
    }

    [Fact]
    public async Task Refresh_Rotates_ReuseOfConsumedTokenRevokesWholeFamily()
    {
        await using var server = await RunningServer.StartAsync();
        var first = await server.LoginAsync(RunningServer.AdminName, RunningServer.Password);
        var r1 = first.GetProperty("refresh_token").GetString();

        using var rotated = await PostAsync(server.Anonymous, "/api/v1/auth/refresh", new { refresh_token = r1 });
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var second = await rotated.Content.ReadFromJsonAsync<JsonElement>();
        var r2 = second.GetProperty("refresh_token").GetString();
        Assert.NotEqual(r1, r2);
        Assert.Equal(HttpStatusCode.OK, await GetStatusAsync(server, second.GetProperty("access_token").GetString()));

        using var reuse = await PostAsync(server.Anonymous, "/api/v1/auth/refresh", new { refresh_token = r1 });
        Assert.Equal(HttpStatusCode.Unauthorized, reuse.StatusCode);
        using var afterReuse = await PostAsync(server.Anonymous, "/api/v1/auth/refresh", new { refresh_token = r2 });
        Assert.Equal(HttpStatusCode.Unauthorized, afterReuse.StatusCode);
        Assert.Equal(2, await FailuresAsync(server, "revoked_token"));
        var audit = await server.GetJsonAsync("/api/v1/audit");
        Assert.Contains(audit.GetProperty("entries").EnumerateArray(), e => e.GetProperty("action").GetString() == "refresh_reuse");
    }

    [Fact]
    public async Task Refresh_LoopingClient_429AfterBudgetAndItsSessionRevoked()
    {
        await using var server = await RunningServer.StartAsync();
        var refresh = (await server.LoginAsync(RunningServer.AdminName, RunningServer.Password)).GetProperty("refresh_token").GetString();
        HttpResponseMessage? response = null;
        var refreshes = 0;
        for (; refreshes < 100; refreshes++)
        {
            response?.Dispose();
            response = await PostAsync(server.Anonymous, "/api/v1/auth/refresh", new { refresh_token = refresh });
            if (response.StatusCode != HttpStatusCode.OK)
            {
                break;
            }

            refresh = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("refresh_token").GetString();
        }

        using (response)
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, response!.StatusCode);
            Assert.NotNull(response.Headers.RetryAfter);
        }

        Assert.InRange(refreshes, 1, TokenIssueBudget.Burst); // two logins (start-up, above) took from the same budget
        using var after = await PostAsync(server.Anonymous, "/api/v1/auth/refresh", new { refresh_token = refresh });
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task Logout_RevokesRefreshToken()
    {
        await using var server = await RunningServer.StartAsync();
        var tokens = await server.LoginAsync(RunningServer.AdminName, RunningServer.Password);
        var refresh = tokens.GetProperty("refresh_token").GetString();

        using var logout = await PostAsync(server.NewClient(tokens.GetProperty("access_token").GetString()), "/api/v1/auth/logout", new { refresh_token = refresh });
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        using var again = await PostAsync(server.Anonymous, "/api/v1/auth/refresh", new { refresh_token = refresh });
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
    }

    [Fact]
    public async Task Logout_AnotherUsersRefreshToken_404AndTheirSessionLives()
    {
        await using var server = await RunningServer.StartAsync();
        var victim = (await server.LoginAsync(RunningServer.AdminName, RunningServer.Password)).GetProperty("refresh_token").GetString();
        var mallory = server.NewClient(await server.CreateUserAndLoginAsync("mallory", UserRole.Viewer));

        using var logout = await PostAsync(mallory, "/api/v1/auth/logout", new { refresh_token = victim });

        Assert.Equal(HttpStatusCode.NotFound, logout.StatusCode); // the same answer as for a token that does not exist
        using var refresh = await PostAsync(server.Anonymous, "/api/v1/auth/refresh", new { refresh_token = victim });
        Assert.Equal(HttpStatusCode.OK, refresh.StatusCode);
    }

    [Fact]
    public async Task RefreshToken_AsAccessToken_401InvalidToken()
    {
        await using var server = await RunningServer.StartAsync();
        var tokens = await server.LoginAsync(RunningServer.AdminName, RunningServer.Password);

        Assert.Equal(HttpStatusCode.Unauthorized, await GetStatusAsync(server, tokens.GetProperty("refresh_token").GetString()));
        Assert.Equal(HttpStatusCode.Unauthorized, await GetStatusAsync(server, null));
        Assert.Equal(1, await FailuresAsync(server, "invalid_token"));
        Assert.Equal(1, await FailuresAsync(server, "missing_token"));
    }

    [Fact]
    public async Task ForgedTokens_ExpiredWrongTypeWrongKeyWrongUse_AllRefused()
    {
        await using var server = await RunningServer.StartAsync();
        var key = await server.Services.GetRequiredService<SigningKeys>().GetAsync(CancellationToken.None);
        var now = DateTime.UtcNow;

        string Token(DateTime expires, string type = TokenIssuer.AccessTokenType, SecurityKey? signWith = null, string use = "access") =>
            new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
            {
                Issuer = TokenIssuer.Issuer,
                Audience = TokenIssuer.Audience,
                TokenType = type,
                IssuedAt = expires.AddMinutes(-15),
                NotBefore = expires.AddMinutes(-15),
                Expires = expires,
                SigningCredentials = new SigningCredentials(signWith ?? key, SecurityAlgorithms.HmacSha256),
                Subject = new ClaimsIdentity([new("sub", "admin"), new("role", "admin"), new("ver", "1", ClaimValueTypes.Integer64), new("token_use", use)]),
            });

        Assert.Equal(HttpStatusCode.OK, await GetStatusAsync(server, Token(now.AddMinutes(5))));
        Assert.Equal(HttpStatusCode.Unauthorized, await GetStatusAsync(server, Token(now.AddMinutes(-1))));
        Assert.Equal(HttpStatusCode.Unauthorized, await GetStatusAsync(server, Token(now.AddMinutes(5), type: "JWT")));
        Assert.Equal(HttpStatusCode.Unauthorized, await GetStatusAsync(server, Token(now.AddMinutes(5), use: "refresh")));
        Assert.Equal(HttpStatusCode.Unauthorized, await GetStatusAsync(server, Token(now.AddMinutes(5), signWith: new SymmetricSecurityKey(new byte[64]))));
        Assert.Equal(1, await FailuresAsync(server, "expired_token"));
        Assert.Equal(3, await FailuresAsync(server, "invalid_token"));
    }

    [Theory]
    [InlineData("""{"password":"Another-Passw0rd-1"}""")]
    [InlineData("""{"disabled":true}""")]
    [InlineData("""{"role":"viewer"}""")]
    public async Task UserChange_EndsAccessAndRefreshTokensAtOnce(string change)
    {
        await using var server = await RunningServer.StartAsync();
        await server.CreateUserAndLoginAsync("olga", UserRole.Operator);
        var tokens = await server.LoginAsync("olga", RunningServer.Password);
        var access = tokens.GetProperty("access_token").GetString();
        Assert.Equal(HttpStatusCode.OK, await GetStatusAsync(server, access));

        using var put = await server.PutJsonAsync("/api/v1/users/olga", change);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, await GetStatusAsync(server, access));
        using var refresh = await PostAsync(server.Anonymous, "/api/v1/auth/refresh", new { refresh_token = tokens.GetProperty("refresh_token").GetString() });
        Assert.Equal(HttpStatusCode.Unauthorized, refresh.StatusCode);
        Assert.True(await FailuresAsync(server, "revoked_token") >= 2);
    }

    [Fact]
    public async Task OpenApi_NeedsTokenAndDescribesApiWithBearerScheme()
    {
        await using var server = await RunningServer.StartAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, await GetStatusAsync(server, null, "/openapi/v1.json"));

        var doc = await server.GetJsonAsync("/openapi/v1.json");

        Assert.True(doc.GetProperty("paths").TryGetProperty("/api/v1/auth/login", out _));
        Assert.True(doc.GetProperty("paths").TryGetProperty("/api/v1/failover/policies", out _));
        Assert.Equal("bearer", doc.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer").GetProperty("scheme").GetString());
    }
}
