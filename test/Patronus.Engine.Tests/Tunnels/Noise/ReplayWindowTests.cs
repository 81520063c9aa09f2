using Patronus.Engine.Tunnels.Noise;

namespace Patronus.Engine.Tests.Tunnels.Noise;

public class ReplayWindowTests
{
    // Each row: counters fed in order, and whether each is accepted (RFC 6479 semantics).
    public static TheoryData<ulong[], bool[]> Sequences => new()
    {
        // In order, then a duplicate.
        { [0, 1, 2, 2], [true, true, true, false] },

        // Out of order within the window, each once.
        { [5, 3, 4, 3, 5], [true, true, true, false, false] },

        // The oldest counter inside the window (highest − 2047) is accepted, one older is not.
        { [3000, 953, 952], [true, true, false] },

        // A jump of more than the ring clears old bits: a counter reused far later is new again in its block.
        { [1, 100_000, 1, 100_000 - 64, 100_000 - 2047], [true, true, false, true, true] },

        // A jump of exactly one block keeps the previous block's bits.
        { [10, 70, 10], [true, true, false] },

        // Counter 0 first, then far ahead, then 0 again (too old).
        { [0, 5000, 0], [true, true, false] },

        // The limit: REJECT_AFTER_MESSAGES and beyond are refused.
        { [ReplayWindow.RejectAfterMessages - 1, ReplayWindow.RejectAfterMessages, ulong.MaxValue], [true, false, false] },
    };

    [Theory]
    [MemberData(nameof(Sequences))]
    public void TryAccept_Sequence_AcceptsEachCounterOnceWithinWindow(ulong[] counters, bool[] expected)
    {
        var window = new ReplayWindow();

        var actual = counters.Select(window.TryAccept).ToArray();

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void TryAccept_FullWindowOutOfOrder_AcceptsAllOnceThenNone()
    {
        var window = new ReplayWindow();
        // Highest first (2047), then every counter down to 0: exactly WindowSize counters, all in the window.
        var counters = Enumerable.Range(0, ReplayWindow.WindowSize).Select(i => (ulong)i).Reverse().ToArray();

        Assert.All(counters, c => Assert.True(window.TryAccept(c)));
        Assert.All(counters, c => Assert.False(window.TryAccept(c)));
        Assert.True(window.TryAccept(ReplayWindow.WindowSize));
        Assert.False(window.TryAccept(0));
    }

    [Fact]
    public void TryAccept_SlidingForwardOneByOne_KeepsExactlyWindowSizeCountersReplayable()
    {
        var window = new ReplayWindow();
        for (ulong c = 0; c < 10_000; c++)
        {
            Assert.True(window.TryAccept(c));
        }

        // Everything within the window was seen; everything older is too old. Neither is accepted.
        Assert.False(window.TryAccept(9_999 - ReplayWindow.WindowSize + 1));
        Assert.False(window.TryAccept(9_999 - ReplayWindow.WindowSize));
        Assert.True(window.TryAccept(10_000));
    }
}
