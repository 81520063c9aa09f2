using Dapper;
using Patronus.Engine.Health;
using Patronus.Engine.Storage;

namespace Patronus.Persistence.Tests;

/// <summary>Path health samples: batch writes, range reads and their lifetime tied to the path.</summary>
public abstract partial class StoreContractTests
{
    private static PathHealthSample Sample(string pathId, int second, PathStatus status = PathStatus.Up) =>
        new(pathId, Start.AddSeconds(second), LatencyMs: 10.5 + second, PacketLossPct: 0.25 * second, JitterMs: 1.125,
            HealthScore: 100 - second, status);

    [Fact]
    public async Task GetPathHealthAsync_Range_FromInclusiveUntilExclusiveOldestFirst()
    {
        var store = await StoreWithApiPathAsync();
        AssertOk(await store.InsertPathAsync(ApiPath("p2", "l1")));
        // Written out of order, with another path's samples interleaved, to show the query orders and filters.
        var samples = new[] { 7, 2, 9, 0, 5, 3, 6, 1, 8, 4 }
            .Select(s => Sample("p1", s, s % 3 == 0 ? PathStatus.Degraded : s % 3 == 1 ? PathStatus.Down : PathStatus.Up))
            .Concat(Enumerable.Range(0, 10).Select(s => Sample("p2", s)))
            .ToList();
        AssertOk(await store.InsertPathHealthAsync(samples));

        var read = await store.GetPathHealthAsync("p1", Start.AddSeconds(2), Start.AddSeconds(7), limit: 100);

        Assert.Equal([2, 3, 4, 5, 6], read.Select(s => (int)(s.Timestamp - Start).TotalSeconds));
        Assert.Equal(samples.Where(s => s.PathId == "p1" && s.Timestamp >= Start.AddSeconds(2) && s.Timestamp < Start.AddSeconds(7))
            .OrderBy(s => s.Timestamp), read);
    }

    [Fact]
    public async Task GetPathHealthAsync_Limit_ReturnsOldestFirstUpToLimit()
    {
        var store = await StoreWithApiPathAsync();
        AssertOk(await store.InsertPathHealthAsync(Enumerable.Range(0, 10).Reverse().Select(s => Sample("p1", s)).ToList()));

        var read = await store.GetPathHealthAsync("p1", Start, Start.AddSeconds(10), limit: 3);

        Assert.Equal([Start, Start.AddSeconds(1), Start.AddSeconds(2)], read.Select(s => s.Timestamp));
    }

    [Fact]
    public async Task GetPathHealthAsync_MillisecondTimestamps_RoundTripExactly()
    {
        var store = await StoreWithApiPathAsync();
        var at = Start.AddMilliseconds(1234);
        var sample = new PathHealthSample("p1", at, 0.001, 100, 0, 0, PathStatus.Down);
        AssertOk(await store.InsertPathHealthAsync([sample]));

        Assert.Equal([sample], await store.GetPathHealthAsync("p1", at, at.AddMilliseconds(1), 10));
        Assert.Empty(await store.GetPathHealthAsync("p1", at.AddMilliseconds(1), at.AddSeconds(1), 10));
    }

    [Fact]
    public async Task InsertPathHealthAsync_EmptyBatch_Ok()
    {
        var store = await StoreWithApiPathAsync();

        AssertOk(await store.InsertPathHealthAsync([]));

        Assert.Empty(await store.GetPathHealthAsync("p1", Start.AddYears(-1), Start.AddYears(1), 10));
    }

    [Fact]
    public async Task InsertPathHealthAsync_UnknownPath_MissingReferenceAndWholeBatchRejected()
    {
        var store = await StoreWithApiPathAsync();

        var result = await store.InsertPathHealthAsync([Sample("p1", 0), Sample("ghost", 1), Sample("p1", 2)]);

        AssertStatus(StoreStatus.MissingReference, result);
        await using var connection = await OpenRawAsync();
        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sdwan_path_health"));
    }

    [Fact]
    public async Task DeletePathAsync_PathWithSamples_SamplesDeletedWithIt()
    {
        var store = await StoreWithApiPathAsync();
        AssertOk(await store.InsertPathAsync(ApiPath("p2", "l1")));
        AssertOk(await store.InsertPathHealthAsync([Sample("p1", 0), Sample("p1", 1), Sample("p2", 0)]));

        AssertOk(await store.DeletePathAsync("p1"));

        await using var connection = await OpenRawAsync();
        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sdwan_path_health WHERE path_id = 'p1'"));
        Assert.Single(await store.GetPathHealthAsync("p2", Start, Start.AddMinutes(1), 10));
        // A path re-created with the same id starts with no history.
        AssertOk(await store.InsertPathAsync(ApiPath("p1", "l1")));
        Assert.Empty(await store.GetPathHealthAsync("p1", Start, Start.AddMinutes(1), 10));
    }
}
