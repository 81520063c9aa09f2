using System.Net;
using System.Net.Http.Json;
using Patronus.Persistence.Tests;
using Patronus.Server.Tests.TestSupport;
using Patronus.TestSupport;

namespace Patronus.Server.Tests.Security;

/// <summary>
/// Two controller instances on one PostgreSQL: the signing key is shared through the store, so a
/// token one instance issued is accepted by the other, and a change to a user on one revokes the
/// user's tokens on both (within the user cache's 5 s).
/// </summary>
[Collection(PostgresCollectionDefinition.Name)]
public sealed class SharedStoreTokenTests(PostgresFixture postgres)
{
    [Fact]
    public async Task TwoInstances_OnePostgres_AcceptEachOthersTokens_RevocationReachesBoth()
    {
        var (_, location) = await postgres.CreateDatabaseAsync();
        var environment = new Dictionary<string, string?> { ["PATRONUS__STORE__CONNECTIONSTRING"] = location.ConnectionString };
        await using var a = await RunningServer.StartAsync(environment: new(environment));
        await using var b = await RunningServer.StartAsync(environment: new(environment));

        var token = await a.CreateUserAndLoginAsync("shared-op", Patronus.Persistence.Security.UserRole.Operator);
        using var onB = b.NewClient(token);
        using (var paths = await onB.GetAsync("/api/v1/paths"))
        {
            Assert.Equal(HttpStatusCode.OK, paths.StatusCode);
        }

        // Disabled through a: b refuses the token once its cached user record is refreshed (≤ 5 s).
        using (var disable = await a.Client.PutAsJsonAsync("/api/v1/users/shared-op", new { disabled = true }))
        {
            Assert.True(disable.IsSuccessStatusCode, await disable.Content.ReadAsStringAsync());
        }

        var status = HttpStatusCode.OK;
        await Poll.UntilAsync(async () =>
        {
            using var response = await onB.GetAsync("/api/v1/paths");
            status = response.StatusCode;
            return status == HttpStatusCode.Unauthorized;
        }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100));

        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }
}
