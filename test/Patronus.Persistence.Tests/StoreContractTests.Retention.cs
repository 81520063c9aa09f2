using Patronus.Engine.Failover;
using Patronus.Engine.Health;
using Patronus.Persistence.Security;

namespace Patronus.Persistence.Tests;

/// <summary>Retention of path status events, failover events and the audit log: time cut, chunked deletes (migration 8's index).</summary>
public abstract partial class StoreContractTests
{
    [Fact]
    public async Task MigrateAsync_Version8_CreatesPathEventsTimeIndex()
    {
        await MigratedStoreAsync();

        await using var connection = await OpenRawAsync();
        var found = await FindIndexAsync(connection, "idx_path_events_time");

        Assert.NotNull(found);
        Assert.Equal("sdwan_path_events", found.Value.Table);
        Assert.Equal(["timestamp"], found.Value.Columns);
    }

    [Fact]
    public async Task DeletePathEventsBeforeAsync_TenMinutesOfEvents_DeletesOnlyOlderRowsInChunks()
    {
        var store = await HealthStoreAsync("p2");
        store.RetentionChunkRows = 3; // several chunks, the last one partial
        AssertOk(await store.InsertPathEventsAsync(Enumerable.Range(0, 10)
            .SelectMany(m => new[] { StatusEvent("p1", m * 60, PathStatus.Up, PathStatus.Down), StatusEvent("p2", m * 60, null, PathStatus.Up) }).ToList()));

        Assert.Equal(8, await store.DeletePathEventsBeforeAsync(Start.AddMinutes(4)));
        Assert.Equal(0, await store.DeletePathEventsBeforeAsync(Start.AddMinutes(4)));

        Assert.Equal(Start.AddMinutes(4), (await store.GetPathEventsAsync("p2", Start, Start.AddDays(1), 1)).Single().Timestamp);
        Assert.Equal(12, await CountAsync("sdwan_path_events"));
    }

    [Fact]
    public async Task DeleteFailoverEventsBeforeAsync_EventsOfTwoPolicies_DeletesOnlyOlderRowsInChunks()
    {
        var store = await StoreWithTwoPathsAsync();
        store.RetentionChunkRows = 3;
        var (_, a) = await store.InsertFailoverPolicyAsync(Policy("a", "p1", ["p2"], prefixes: ["10.1.0.0/16"]));
        var (_, b) = await store.InsertFailoverPolicyAsync(Policy("b", "p2", ["p1"], prefixes: ["10.2.0.0/16"]));
        AssertOk(await store.InsertFailoverEventsAsync(Enumerable.Range(0, 10).SelectMany(i => new[] { a, b }.Select(id => new FailoverEventRecord(
            new FailoverEvent(id, FailoverEventType.FailoverTriggered, "p1", "p2", $"reason {i}", Start.AddDays(i)), null))).ToList()));

        Assert.Equal(14, await store.DeleteFailoverEventsBeforeAsync(Start.AddDays(7)));
        Assert.Equal(0, await store.DeleteFailoverEventsBeforeAsync(Start.AddDays(7)));

        var left = await store.GetFailoverEventsAsync(null, Start, 100);
        Assert.Equal(6, left.Count);
        Assert.Equal(Start.AddDays(7), left.Min(e => e.Event.Timestamp));
    }

    [Fact]
    public async Task DeleteAuditBeforeAsync_TenEntries_DeletesOnlyOlderRowsInChunks()
    {
        var store = await MigratedStoreAsync();
        store.RetentionChunkRows = 3;
        for (var i = 0; i < 10; i++)
        {
            await store.InsertAuditAsync(new AuditRecord(Start.AddDays(i), "alice", "POST /api/v1/sites/", $"/api/v1/sites/{i}", "127.0.0.1", "success", 201));
        }

        Assert.Equal(7, await store.DeleteAuditBeforeAsync(Start.AddDays(7)));
        Assert.Equal(0, await store.DeleteAuditBeforeAsync(Start.AddDays(7)));

        Assert.Equal(["/api/v1/sites/9", "/api/v1/sites/8", "/api/v1/sites/7"], (await store.GetAuditAsync(Start, 100)).Select(e => e.Target));
        Assert.Equal(3, await CountAsync("sdwan_audit_log"));
    }
}
