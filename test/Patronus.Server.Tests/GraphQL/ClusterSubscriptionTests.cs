using System.Globalization;
using System.Net;
using System.Text.Json;
using Patronus.Persistence.Tests;
using Patronus.Server.Tests.TestSupport;
using Patronus.TestSupport;
using Xunit.Abstractions;

namespace Patronus.Server.Tests.GraphQL;

/// <summary>
/// Two whole servers on one PostgreSQL database, in one process: a GraphQL subscriber on the
/// follower receives the failover events the leader decides and the health it measures, relayed by
/// LISTEN/NOTIFY (docs/ha.md).
/// </summary>
[Collection(PostgresCollectionDefinition.Name)]
public sealed class ClusterSubscriptionTests(PostgresFixture postgres, ITestOutputHelper output)
{
    /// <summary>Issue 18's bar for a follower's subscriber.</summary>
    private static readonly TimeSpan s_deliveryBound = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    private const string Events = "subscription { failoverEvents { eventId policyId eventType fromPathId toPathId reason timestamp } }";

    private static Dictionary<string, string?> Node(string id, string connectionString) => new()
    {
        ["PATRONUS__STORE__CONNECTIONSTRING"] = connectionString,
        ["PATRONUS__CLUSTER__NODEID"] = id,
        ["PATRONUS__FAILOVER__KERNELROUTES"] = "false",
    };

    [Fact]
    public async Task LeadersEvents_SubscribersOnFollower_GetTheStoredFailoverEventAndTheLeadersHealthWithin1s()
    {
        var (_, location) = await postgres.CreateDatabaseAsync();
        await using var a = await RunningServer.StartAsync(environment: Node("a", location.ConnectionString));
        await using var b = await RunningServer.StartAsync(environment: Node("b", location.ConnectionString));
        await b.WaitForJsonAsync("/api/v1/cluster", c => c.GetProperty("leader").GetString() == "a", s_timeout);
        await using var onFollower = await GraphQLWs.ConnectAsync(b, b.Client.DefaultRequestHeaders.Authorization!.Parameter!);
        await onFollower.SubscribeAsync("f", Events);
        await using var onLeader = await GraphQLWs.ConnectAsync(a, a.Client.DefaultRequestHeaders.Authorization!.Parameter!);
        await onLeader.SubscribeAsync("l", Events);
        await using var healthOnFollower = await GraphQLWs.ConnectAsync(b, b.Client.DefaultRequestHeaders.Authorization!.Parameter!);
        await healthOnFollower.SubscribeAsync("h", "subscription { pathHealthChanged(pathId: \"dead\") { pathId status healthScore lastChecked } }");

        // On the leader: a primary whose target never answers fails over to the demo path once its probes prove it down.
        using (var path = await a.PostJsonAsync("/api/v1/paths", """{"id":"dead","link_id":"demo-wan1","targets":["127.0.0.1:9"]}"""))
        {
            Assert.Equal(HttpStatusCode.Created, path.StatusCode);
        }

        using (var policy = await a.PostJsonAsync("/api/v1/failover/policies",
            """{"name":"to-demo","primary_path_id":"dead","backup_path_ids":["demo-wan2-loopback"],"prefixes":["10.99.0.0/16"]}"""))
        {
            Assert.Equal(HttpStatusCode.Created, policy.StatusCode);
        }

        // The path exists only in the leader's engine (a follower loads the topology at start): its
        // health on the follower's subscription is the leader's measurement, relayed. Read at once
        // (a message left in the socket would be stamped late).
        var healthDown = healthOnFollower.NextAsync("h", m => m.GetProperty("status").GetString() == "DOWN" && m.GetProperty("lastChecked").ValueKind == JsonValueKind.String, s_timeout);
        var (relayed, receivedAt) = await onFollower.NextAsync("f", m => m.GetProperty("eventType").GetString() == "triggered", s_timeout);
        var (own, _) = await onLeader.NextAsync("l", m => m.GetProperty("eventType").GetString() == "triggered", s_timeout);
        var decidedAt = DateTimeOffset.Parse(relayed.GetProperty("timestamp").GetString()!, CultureInfo.InvariantCulture);
        var delay = receivedAt - decidedAt;
        output.WriteLine($"follower got {relayed}; decided {decidedAt:HH:mm:ss.fff}, received {receivedAt:HH:mm:ss.fff}: {delay.TotalMilliseconds:0.0} ms");

        // The stored event (it has an id, the leader's subscriber saw the same one), not one the follower decided itself.
        Assert.Equal(JsonValueKind.String, relayed.GetProperty("eventId").ValueKind);
        Assert.Equal(own.GetProperty("eventId").GetString(), relayed.GetProperty("eventId").GetString());
        Assert.Equal(("dead", "demo-wan2-loopback"), (relayed.GetProperty("fromPathId").GetString(), relayed.GetProperty("toPathId").GetString()));
        Assert.True(delay <= s_deliveryBound, $"the follower's subscriber got the leader's event {delay.TotalMilliseconds:0.0} ms after the decision (bar {s_deliveryBound.TotalMilliseconds} ms)");

        var (health, healthAt) = await healthDown;
        var measuredAt = DateTimeOffset.Parse(health.GetProperty("lastChecked").GetString()!, CultureInfo.InvariantCulture);
        output.WriteLine($"follower got {health} {(healthAt - measuredAt).TotalMilliseconds:0.0} ms after the leader's measurement");
        Assert.True(healthAt - measuredAt <= s_deliveryBound, $"the leader's health reached the follower's subscriber {(healthAt - measuredAt).TotalMilliseconds:0.0} ms after the measurement");

        var metrics = PrometheusText.Parse(await b.Client.GetStringAsync("/metrics")).Samples;
        Assert.Contains(metrics, s => s.Name == "cluster_state_replications_total" && s.Label("direction") == "received" && s.Value > 0);
        Assert.Contains(metrics, s => s.Name == "cluster_state_size_bytes" && s.Value > 0);
    }

