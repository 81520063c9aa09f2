using System.Net;
using System.Text.Json;
using Patronus.Persistence.Tests;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.GraphQL;

/// <summary>
/// A follower's REST shows what its GraphQL shows — the leader's view (<see cref="Engine.Cluster.ClusterFeed"/>,
/// docs/ha.md): a path's health and a policy's active path, not the follower's own unapplied engine.
/// </summary>
[Collection(PostgresCollectionDefinition.Name)]
public sealed class ClusterFollowerViewTests(PostgresFixture postgres)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    private static Dictionary<string, string?> Node(string id, string connectionString, bool probesHourly)
    {
        var environment = new Dictionary<string, string?>
        {
            ["PATRONUS__STORE__CONNECTIONSTRING"] = connectionString,
            ["PATRONUS__CLUSTER__NODEID"] = id,
            ["PATRONUS__FAILOVER__KERNELROUTES"] = "false",
        };
        if (probesHourly)
        {
            environment["PATRONUS__HEALTH__INTERVAL"] = "01:00:00";
            environment["PATRONUS__HEALTH__FASTINTERVAL"] = "01:00:00";
            environment["PATRONUS__HEALTH__CONFIRMCOUNT"] = "100";
        }

        return environment;
    }

    [Fact]
    public async Task Follower_RestPathHealthAndPolicyActivePath_AreTheLeadersAsInItsGraphQL()
    {
        var (_, location) = await postgres.CreateDatabaseAsync();
        await using var a = await RunningServer.StartAsync(environment: Node("a", location.ConnectionString, probesHourly: false));

        // The follower's own monitor probes once an hour and needs 100 lost probes to call a target
        // down: its own engine never sees the dead path down (nor fails its policy over) in this test.
        await using var b = await RunningServer.StartAsync(environment: Node("b", location.ConnectionString, probesHourly: true));
        await b.WaitForJsonAsync("/api/v1/cluster", c => c.GetProperty("leader").GetString() == "a", s_timeout);
        using (var path = await a.PostJsonAsync("/api/v1/paths", """{"id":"dead","link_id":"demo-wan1","targets":["127.0.0.1:9"]}"""))
        {
            Assert.Equal(HttpStatusCode.Created, path.StatusCode);
        }

        string policyId;
        using (var policy = await a.PostJsonAsync("/api/v1/failover/policies",
            """{"name":"to-demo","primary_path_id":"dead","backup_path_ids":["demo-wan2-loopback"],"prefixes":["10.99.0.0/16"]}"""))
        {
            Assert.Equal(HttpStatusCode.Created, policy.StatusCode);
            policyId = JsonDocument.Parse(await policy.Content.ReadAsStringAsync()).RootElement.GetProperty("policy_id").GetInt64()
                .ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        await a.WaitForJsonAsync($"/api/v1/failover/policies/{policyId}", p => p.GetProperty("active_path_id").GetString() == "demo-wan2-loopback", s_timeout);

        var policyOnB = await b.WaitForJsonAsync($"/api/v1/failover/policies/{policyId}",
            p => p.GetProperty("active_path_id").GetString() == "demo-wan2-loopback", s_timeout);
        Assert.Equal(JsonValueKind.String, policyOnB.GetProperty("last_switch").ValueKind);
        await b.WaitForJsonAsync("/api/v1/paths/dead/health", h => h.GetProperty("health").GetProperty("status").GetString() == "down", s_timeout);
        await b.WaitForJsonAsync("/api/v1/metrics/health",
            m => m.GetProperty("paths").EnumerateArray().Any(p => p.GetProperty("path_id").GetString() == "dead" &&
                p.GetProperty("health").GetProperty("status").GetString() == "down"), s_timeout);

        // And GraphQL on the follower says the same.
        var graphql = await b.PostJsonAsync("/graphql", $$"""{"query":"{ failoverPolicy(policyId: \"{{policyId}}\") { activePathId } }"}""");
        var data = JsonDocument.Parse(await graphql.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("demo-wan2-loopback", data.GetProperty("data").GetProperty("failoverPolicy").GetProperty("activePathId").GetString());
    }
}
