using Microsoft.Extensions.Time.Testing;
using Patronus.Server.GraphQL;

namespace Patronus.Server.Tests.GraphQL;

/// <summary>The gathering behind the pathHealthBatches subscription: latest per key, at most one list per interval.</summary>
public sealed class LatestPerKeyTests
{
    private static readonly TimeSpan s_interval = TimeSpan.FromMilliseconds(250);

    /// <summary>A deadline for a task that the fake clock has released (never a sleep).</summary>
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(10);

    private static (LatestPerKey<(string Key, int Value)> Batches, FakeTimeProvider Time) Create()
    {
        var time = new FakeTimeProvider();
        return (new LatestPerKey<(string Key, int Value)>(i => i.Key, s_interval, time), time);
    }

    [Fact]
    public async Task TakeAsync_FirstChange_ComesAtOnce()
    {
        var (batches, _) = Create();
        batches.Add(("a", 1));
        var first = await batches.TakeAsync(CancellationToken.None).WaitAsync(s_deadline);
        Assert.Equal([("a", 1)], first);
        Assert.Equal(0, batches.Count);
    }

    [Fact]
    public async Task TakeAsync_ChangesWithinTheInterval_OneListAtItsEnd_LatestPerKey()
    {
        var (batches, time) = Create();
        batches.Add(("a", 1));
        await batches.TakeAsync(CancellationToken.None).WaitAsync(s_deadline);

        batches.Add(("a", 2));
        batches.Add(("b", 1));
        batches.Add(("a", 3));
        var next = batches.TakeAsync(CancellationToken.None);
        time.Advance(s_interval - TimeSpan.FromMilliseconds(1));
        Assert.False(next.IsCompleted, "a list before the interval since the last one passed");
        batches.Add(("b", 2));
        time.Advance(TimeSpan.FromMilliseconds(1));
        var list = await next.WaitAsync(s_deadline);
        Assert.Equal([("a", 3), ("b", 2)], list.OrderBy(i => i.Key));
    }

    [Fact]
    public async Task TakeAsync_NothingWaiting_WaitsForTheNextChange_ThenComesAtOnceAfterAQuietSpell()
    {
        var (batches, time) = Create();
        batches.Add(("a", 1));
        await batches.TakeAsync(CancellationToken.None).WaitAsync(s_deadline);

        var next = batches.TakeAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.False(next.IsCompleted, "a list without a change");
        batches.Add(("c", 7));
        Assert.Equal([("c", 7)], await next.WaitAsync(s_deadline)); // the interval has long passed: no delay
    }

    [Fact]
    public async Task TakeAsync_Cancelled_WhileWaiting_Throws()
    {
        var (batches, _) = Create();
        using var cts = new CancellationTokenSource();
        var next = batches.TakeAsync(cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next.WaitAsync(s_deadline));
    }

    [Fact]
    public void Constructor_NegativeInterval_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new LatestPerKey<string>(s => s, TimeSpan.FromMilliseconds(-1), TimeProvider.System));
}
