using Patronus.Engine.Probes.Icmp;

namespace Patronus.Engine.Tests.Probes.Icmp;

public class IcmpSendRingTests
{
    [Theory]
    [InlineData(0u)]
    [InlineData(1u)]
    [InlineData(65_536u)]
    [InlineData(uint.MaxValue)]
    public void TryTake_RecordedSequence_ReturnsItsTimestampOnce(uint sequence)
    {
        var ring = new IcmpSendRing();
        ring.Record(sequence, 12_345);

        Assert.True(ring.TryTake(sequence, out var sentAt));
        Assert.Equal(12_345, sentAt);
        Assert.False(ring.TryTake(sequence, out _));
    }

    [Fact]
    public void TryTake_NeverRecorded_ReturnsFalse()
    {
        var ring = new IcmpSendRing();

        Assert.False(ring.TryTake(0, out _));
        Assert.False(ring.TryTake(77, out _));
    }

    [Fact]
    public void TryTake_SlotReusedByLaterSequence_OnlyTheLaterMatches()
    {
        var ring = new IcmpSendRing();
        ring.Record(5, 100);
        ring.Record(5 + IcmpSendRing.Capacity, 200);

        Assert.False(ring.TryTake(5, out _));
        Assert.True(ring.TryTake(5 + IcmpSendRing.Capacity, out var sentAt));
        Assert.Equal(200, sentAt);
    }

    [Fact]
    public void TryTake_SameLow16BitsAfterWrap_DistinguishesFullSequences()
    {
        var ring = new IcmpSendRing();
        ring.Record(0x0001_0003, 300);

        Assert.False(ring.TryTake(0x0000_0003, out _));
        Assert.True(ring.TryTake(0x0001_0003, out _));
    }

    [Fact]
    public async Task TryTake_ConcurrentRecordAndTake_NeverReturnsAnotherSequencesTimestamp()
    {
        // The sender stores timestamp = sequence; a taker must only ever see its own.
        var ring = new IcmpSendRing();
        const uint Count = 200_000;
        var sender = Task.Run(() =>
        {
            for (uint s = 0; s < Count; s++)
            {
                ring.Record(s, s);
            }
        });
        var taker = Task.Run(() =>
        {
            var wrong = 0;
            for (uint s = 0; s < Count; s++)
            {
                if (ring.TryTake(s, out var sentAt) && sentAt != s)
                {
                    wrong++;
                }
            }

            return wrong;
        });

        await sender;
        Assert.Equal(0, await taker);
    }
}
