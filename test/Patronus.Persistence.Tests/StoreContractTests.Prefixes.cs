using System.Net;
using Dapper;
using Patronus.Engine.Failover;
using Patronus.Engine.Paths;
using Patronus.Engine.Storage;

namespace Patronus.Persistence.Tests;

/// <summary>One policy per prefix (migration 7), held by the store however writers race.</summary>
public abstract partial class StoreContractTests
{
    private const string Contested = "10.77.0.0/16";

    [Fact]
    public async Task InsertFailoverPolicyAsync_TwentyConcurrentClaimsOfOnePrefix_ExactlyOneWins()
    {
        var store = await StoreWithTwoPathsAsync();
        var other = NewStore(); // a second controller on the same database

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            (i % 2 == 0 ? store : other).InsertFailoverPolicyAsync(Policy($"race-{i}", "p1", ["p2"], prefixes: [Contested, $"10.{i}.0.0/16"]))));

        var winner = Assert.Single(results, r => r.Result.Succeeded);
        Assert.All(results.Where(r => !r.Result.Succeeded), r => AssertStatus(StoreStatus.Conflict, r.Result, $"prefix {Contested} is already steered by policy 'race-"));
        var saved = Assert.Single(await store.LoadFailoverPoliciesAsync());
        Assert.Equal(winner.Id, saved.Id);
        Assert.Contains(IPNetwork.Parse(Contested), saved.Prefixes);
    }

    [Fact]
    public async Task UpdateFailoverPolicyAsync_TwentyConcurrentClaimsOfOnePrefix_ExactlyOneWins()
    {
        var store = await StoreWithTwoPathsAsync();
        var other = NewStore();
        var policies = new List<FailoverPolicy>();
        for (var i = 0; i < 20; i++)
        {
            var (result, id) = await store.InsertFailoverPolicyAsync(Policy($"p-{i}", "p1", ["p2"], prefixes: [$"10.{i}.0.0/16"]));
            AssertOk(result);
            policies.Add(Policy($"p-{i}", "p1", ["p2"], id: id, prefixes: [$"10.{i}.0.0/16", Contested]));
        }

        var results = await Task.WhenAll(policies.Select((p, i) => (i % 2 == 0 ? store : other).UpdateFailoverPolicyAsync(p)));

        Assert.Single(results, r => r.Succeeded);
        Assert.Single(await store.LoadFailoverPoliciesAsync(), p => p.Prefixes.Contains(IPNetwork.Parse(Contested)));
    }

    [Fact]
    public async Task FailoverPolicyPrefixes_ReleasedByUpdateOrDelete_CanBeClaimedAgain()
    {
        var store = await StoreWithTwoPathsAsync();
        var (_, a) = await store.InsertFailoverPolicyAsync(Policy("a", "p1", ["p2"], prefixes: [Contested, "10.1.0.0/16"]));
        var (refused, _) = await store.InsertFailoverPolicyAsync(Policy("b", "p1", ["p2"], prefixes: ["10.2.0.0/16", Contested]));
        AssertStatus(StoreStatus.Conflict, refused, $"prefix {Contested} is already steered by policy 'a'");
        Assert.Equal(["a"], (await store.LoadFailoverPoliciesAsync()).Select(p => p.Name)); // nothing of b was written

        // a keeps its own prefixes on an update, gives the contested one up, and b can take it.
        AssertOk(await store.UpdateFailoverPolicyAsync(Policy("a", "p2", ["p1"], id: a, prefixes: ["10.1.0.0/16"])));
        var (claimed, b) = await store.InsertFailoverPolicyAsync(Policy("b", "p1", ["p2"], prefixes: [Contested]));
        AssertOk(claimed);
        AssertStatus(StoreStatus.Conflict, await store.UpdateFailoverPolicyAsync(Policy("a", "p1", ["p2"], id: a, prefixes: [Contested])), "policy 'b'");

        AssertOk(await store.DeleteFailoverPolicyAsync(b));
        AssertOk(await store.UpdateFailoverPolicyAsync(Policy("a", "p1", ["p2"], id: a, prefixes: [Contested])));
    }

    [Fact]
    public async Task SyncReadOnlyFailoverPoliciesAsync_PrefixOfApiPolicy_ConflictAndNothingWritten()
    {
        var store = await StoreWithTwoPathsAsync();
        AssertOk(await store.SyncReadOnlyFailoverPoliciesAsync([Policy("cfg", "p1", ["p2"], ItemSource.Config, prefixes: ["10.1.0.0/16"])], removeOnly: false));
        AssertOk((await store.InsertFailoverPolicyAsync(Policy("api", "p1", ["p2"], prefixes: [Contested]))).Result);

        var result = await store.SyncReadOnlyFailoverPoliciesAsync(
            [Policy("cfg", "p2", ["p1"], ItemSource.Config, prefixes: ["10.1.0.0/16", Contested])], removeOnly: false);

        AssertStatus(StoreStatus.Conflict, result, $"failover policy 'cfg' from the configuration: prefix {Contested} is already steered by policy 'api'");
        var cfg = Assert.Single(await store.LoadFailoverPoliciesAsync(), p => p.Name == "cfg");
        Assert.Equal("p1", cfg.PrimaryPathId);
        Assert.Equal([IPNetwork.Parse("10.1.0.0/16")], cfg.Prefixes);
    }

    [Fact]
    public async Task SyncReadOnlyFailoverPoliciesAsync_PrefixMovedBetweenConfigPolicies_Ok()
    {
        var store = await StoreWithTwoPathsAsync();
        AssertOk(await store.SyncReadOnlyFailoverPoliciesAsync(
            [Policy("one", "p1", ["p2"], ItemSource.Config, prefixes: []), Policy("two", "p1", ["p2"], ItemSource.Config, prefixes: [Contested])], removeOnly: false));

        // The file moves the prefix from "two" to "one", which the sync handles first.
        AssertOk(await store.SyncReadOnlyFailoverPoliciesAsync(
            [Policy("one", "p1", ["p2"], ItemSource.Config, prefixes: [Contested]), Policy("two", "p1", ["p2"], ItemSource.Config, prefixes: [])], removeOnly: false));

        Assert.Equal(["one"], (await store.LoadFailoverPoliciesAsync()).Where(p => p.Prefixes.Count > 0).Select(p => p.Name));
        AssertStatus(StoreStatus.Conflict, (await store.InsertFailoverPolicyAsync(Policy("api", "p1", [], prefixes: [Contested]))).Result, "policy 'one'");
    }

    [Fact]
    public async Task MigrateAsync_Version7OverDuplicatePrefixes_OldestPolicyClaimsAndNothingIsLost()
    {
        // A database as version 6 left it, where two policies came to list one prefix (the race).
        await MigrateRawAsync(upTo: 6);
        await using (var connection = await OpenRawAsync())
        {
            await connection.ExecuteAsync("""
                INSERT INTO sdwan_sites (site_id, name, source, created_at, updated_at) VALUES ('s1', 's1', 'api', 0, 0);
                INSERT INTO sdwan_links (link_id, site_id, name, cost, source, created_at, updated_at) VALUES ('l1', 's1', 'l1', 10, 'api', 0, 0);
                INSERT INTO sdwan_paths (path_id, name, link_id, targets, source, created_at, updated_at) VALUES ('p1', 'p1', 'l1', '["198.51.100.1"]', 'api', 0, 0);
                INSERT INTO sdwan_failover_policies (policy_id, name, primary_path_id, backup_path_ids, prefixes, source, created_at, updated_at)
                VALUES (1, 'first', 'p1', '[]', '["10.77.0.0/16","10.1.0.0/16"]', 'api', 0, 0),
                       (2, 'second', 'p1', '[]', '["10.2.0.0/16","10.77.0.0/16"]', 'api', 0, 0),
                       (3, 'third', 'p1', '[]', '[]', 'api', 0, 0);
                """);
        }

        Assert.Equal(AllVersions.Where(v => v > 6), await Store.MigrateAsync());

        await using (var connection = await OpenRawAsync())
        {
            var claims = (await connection.QueryAsync<(string Prefix, long PolicyId)>(
                "SELECT prefix, policy_id FROM sdwan_failover_prefixes ORDER BY prefix")).ToList();
            Assert.Equal([("10.1.0.0/16", 1L), ("10.2.0.0/16", 2L), (Contested, 1L)], claims);
        }

        var loaded = await Store.LoadFailoverPoliciesAsync();
        Assert.Equal([[Contested, "10.1.0.0/16"], ["10.2.0.0/16", Contested], []], loaded.Select(p => p.Prefixes.Select(x => x.ToString()).ToArray()));
        AssertStatus(StoreStatus.Conflict, await Store.UpdateFailoverPolicyAsync(loaded[1] with { Enabled = false }), $"prefix {Contested} is already steered by policy 'first'");
        AssertOk(await Store.UpdateFailoverPolicyAsync(loaded[1] with { Prefixes = [IPNetwork.Parse("10.2.0.0/16")] }));
        AssertOk(await Store.UpdateFailoverPolicyAsync(loaded[0] with { Enabled = false }));
    }

    [Fact]
    public async Task FailoverPolicyClass_OnePolicyPerPrefixAndClass_StoredAndLoaded()
    {
        var store = await StoreWithTwoPathsAsync();
        AssertOk(await store.SyncReadOnlyFailoverPoliciesAsync(
            [Policy("cfg", "p1", ["p2"], ItemSource.Config, prefixes: [Contested]), Policy("cfg-voice", "p1", ["p2"], ItemSource.Config, prefixes: [Contested]) with { Class = "voice" }],
            removeOnly: false));

        // Each class (and no class) holds the prefix once: video may, voice and class-less may not again.
        var (video, videoId) = await store.InsertFailoverPolicyAsync(Policy("api-video", "p2", ["p1"], prefixes: [Contested]) with { Class = "video" });
        AssertOk(video);
        AssertStatus(StoreStatus.Conflict, (await store.InsertFailoverPolicyAsync(Policy("api-voice", "p1", [], prefixes: [Contested]) with { Class = "voice" })).Result,
            $"prefix {Contested} is already steered for class voice by policy 'cfg-voice'");
        AssertStatus(StoreStatus.Conflict, (await store.InsertFailoverPolicyAsync(Policy("api", "p1", [], prefixes: [Contested]))).Result,
            $"prefix {Contested} is already steered by policy 'cfg'");

        var loaded = (await store.LoadFailoverPoliciesAsync()).ToDictionary(p => p.Name, p => p.Class);
        Assert.Equal(new Dictionary<string, string?> { ["cfg"] = null, ["cfg-voice"] = "voice", ["api-video"] = "video" }, loaded);

        // An update can change the class; the claim follows it.
        AssertOk(await store.UpdateFailoverPolicyAsync(Policy("api-video", "p2", ["p1"], id: videoId, prefixes: [Contested]) with { Class = "bulk" }));
        AssertOk((await store.InsertFailoverPolicyAsync(Policy("api-video2", "p1", [], prefixes: [Contested]) with { Class = "video" })).Result);
        Assert.Equal("bulk", (await store.LoadFailoverPoliciesAsync()).Single(p => p.Id == videoId).Class);
    }
}
