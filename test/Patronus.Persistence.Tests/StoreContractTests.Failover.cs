using System.Net;
using Dapper;
using Patronus.Engine.Failover;
using Patronus.Engine.Paths;
using Patronus.Engine.Storage;

namespace Patronus.Persistence.Tests;

public abstract partial class StoreContractTests
{
    private static readonly string[] s_defaultPrefixes = ["10.99.0.0/16", "2001:db8::/32"];

    private static FailoverPolicy Policy(string name, string primary, string[] backups, ItemSource source = ItemSource.Api, long id = 0, string[]? prefixes = null) =>
        new(id, name, primary, backups, 40, 85, TimeSpan.FromSeconds(7), true, (prefixes ?? s_defaultPrefixes).Select(IPNetwork.Parse).ToList(), source);

    private async Task<SqlStore> StoreWithTwoPathsAsync()
    {
        var store = await StoreWithApiPathAsync();
        AssertOk(await store.InsertPathAsync(ApiPath("p2", "l1")));
        return store;
    }

    [Fact]
    public async Task FailoverPolicy_InsertUpdateDelete_RoundTrip()
    {
        var store = await StoreWithTwoPathsAsync();

        var (result, id) = await store.InsertFailoverPolicyAsync(Policy("to-dc", "p1", ["p2"]));
        AssertOk(result);
        var loaded = Assert.Single(await store.LoadFailoverPoliciesAsync());
        Assert.True(Policy("to-dc", "p1", ["p2"], id: id).SameAs(loaded), $"{loaded}");

        var changed = loaded with { PrimaryPathId = "p2", BackupPathIds = ["p1"], Enabled = false, Prefixes = [IPNetwork.Parse("0.0.0.0/0")] };
        AssertOk(await store.UpdateFailoverPolicyAsync(changed));
        Assert.True(changed.SameAs(Assert.Single(await store.LoadFailoverPoliciesAsync())));

        AssertOk(await store.DeleteFailoverPolicyAsync(id));
        Assert.Empty(await store.LoadFailoverPoliciesAsync());
        Assert.Equal(StoreStatus.NotFound, (await store.DeleteFailoverPolicyAsync(id)).Status);
    }

    [Fact]
    public async Task FailoverPolicy_DuplicateNameOrMissingPrimary_Refused()
    {
        var store = await StoreWithTwoPathsAsync();
        AssertOk((await store.InsertFailoverPolicyAsync(Policy("a", "p1", ["p2"]))).Result);

        Assert.Equal(StoreStatus.Conflict, (await store.InsertFailoverPolicyAsync(Policy("a", "p2", ["p1"]))).Result.Status);
        Assert.Equal(StoreStatus.MissingReference, (await store.InsertFailoverPolicyAsync(Policy("b", "nope", ["p1"]))).Result.Status);
        Assert.Equal(StoreStatus.InUse, (await store.DeletePathAsync("p1")).Status); // the policy's primary
    }

    [Fact]
    public async Task FailoverPolicy_ConfigSync_ReadOnlyRemovedAndNameClash()
    {
        var store = await StoreWithTwoPathsAsync();
        AssertOk(await store.SyncReadOnlyFailoverPoliciesAsync([Policy("cfg", "p1", ["p2"], ItemSource.Config)], removeOnly: false));
        var cfg = Assert.Single(await store.LoadFailoverPoliciesAsync());
        Assert.Equal(ItemSource.Config, cfg.Source);
        Assert.Equal(StoreStatus.ReadOnly, (await store.UpdateFailoverPolicyAsync(cfg with { Enabled = false })).Status);
        Assert.Equal(StoreStatus.ReadOnly, (await store.DeleteFailoverPolicyAsync(cfg.Id)).Status);

        // Changed in the file: updated in place, same id.
        AssertOk(await store.SyncReadOnlyFailoverPoliciesAsync([Policy("cfg", "p2", ["p1"], ItemSource.Config)], removeOnly: false));
        var updated = Assert.Single(await store.LoadFailoverPoliciesAsync());
        Assert.Equal((cfg.Id, "p2"), (updated.Id, updated.PrimaryPathId));

        // An API policy's name cannot be taken by the file.
        AssertOk((await store.InsertFailoverPolicyAsync(Policy("api", "p1", [], prefixes: ["10.98.0.0/16"]))).Result);
        Assert.Equal(StoreStatus.Conflict, (await store.SyncReadOnlyFailoverPoliciesAsync([Policy("api", "p1", [], ItemSource.Config)], removeOnly: false)).Status);

        // Removed from the file.
        AssertOk(await store.SyncReadOnlyFailoverPoliciesAsync([], removeOnly: true));
        Assert.Equal(["api"], (await store.LoadFailoverPoliciesAsync()).Select(p => p.Name));
    }

    [Fact]
    public async Task FailoverEvents_InsertedInBatches_QueriedNewestFirst_OrphansSkipped()
    {
        var store = await StoreWithTwoPathsAsync();
        var (_, id) = await store.InsertFailoverPolicyAsync(Policy("a", "p1", ["p2"]));
        var events = Enumerable.Range(0, 5).Select(i => new FailoverEventRecord(
            new FailoverEvent(id, i % 2 == 0 ? FailoverEventType.FailoverTriggered : FailoverEventType.FailbackCompleted, "p1", "p2", $"reason {i}", Start.AddSeconds(i)),
            """{"p1":{"score":12.5,"bfd_down":true}}""")).ToList();
        events.Add(new FailoverEventRecord(new FailoverEvent(id + 1000, FailoverEventType.FailoverFailed, null, null, "orphan", Start), null));

        AssertOk(await store.InsertFailoverEventsAsync(events));

        var read = await store.GetFailoverEventsAsync(id, Start.AddSeconds(1), 3);
        Assert.Equal(["reason 4", "reason 3", "reason 2"], read.Select(e => e.Event.Reason));
        Assert.Equal(FailoverEventType.FailoverTriggered, read[0].Event.Type);
        Assert.Equal(Start.AddSeconds(4), read[0].Event.Timestamp);
        Assert.Contains("bfd_down", read[0].Details, StringComparison.Ordinal);
        Assert.Equal(5, (await store.GetFailoverEventsAsync(null, Start, 100)).Count);
    }
}
