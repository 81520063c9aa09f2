using Patronus.Engine.Traffic;

namespace Patronus.Engine.Tests.Traffic;

/// <summary>Totals stay monotonic whatever the kernel's counters do.</summary>
public sealed class TrafficCounterStateTests
{
    [Theory]
    // Each row: raw readings (packets/bytes) and what the table did before each reading
    // ('R' = we recreated it right after the previous reading), then the totals after each.
    [InlineData("10/1000 20/2000 35/3500", "10/1000 20/2000 35/3500", 0)]
    // Recreated: the kernel starts at 0 again; the totals carry what it had.
    [InlineData("10/1000 20/2000 R0/0 R5/500 7/700", "10/1000 20/2000 20/2000 25/2500 27/2700", 0)]
    // Two recreates in a row, traffic between each.
    [InlineData("10/1000 R3/300 R4/400", "10/1000 13/1300 17/1700", 0)]
    // Reset by someone else (a value went down): the last reading is carried, the rest since then is lost.
    [InlineData("10/1000 20/2000 3/300 5/500", "10/1000 20/2000 23/2300 25/2500", 1)]
    // Packets equal but bytes lower is a reset too (never a negative delta).
    [InlineData("10/1000 10/900", "10/1000 20/1900", 1)]
    // No traffic: nothing moves.
    [InlineData("0/0 0/0 R0/0 0/0", "0/0 0/0 0/0 0/0", 0)]
    public void Observe_ReadingsAndRecreates_TotalsNeverGoBackwards(string readings, string totals, long unexpectedResets)
    {
        var state = new TrafficCounterState();
        var results = new List<string>();
        foreach (var reading in readings.Split(' '))
        {
            var raw = reading;
            if (raw.StartsWith('R'))
            {
                state.TableRecreated();
                raw = raw[1..];
            }

            var parts = raw.Split('/');
            var total = state.Observe("c", new NftCounter(ulong.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), ulong.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)));
            results.Add($"{total.Packets}/{total.Bytes}");
        }

        Assert.Equal(totals, string.Join(' ', results));
        Assert.Equal(unexpectedResets, state.UnexpectedResets);
        var packets = results.Select(r => ulong.Parse(r.Split('/')[0], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(packets.Order(), packets);
    }

    [Fact]
    public void TryGetTotal_AfterRecreateBeforeNextRead_StillTheCarriedTotal()
    {
        var state = new TrafficCounterState();
        state.Observe("c", new NftCounter(10, 1000));

        state.TableRecreated();

        Assert.True(state.TryGetTotal("c", out var total));
        Assert.Equal(new NftCounter(10, 1000), total);
        Assert.False(state.TryGetTotal("never", out _));
    }

    [Fact]
    public void Retain_RemovedCounter_Forgotten_ComesBackFromZero()
    {
        var state = new TrafficCounterState();
        state.Observe("policy_1", new NftCounter(10, 1000));
        state.Observe("policy_2", new NftCounter(5, 500));

        state.Retain(["policy_2"]);

        Assert.False(state.TryGetTotal("policy_1", out _));
        Assert.Equal(new NftCounter(1, 100), state.Observe("policy_1", new NftCounter(1, 100)));
        Assert.Equal(new NftCounter(6, 600), state.Observe("policy_2", new NftCounter(6, 600)));
        Assert.Equal(0, state.UnexpectedResets);
    }
}
