using Patronus.Engine.Probes.Stamp;

namespace Patronus.Engine.Tests.Probes.Stamp;

public class NtpTimestampTests
{
    private static readonly DateTimeOffset s_unixEpoch = new(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void FromDateTimeOffset_NtpEpoch_IsZero()
    {
        Assert.Equal(0UL, NtpTimestamp.FromDateTimeOffset(new DateTimeOffset(1900, 1, 1, 0, 0, 0, TimeSpan.Zero)).Value);
    }

    [Fact]
    public void FromDateTimeOffset_UnixEpoch_Is2208988800Seconds()
    {
        var t = NtpTimestamp.FromDateTimeOffset(s_unixEpoch);

        Assert.Equal(2_208_988_800u, t.Seconds);
        Assert.Equal(0x83AA_7E80u, t.Seconds);
        Assert.Equal(0u, t.Fraction);
    }

    [Fact]
    public void FromDateTimeOffset_HalfSecond_FractionIsTwoToThe31()
    {
        var t = NtpTimestamp.FromDateTimeOffset(s_unixEpoch.AddMilliseconds(500));

        Assert.Equal(new NtpTimestamp(0x83AA_7E80u, 0x8000_0000u), t);
    }

    [Fact]
    public void FromDateTimeOffset_OffsetIsIgnored_UsesUtc()
    {
        var local = new DateTimeOffset(1970, 1, 1, 2, 0, 0, TimeSpan.FromHours(2));

        Assert.Equal(NtpTimestamp.FromDateTimeOffset(s_unixEpoch), NtpTimestamp.FromDateTimeOffset(local));
    }

    [Fact]
    public void FromDateTimeOffset_Era1Start_WrapsToZero()
    {
        Assert.Equal(new DateTimeOffset(2036, 2, 7, 6, 28, 16, TimeSpan.Zero), NtpTimestamp.Era1Start);
        Assert.Equal(0UL, NtpTimestamp.FromDateTimeOffset(NtpTimestamp.Era1Start).Value);
        Assert.Equal(new NtpTimestamp(0xFFFF_FFFFu, 0), NtpTimestamp.FromDateTimeOffset(NtpTimestamp.Era1Start.AddSeconds(-1)));
    }

    [Fact]
    public void FromDateTimeOffset_Before1900_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NtpTimestamp.FromDateTimeOffset(new DateTimeOffset(1899, 12, 31, 23, 59, 59, TimeSpan.Zero)));
    }

    [Fact]
    public void ToDateTimeOffset_UnixEpochSeconds_IsUnixEpoch()
    {
        Assert.Equal(s_unixEpoch, new NtpTimestamp(2_208_988_800u, 0).ToDateTimeOffset());
    }

    [Theory]
    [InlineData("1900-01-01T00:00:00.0000000Z")]
    [InlineData("1970-01-01T00:00:00.0000001Z")]
    [InlineData("2024-02-29T12:34:56.7890123Z")]
    [InlineData("2036-02-07T06:28:15.9999999Z")]
    public void ToDateTimeOffset_RoundTripInEra0_IsExactToTheTick(string iso)
    {
        var time = DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(time, NtpTimestamp.FromDateTimeOffset(time).ToDateTimeOffset());
    }

    [Theory]
    [InlineData("2036-02-07T06:28:16.0000000Z")]
    [InlineData("2040-06-01T00:00:00.1234567Z")]
    [InlineData("2030-01-01T00:00:00.0000000Z")]
    public void ToDateTimeOffset_WithNearbyReference_PicksTheRightEra(string iso)
    {
        var time = DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);
        var reference = time.AddDays(-3);

        Assert.Equal(time, NtpTimestamp.FromDateTimeOffset(time).ToDateTimeOffset(reference));
    }

    [Fact]
    public void Subtract_AcrossEraBoundary_IsSmallPositive()
    {
        var before = NtpTimestamp.FromDateTimeOffset(NtpTimestamp.Era1Start.AddMilliseconds(-250));
        var after = NtpTimestamp.FromDateTimeOffset(NtpTimestamp.Era1Start.AddMilliseconds(750));

        Assert.Equal(TimeSpan.FromSeconds(1), after - before);
        Assert.Equal(TimeSpan.FromSeconds(-1), before - after);
    }

    [Fact]
    public void Subtract_QuarterSecondFraction_Is250Milliseconds()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(250), new NtpTimestamp(10, 0x4000_0000) - new NtpTimestamp(10, 0));
    }

    [Fact]
    public void TryWrite_TryRead_RoundTripBigEndian()
    {
        var t = new NtpTimestamp(0x0102_0304u, 0x0506_0708u);
        Span<byte> buffer = stackalloc byte[8];

        Assert.True(t.TryWrite(buffer, out var written));
        Assert.Equal(8, written);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, buffer.ToArray());
        Assert.True(NtpTimestamp.TryRead(buffer, out var read));
        Assert.Equal(t, read);
    }

    [Fact]
    public void TryReadTryWrite_ShortBuffer_ReturnFalse()
    {
        Assert.False(NtpTimestamp.TryRead(new byte[7], out _));
        Assert.False(new NtpTimestamp(1).TryWrite(new byte[7], out var written));
        Assert.Equal(0, written);
    }
}
