using Patronus.Engine.Failover;

namespace Patronus.Persistence.Tests;

/// <summary>What the cluster relay reads (docs/ha.md, live events on every node): failover events past a cursor, the store's size.</summary>
public abstract partial class StoreContractTests
{
    [Fact]
    public async Task GetFailoverEventsAfterAsync_Cursor_OlderExcluded_OldestFirst_Limited()
    {
        var store = await StoreWithTwoPathsAsync();
        Assert.Equal(0, await store.GetLastFailoverEventIdAsync());
        var (_, id) = await store.InsertFailoverPolicyAsync(Policy("a", "p1", ["p2"]));
        AssertOk(await store.InsertFailoverEventsAsync([.. Enumerable.Range(0, 5).Select(i => new FailoverEventRecord(
            new FailoverEvent(id, FailoverEventType.FailoverTriggered, "p1", "p2", $"reason {i}", Start.AddSeconds(10 - i)), null))]));
        var all = await store.GetFailoverEventsAfterAsync(0, 100);
        var last = await store.GetLastFailoverEventIdAsync();

        // In id (write) order, not by timestamp: the timestamps above run backwards.
        Assert.Equal(["reason 0", "reason 1", "reason 2", "reason 3", "reason 4"], all.Select(e => e.Event.Reason));
        Assert.Equal(all[^1].EventId, last);
        Assert.Equal(["reason 3", "reason 4"], (await store.GetFailoverEventsAfterAsync(all[2].EventId, 100)).Select(e => e.Event.Reason));
        Assert.Equal(["reason 1", "reason 2"], (await store.GetFailoverEventsAfterAsync(all[0].EventId, 2)).Select(e => e.Event.Reason));
        Assert.Empty(await store.GetFailoverEventsAfterAsync(last, 100));
        Assert.Equal((id, "p1", "p2", FailoverEventType.FailoverTriggered), (all[0].Event.PolicyId, all[0].Event.FromPathId, all[0].Event.ToPathId, all[0].Event.Type));
    }

    [Fact]
    public async Task GetStateSizeBytesAsync_MigratedStore_PositiveAndGrowsWithData()
    {
        var store = await StoreWithTwoPathsAsync();
        var before = await store.GetStateSizeBytesAsync();
        var (_, id) = await store.InsertFailoverPolicyAsync(Policy("a", "p1", ["p2"]));
        AssertOk(await store.InsertFailoverEventsAsync([.. Enumerable.Range(0, 2_000).Select(i => new FailoverEventRecord(
            new FailoverEvent(id, FailoverEventType.FailoverTriggered, "p1", "p2", new string('r', 200), Start.AddSeconds(i)), null))]));

        Assert.True(before > 0, $"{before} bytes");
        Assert.True(await store.GetStateSizeBytesAsync() > before, "400 kB of events make the store bigger");
    }
}
