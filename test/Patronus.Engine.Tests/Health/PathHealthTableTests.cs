using Patronus.Engine.Health;

namespace Patronus.Engine.Tests.Health;

public sealed class PathHealthTableTests
{
    private static PathHealthSnapshot Snap(string id, double value, PathStatus status = PathStatus.Up) =>
        new(id, value, value, value, value, status, null, 1, 1, 1, "test");

    [Fact]
    public void CopyColumns_AfterPublish_ReadsThePublishedNumbers()
    {
        var state = new HealthState();
        state.SetPaths([Snap("a", 1), Snap("b", 2), Snap("c", 3)]);
        state.Publish(Snap("b", 20, PathStatus.Degraded));

        var table = state.Table;
        var (latency, loss, jitter, score, status) = Columns(table.Count);
        table.CopyColumns(latency, loss, jitter, score, status);

        Assert.Equal(["a", "b", "c"], table.PathIds.ToArray());
        Assert.Equal([1.0, 20.0, 3.0], latency);
        Assert.Equal([1.0, 20.0, 3.0], loss);
        Assert.Equal([1.0, 20.0, 3.0], jitter);
        Assert.Equal([1.0, 20.0, 3.0], score);
        Assert.Equal([PathStatus.Up, PathStatus.Degraded, PathStatus.Up], status);
        Assert.Equal(20.0, state.Get("b")!.LatencyMs);
        Assert.Null(state.Get("z"));
    }

    [Fact]
    public void SetPaths_KeepsTheSnapshotsOfPathsThatStay_NewTable()
    {
        var state = new HealthState();
        state.SetPaths([Snap("a", 1), Snap("b", 2)]);
        state.Publish(Snap("b", 5));
        var before = state.Table;

        state.SetPaths([Snap("b", 0), Snap("c", 7)]);

        Assert.NotSame(before, state.Table); // the key of everything derived from the set of paths
        Assert.Equal(["b", "c"], state.Table.PathIds.ToArray());
        Assert.Equal([5.0, 7.0], state.All.Select(s => s.LatencyMs));
        var (latency, loss, jitter, score, status) = Columns(2);
        state.Table.CopyColumns(latency, loss, jitter, score, status);
        Assert.Equal([5.0, 7.0], latency);
    }

    [Fact]
    public void Publish_UnknownPath_OnlyNotifies()
    {
        var state = new HealthState();
        state.SetPaths([Snap("a", 1)]);
        state.Publish(Snap("gone", 9));
        Assert.Equal([1.0], state.All.Select(s => s.LatencyMs));
    }

    [Fact]
    public void Constructor_DuplicatePath_ThrowsNamingIt()
    {
        var e = Assert.Throws<ArgumentException>(() => new PathHealthTable([Snap("a", 1), Snap("a", 2)]));
        Assert.Contains("'a'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CopyColumns_ColumnTooShort_Throws()
    {
        var table = new PathHealthTable([Snap("a", 1), Snap("b", 2)]);
        var (latency, loss, jitter, score, status) = Columns(1);
        Assert.Throws<ArgumentException>(() => table.CopyColumns(latency, loss, jitter, score, status));
    }

    /// <summary>
    /// A reader racing the writer sees each row whole: every snapshot published has all four
    /// numbers equal, so a row mixing two snapshots (a torn read of the sequence lock) shows.
    /// </summary>
    [Fact]
    public async Task CopyColumns_WhileTheWriterPublishes_EveryRowFromOneSnapshot()
    {
        const int Paths = 64;
        var state = new HealthState();
        state.SetPaths(Enumerable.Range(0, Paths).Select(i => Snap($"p{i}", 0)));
        var table = state.Table;
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            for (var k = 1; !stop.IsCancellationRequested; k++)
            {
                state.Publish(Snap($"p{k % Paths}", k, k % 2 == 0 ? PathStatus.Up : PathStatus.Down), notify: false);
            }
        });

        var (latency, loss, jitter, score, status) = Columns(Paths);
        double seen = 0;
        for (var round = 0; round < 20_000 || seen < Paths * 10; round++)
        {
            table.CopyColumns(latency, loss, jitter, score, status);
            for (var i = 0; i < Paths; i++)
            {
                Assert.True(latency[i] == loss[i] && loss[i] == jitter[i] && jitter[i] == score[i], $"row {i} torn: {latency[i]} {loss[i]} {jitter[i]} {score[i]}");
                Assert.Equal(latency[i] % 2 == 0 ? PathStatus.Up : PathStatus.Down, status[i]);
                seen = Math.Max(seen, latency[i]);
            }

            Assert.False(writer.IsFaulted);
        }

        await stop.CancelAsync();
        await writer;
    }

    private static (double[], double[], double[], double[], PathStatus[]) Columns(int n) =>
        (new double[n], new double[n], new double[n], new double[n], new PathStatus[n]);
}