    [Fact]
    public async Task FailbackHeldByTheLeader_FollowersRestShowsTheLeadersHoldDown()
    {
        var (_, location) = await postgres.CreateDatabaseAsync();
        await using var a = await RunningServer.StartAsync(environment: Node("a", location.ConnectionString));
        await using var b = await RunningServer.StartAsync(environment: Node("b", location.ConnectionString));
        await b.WaitForJsonAsync("/api/v1/cluster", c => c.GetProperty("leader").GetString() == "a", s_timeout);

        // On the leader: the primary's target never answers, so the policy fails over; then the primary
        // gets the live reflector as its target, recovers, and its failback waits out the 5-minute delay.
        using (var path = await a.PostJsonAsync("/api/v1/paths", """{"id":"flaky","link_id":"demo-wan1","targets":["127.0.0.1:9"]}"""))
        {
            Assert.Equal(HttpStatusCode.Created, path.StatusCode);
        }

        using (var policy = await a.PostJsonAsync("/api/v1/failover/policies",
            """{"name":"held","primary_path_id":"flaky","backup_path_ids":["demo-wan2-loopback"],"prefixes":["10.98.0.0/16"],"failback_delay_secs":300}"""))
        {
            Assert.Equal(HttpStatusCode.Created, policy.StatusCode);
        }

        static JsonElement Held(JsonElement policies) => policies.EnumerateArray().Single(p => p.GetProperty("name").GetString() == "held");
        await a.WaitForJsonAsync("/api/v1/failover/policies", p => Held(p).GetProperty("active_path_id").GetString() == "demo-wan2-loopback", s_timeout);
        var live = (await a.GetJsonAsync("/api/v1/paths/demo-wan1-loopback")).GetProperty("targets").GetRawText();
        using (var fixedPath = await a.PutJsonAsync("/api/v1/paths/flaky", $$"""{"targets":{{live}}}"""))
        {
            Assert.Equal(HttpStatusCode.OK, fixedPath.StatusCode);
        }

        await a.WaitForJsonAsync("/api/v1/failover/policies", p => Held(p).GetProperty("failback_pending_since").ValueKind == JsonValueKind.String, s_timeout);

        // Before the hold-downs were relayed the follower showed null here for as long as the leader held the failback.
        // Compared with the leader's value as it is at each poll: a dip of the primary restarts the hold-down.
        static string? PendingSince(JsonElement policies)
        {
            var held = policies.EnumerateArray().FirstOrDefault(p => p.GetProperty("name").GetString() == "held");
            return held.ValueKind == JsonValueKind.Object && held.GetProperty("failback_pending_since") is { ValueKind: JsonValueKind.String } since
                ? since.GetString()
                : null;
        }

        string? onLeader = null, onFollower = null;
        await Poll.AssertAsync(async () =>
        {
            onLeader = PendingSince(await a.GetJsonAsync("/api/v1/failover/policies"));
            onFollower = PendingSince(await b.GetJsonAsync("/api/v1/failover/policies"));
            return onLeader is not null && onFollower == onLeader;
        }, s_timeout, "the follower shows the leader's failback_pending_since");
        output.WriteLine($"failback pending since {onLeader} on the leader and on the follower");
        Assert.Equal("demo-wan2-loopback", Held(await b.GetJsonAsync("/api/v1/failover/policies")).GetProperty("active_path_id").GetString());
    }
}
