using Patronus.Engine.Probes.Stamp;

namespace Patronus.Engine.Tests.Probes.Stamp;

public class ErrorEstimateTests
{
    [Theory]
    // |S|Z|  Scale(6) |  Multiplier(8) |
    [InlineData(true, false, 0, 1, 0x8001)]
    [InlineData(false, true, 0, 1, 0x4001)]
    [InlineData(false, false, 63, 0, 0x3F00)]
    [InlineData(true, true, 63, 255, 0xFFFF)]
    [InlineData(false, false, 32, 1, 0x2001)]
    [InlineData(false, false, 0b10_1010, 0xA5, 0x2AA5)]
    public void Create_Fields_LayOutBitsPerRfc4656(bool synchronized, bool ptp, int scale, byte multiplier, int expected)
    {
        var estimate = ErrorEstimate.Create(synchronized, ptp, scale, multiplier);

        Assert.Equal((ushort)expected, estimate.Value);
        Assert.Equal(synchronized, estimate.Synchronized);
        Assert.Equal(ptp, estimate.PtpTimestamps);
        Assert.Equal(scale, estimate.Scale);
        Assert.Equal(multiplier, estimate.Multiplier);
        Assert.Equal(multiplier != 0, estimate.IsValid);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(64)]
    public void Create_ScaleOutOfRange_Throws(int scale)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ErrorEstimate.Create(false, false, scale, 1));
    }

    [Theory]
    [InlineData(32, 1, 1.0)]
    [InlineData(0, 1, 1.0 / 4294967296.0)]
    [InlineData(31, 3, 1.5)]
    public void Seconds_ScaleAndMultiplier_IsMultiplierTimesTwoToScaleMinus32(int scale, byte multiplier, double seconds)
    {
        Assert.Equal(seconds, ErrorEstimate.Create(false, false, scale, multiplier).Seconds);
    }

    [Fact]
    public void Unsynchronized_IsNtpUnsyncOneSecond()
    {
        var e = ErrorEstimate.Unsynchronized;

        Assert.False(e.Synchronized);
        Assert.False(e.PtpTimestamps);
        Assert.True(e.IsValid);
        Assert.Equal(1.0, e.Seconds);
    }

    [Fact]
    public void TryWrite_TryRead_RoundTripBigEndian()
    {
        Span<byte> buffer = stackalloc byte[2];

        Assert.True(new ErrorEstimate(0x8A05).TryWrite(buffer, out var written));
        Assert.Equal(2, written);
        Assert.Equal(new byte[] { 0x8A, 0x05 }, buffer.ToArray());
        Assert.True(ErrorEstimate.TryRead(buffer, out var read));
        Assert.Equal(new ErrorEstimate(0x8A05), read);
        Assert.False(ErrorEstimate.TryRead(buffer[..1], out _));
        Assert.False(read.TryWrite(buffer[..1], out _));
    }
}
