using Patronus.Engine.Bfd;
using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Tests.Bfd;

public class BfdTimingTests
{
    [Theory]
    [InlineData(300_000u, BfdState.Up, 300_000u)]
    [InlineData(300_000u, BfdState.Init, 1_000_000u)]
    [InlineData(300_000u, BfdState.Down, 1_000_000u)]
    [InlineData(300_000u, BfdState.AdminDown, 1_000_000u)]
    [InlineData(2_000_000u, BfdState.Down, 2_000_000u)]
    public void AdvertisedDesiredMinTx_NotUp_AtLeastOneSecond(uint configured, BfdState state, uint expected) =>
        Assert.Equal(expected, BfdTiming.AdvertisedDesiredMinTx(configured, state));

    [Theory]
    [InlineData(300_000u, 1u, 300_000u)]
    [InlineData(300_000u, 500_000u, 500_000u)]
    [InlineData(1_000_000u, 50_000u, 1_000_000u)]
    public void TransmitInterval_IsTheSlowerSide(uint desired, uint remoteMinRx, uint expected) =>
        Assert.Equal(expected, BfdTiming.TransmitInterval(desired, remoteMinRx));

    [Theory]
    [InlineData(3, 300_000u, 300_000u, 900_000ul)]
    [InlineData(3, 300_000u, 1_000_000u, 3_000_000ul)] // peer still at its slow rate
    [InlineData(5, 500_000u, 100_000u, 2_500_000ul)]   // our Required Min RX governs
    [InlineData(0, 300_000u, 300_000u, 0ul)]           // never heard
    [InlineData(255, uint.MaxValue, 1u, 255ul * uint.MaxValue)]
    public void DetectionTime_RemoteMultTimesSlowerOfRxAndRemoteTx(byte mult, uint requiredMinRx, uint remoteTx, ulong expected) =>
        Assert.Equal(expected, BfdTiming.DetectionTime(mult, requiredMinRx, remoteTx));

    [Theory]
    [InlineData(3, 225_000ul, 299_000ul)]
    [InlineData(255, 225_000ul, 299_000ul)]
    [InlineData(1, 225_000ul, 269_000ul)]
    public void Jitter_SeededDraws_StayWithinBoundsAndCoverThem(byte mult, ulong low, ulong high)
    {
        var random = new Random(5880);
        var min = ulong.MaxValue;
        var max = 0ul;
        for (var i = 0; i < 20_000; i++)
        {
            var value = BfdTiming.Jitter(300_000, mult, random);
            min = Math.Min(min, value);
            max = Math.Max(max, value);
        }

        Assert.InRange(min, low, low + 300);
        Assert.InRange(max, high - 300, high);
    }

    [Theory]
    [InlineData(50_000u, 3, 37_500ul, 49_000ul)] // sent up to 1 ms late: 37.5-50 ms apart
    [InlineData(10_000u, 3, 7_500ul, 9_000ul)] // the shortest interval a path may configure
    [InlineData(10_000u, 1, 7_500ul, 8_000ul)]
    [InlineData(3_000u, 3, 2_250ul, 2_250ul)] // no room (shorter than any config allows): the lower bound
    public void Jitter_LeavesTheLoopsSlackBelowTheInterval(uint interval, byte mult, ulong low, ulong high)
    {
        var random = new Random(5881);
        for (var i = 0; i < 2_000; i++)
        {
            Assert.InRange(BfdTiming.Jitter(interval, mult, random), low, high);
        }
    }

    [Fact]
    public void Jitter_TinyInterval_NeverBelowThreeQuarters()
    {
        var random = new Random(1);
        Assert.Equal(1ul, BfdTiming.Jitter(1, 1, random));
        Assert.InRange(BfdTiming.Jitter(4, 3, random), 3ul, 4ul);
    }
}
