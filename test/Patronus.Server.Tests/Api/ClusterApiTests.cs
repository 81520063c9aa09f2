using System.Diagnostics;
using System.Text.Json;
using Patronus.Persistence.Tests;
using Patronus.Server.Tests.GraphQL;
using Patronus.Server.Tests.TestSupport;
using Patronus.TestSupport;

namespace Patronus.Server.Tests.Api;

/// <summary><c>/api/v1/cluster</c> and GraphQL <c>cluster</c> on the single box (SQLite).</summary>
public sealed class ClusterApiTests
{
    [Fact]
    public async Task Cluster_SingleNodeStore_ThisNodeLeadsWithTerm1_RestAndGraphQLAgree()
    {
        await using var server = await RunningServer.StartAsync(environment: new() { ["PATRONUS__CLUSTER__NODEID"] = "solo" });

        var rest = await server.GetJsonAsync("/api/v1/cluster");
        var gql = (await GraphQLApiTests.PostAsync(server.Client, "{ cluster { nodeId mode leader term nodes { id role term healthy self version } } }"))
            .GetProperty("data").GetProperty("cluster");

        Assert.Equal(("solo", "single", "solo", 1), (rest.GetProperty("node_id").GetString(), rest.GetProperty("mode").GetString(), rest.GetProperty("leader").GetString(), rest.GetProperty("term").GetInt32()));
        var node = Assert.Single(rest.GetProperty("nodes").EnumerateArray());
        Assert.Equal(("solo", "leader", true, true), (node.GetProperty("id").GetString(), node.GetProperty("role").GetString(), node.GetProperty("healthy").GetBoolean(), node.GetProperty("self").GetBoolean()));
        Assert.Equal(("solo", "single", 1.0), (gql.GetProperty("nodeId").GetString(), gql.GetProperty("mode").GetString(), gql.GetProperty("term").GetDouble()));
        Assert.Equal("leader", Assert.Single(gql.GetProperty("nodes").EnumerateArray()).GetProperty("role").GetString());
    }

    [Fact]
    public async Task Cluster_Anonymous_Unauthorized()
    {
        await using var server = await RunningServer.StartAsync();

        using var response = await server.Anonymous.GetAsync("/api/v1/cluster");

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
    }
}

/// <summary>Two whole servers on one PostgreSQL database, in one process: one leads, a graceful stop hands over (docs/ha.md).</summary>
[Collection(PostgresCollectionDefinition.Name)]
public sealed class ClusterPostgresTests(PostgresFixture postgres, Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    private static Dictionary<string, string?> Node(string id, string connectionString) => new()
    {
        ["PATRONUS__STORE__CONNECTIONSTRING"] = connectionString,
        ["PATRONUS__CLUSTER__NODEID"] = id,
        ["PATRONUS__FAILOVER__KERNELROUTES"] = "false",
    };

    private static async Task<JsonElement> ClusterAsync(RunningServer server) => await server.GetJsonAsync("/api/v1/cluster");

    [Fact]
    public async Task TwoServers_OneLeads_BothListedHealthy_GracefulStopHandsOverWithinASecond()
    {
        var (_, location) = await postgres.CreateDatabaseAsync();
        var a = await RunningServer.StartAsync(environment: Node("a", location.ConnectionString));
        await using var b = await RunningServer.StartAsync(environment: Node("b", location.ConnectionString));

        var cluster = await b.WaitForJsonAsync("/api/v1/cluster", c => c.GetProperty("leader").GetString() == "a" &&
            c.GetProperty("nodes").EnumerateArray().Count(n => n.GetProperty("healthy").GetBoolean()) == 2, s_timeout);
        Assert.Equal(("lease", 1), (cluster.GetProperty("mode").GetString(), cluster.GetProperty("term").GetInt32()));
        Assert.Equal(["leader", "follower"], cluster.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("role").GetString()));
        Assert.Equal(0, PrometheusText.Parse(await b.Client.GetStringAsync("/metrics")).Samples.Single(s => s.Name == "cluster_is_leader").Value);

        await a.DisposeAsync(); // graceful: the lease is released after the features stopped
        var stopped = Stopwatch.StartNew();
        cluster = await b.WaitForJsonAsync("/api/v1/cluster", c => c.GetProperty("leader").GetString() == "b", s_timeout);

        Assert.True(stopped.Elapsed < TimeSpan.FromSeconds(1.5), $"b led {stopped.Elapsed.TotalMilliseconds:F0} ms after a stopped");
        Assert.Equal(2, cluster.GetProperty("term").GetInt32());
        await Poll.AssertAsync(async () => PrometheusText.Parse(await b.Client.GetStringAsync("/metrics")).Samples.Single(s => s.Name == "cluster_is_leader").Value == 1,
            s_timeout, "b's metrics say it leads");
    }

    [Fact]
    public async Task ReadyEndpoint_StoreRefusesConnections_503NamingTheStore_ReadyAgainWhenItAnswers()
    {
        var (name, location) = await postgres.CreateDatabaseAsync();
        await using var server = await RunningServer.StartAsync(environment: Node("solo", location.ConnectionString));
        await using var owner = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(location.ConnectionString) { Pooling = false, Database = "postgres" }.ConnectionString);
        await owner.OpenAsync();
        await using (var cut = owner.CreateCommand())
        {
            // As unreachable as a store gets without touching the shared server: no new sessions, the open ones ended.
            cut.CommandText = $"ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS false; " +
                $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'";
            await cut.ExecuteNonQueryAsync();
        }

        var cutAt = Stopwatch.StartNew();
        try
        {
            await Poll.AssertAsync(async () =>
            {
                using var ready = await server.Anonymous.GetAsync("/health/ready");
                return ready.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable && (await ready.Content.ReadAsStringAsync()).Contains("\"store\"", StringComparison.Ordinal);
            }, s_timeout, "/health/ready answers 503 naming the store");
            output.WriteLine($"/health/ready 503 {cutAt.ElapsedMilliseconds} ms after the store refused connections");
        }
        finally
        {
            await using var heal = owner.CreateCommand();
            heal.CommandText = $"ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS true";
            await heal.ExecuteNonQueryAsync();
        }

        await Poll.AssertAsync(async () =>
        {
            using var ready = await server.Anonymous.GetAsync("/health/ready");
            return ready.IsSuccessStatusCode;
        }, s_timeout, "/health/ready answers 200 again");
    }
}
