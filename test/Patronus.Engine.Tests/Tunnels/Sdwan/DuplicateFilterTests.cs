using Patronus.Engine.Tunnels.Sdwan;

namespace Patronus.Engine.Tests.Tunnels.Sdwan;

public class DuplicateFilterTests
{
    // Arrival order of packet sequences (each copy listed as it arrives) → which were delivered.
    [Theory]
    [InlineData("1 1 2 2 3 3", "1 2 3", 3)] // both paths in step
    [InlineData("1 2 3 1 2 3", "1 2 3", 3)] // the second path 3 packets behind
    [InlineData("1 3 2 3 2", "1 3 2", 2)] // reordering on one path: the late first copy is delivered
    [InlineData("5 4 5 4", "5 4", 2)]
    [InlineData("1 1 1", "1", 2)] // three paths
    [InlineData("4294967294 4294967295 0 1 4294967295 0", "4294967294 4294967295 0 1", 2)] // the wrap
    public void TryAccept_Copies_DeliversFirstOfEach(string arrivals, string delivered, int duplicates)
    {
        var filter = new DuplicateFilter();
        var got = new List<uint>();
        foreach (var sequence in arrivals.Split(' ').Select(uint.Parse))
        {
            if (filter.TryAccept(sequence))
            {
                got.Add(sequence);
            }
        }

        Assert.Equal(delivered.Split(' ').Select(uint.Parse), got);
        Assert.Equal(duplicates, filter.DuplicatesDropped);
        Assert.Equal(got.Count, filter.Delivered);
        Assert.Equal(0, filter.TooOld);
    }

    [Fact]
    public void TryAccept_CopyBeyondTheWindow_DroppedAsTooOld()
    {
        var filter = new DuplicateFilter();
        Assert.True(filter.TryAccept(1));
        Assert.True(filter.TryAccept(1 + SequenceWindow.Size));

        Assert.False(filter.TryAccept(1)); // 2048 behind: out of the window
        Assert.True(filter.TryAccept(2)); // 2047 behind, never seen: a late first copy

        Assert.Equal(1, filter.TooOld);
        Assert.Equal(0, filter.DuplicatesDropped);
    }

    [Fact]
    public void TryAccept_LongJumpAhead_ForgetsWhatFellOutOfTheWindow()
    {
        var filter = new DuplicateFilter();
        for (uint s = 1; s <= 100; s++)
        {
            filter.TryAccept(s);
        }

        // A jump of many windows must clear the ring: no stale bit may make a new number a duplicate.
        const uint Far = 100 + (SequenceWindow.Size * 5) + 17;
        Assert.True(filter.TryAccept(Far));
        for (var s = Far - (uint)SequenceWindow.Size + 1; s < Far; s++)
        {
            Assert.True(filter.TryAccept(s), $"{s}");
        }

        Assert.Equal(0, filter.DuplicatesDropped);
    }
}

public class SequenceWindowTests
{
    [Theory]
    [InlineData(10u, 11u, SequenceVerdict.Newest)]
    [InlineData(10u, 10u, SequenceVerdict.Duplicate)]
    [InlineData(10u, 9u, SequenceVerdict.Late)]
    [InlineData(5000u, 2953u, SequenceVerdict.Late)] // 2047 behind
    [InlineData(5000u, 2952u, SequenceVerdict.TooOld)] // 2048 behind
    [InlineData(uint.MaxValue, 0u, SequenceVerdict.Newest)] // wraps forward
    [InlineData(0u, uint.MaxValue, SequenceVerdict.Late)] // wraps backward
    [InlineData(10u, 2147483657u, SequenceVerdict.Newest)] // half the space ahead
    [InlineData(10u, 2147483658u, SequenceVerdict.TooOld)] // beyond half: behind
    public void Observe_AfterHighest_GivesVerdict(uint highest, uint sequence, SequenceVerdict expected)
    {
        var window = new SequenceWindow();
        window.Observe(highest);

        Assert.Equal(expected, window.Observe(sequence));
    }

    [Fact]
    public void Restart_ForgetsEverything()
    {
        var window = new SequenceWindow();
        window.Observe(7);
        window.Observe(8);

        window.Restart(3);

        Assert.Equal(3u, window.Highest);
        Assert.Equal(SequenceVerdict.Newest, window.Observe(8));
        Assert.Equal(SequenceVerdict.Duplicate, window.Observe(3));
    }
}
