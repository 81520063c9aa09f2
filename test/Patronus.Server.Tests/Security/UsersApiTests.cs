using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Patronus.Persistence.Security;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.Security;

/// <summary>User management and the audit log over REST (admin).</summary>
public sealed class UsersApiTests
{
    [Fact]
    public async Task CreateUser_ThenListAndLogin()
    {
        await using var server = await RunningServer.StartAsync();
        using var created = await server.PostJsonAsync("/api/v1/users", """{"username":"vic","role":"viewer","password":"Viewer-Passw0rd-1"}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var users = await server.GetJsonAsync("/api/v1/users");
        Assert.Contains(users.GetProperty("users").EnumerateArray(), u => u.GetProperty("username").GetString() == "vic" && u.GetProperty("role").GetString() == "viewer");
        Assert.DoesNotContain("password", users.ToString(), StringComparison.OrdinalIgnoreCase);
        await server.LoginAsync("vic", "Viewer-Passw0rd-1");

        using var duplicate = await server.PostJsonAsync("/api/v1/users", """{"username":"vic","role":"viewer","password":"Viewer-Passw0rd-1"}""");
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
    }

    [Theory]
    [InlineData("""{"username":"weak","role":"viewer","password":"short"}""", "at least 12 characters")]
    [InlineData("""{"username":"weak","role":"viewer","password":"weak-and-WEAK-again"}""", "must not contain the username")]
    [InlineData("""{"username":"weak","role":"root","password":"Viewer-Passw0rd-1"}""", "admin, operator or viewer")]
    [InlineData("""{"username":"bad name","role":"viewer","password":"Viewer-Passw0rd-1"}""", "a username is")]
    public async Task CreateUser_Invalid_400NamingTheRule(string body, string rule)
    {
        await using var server = await RunningServer.StartAsync();
        using var response = await server.PostJsonAsync("/api/v1/users", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(rule, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LastAdmin_CannotBeDisabledOrDemoted()
    {
        await using var server = await RunningServer.StartAsync();
        using var disable = await server.PutJsonAsync("/api/v1/users/admin", """{"disabled":true}""");
        using var demote = await server.PutJsonAsync("/api/v1/users/admin", """{"role":"operator"}""");
        Assert.Equal(HttpStatusCode.Conflict, disable.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, demote.StatusCode);
        using var missing = await server.PutJsonAsync("/api/v1/users/nobody", """{"disabled":true}""");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Audit_RecordsEveryWriteWithWhoWhatWhereResult()
    {
        await using var server = await RunningServer.StartAsync();
        var op = await server.ClientAsAsync("oscar", UserRole.Operator);
        var viewer = await server.ClientAsAsync("vera", UserRole.Viewer);
        using var created = await op.PostAsJsonAsync("/api/v1/sites/", new { id = "hq", name = "HQ" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var denied = await viewer.DeleteAsync("/api/v1/sites/hq");
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        using var anonymous = await server.Anonymous.DeleteAsync("/api/v1/sites/hq");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        var entries = (await server.GetJsonAsync("/api/v1/audit?limit=50")).GetProperty("entries").EnumerateArray().ToList();
        Assert.Contains(entries, e => Is(e, "oscar", "POST /api/v1/sites/", "success", 201));
        Assert.Contains(entries, e => Is(e, "vera", "DELETE /api/v1/sites/{id}", "denied", 403) && e.GetProperty("target").GetString() == "/api/v1/sites/hq");
        Assert.Contains(entries, e => e.GetProperty("username").ValueKind == JsonValueKind.Null && e.GetProperty("status_code").GetInt32() == 401);
        Assert.All(entries, e => Assert.Equal("127.0.0.1", e.GetProperty("client_address").GetString()));
        Assert.DoesNotContain(entries, e => e.GetProperty("action").GetString()!.StartsWith("GET", StringComparison.Ordinal));

        var since = DateTimeOffset.UtcNow.AddMinutes(1).ToString("O");
        Assert.Empty((await server.GetJsonAsync($"/api/v1/audit?since={Uri.EscapeDataString(since)}")).GetProperty("entries").EnumerateArray());
        using var badLimit = await server.Client.GetAsync("/api/v1/audit?limit=0");
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
    }

    private static bool Is(JsonElement e, string user, string action, string result, int status) =>
        e.GetProperty("username").GetString() == user && e.GetProperty("action").GetString() == action &&
        e.GetProperty("result").GetString() == result && e.GetProperty("status_code").GetInt32() == status;
}
