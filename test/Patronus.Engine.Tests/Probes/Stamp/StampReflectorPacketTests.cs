using Patronus.Engine.Probes.Stamp;

namespace Patronus.Engine.Tests.Probes.Stamp;

public class StampReflectorPacketTests
{
    // RFC 8762 §4.3.1, Figure 5, laid out by hand.
    private static readonly byte[] s_golden =
    [
        0x00, 0x00, 0x00, 0x07,                         // Sequence Number 7
        0xE8, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, // Timestamp T3 = 0xE8000000 + 0.25 s
        0x0A, 0x05,                                     // Error Estimate S=0 Z=0 Scale=10 Multiplier=5
        0x00, 0x00,                                     // MBZ
        0xE7, 0xFF, 0xFF, 0xFF, 0xC0, 0x00, 0x00, 0x00, // Receive Timestamp T2 = 0xE7FFFFFF + 0.75 s
        0x00, 0x00, 0x00, 0x07,                         // Session-Sender Sequence Number 7
        0xE7, 0xFF, 0xFF, 0xFF, 0x80, 0x00, 0x00, 0x00, // Session-Sender Timestamp
        0x80, 0x01,                                     // Session-Sender Error Estimate
        0x00, 0x00,                                     // MBZ
        0x3F,                                           // Session-Sender TTL 63
        0x00, 0x00, 0x00,                               // MBZ
    ];

    private static readonly StampReflectorPacket s_packet = new(
        Sequence: 7,
        Timestamp: new NtpTimestamp(0xE800_0000u, 0x4000_0000u),
        ErrorEstimate: new ErrorEstimate(0x0A05),
        ReceiveTimestamp: new NtpTimestamp(0xE7FF_FFFFu, 0xC000_0000u),
        SenderSequence: 7,
        SenderTimestamp: new NtpTimestamp(0xE7FF_FFFFu, 0x8000_0000u),
        SenderErrorEstimate: new ErrorEstimate(0x8001),
        SenderTtl: 63);

    [Fact]
    public void Size_Is44()
    {
        Assert.Equal(44, s_golden.Length);
        Assert.Equal(44, StampReflectorPacket.Size);
    }

    [Fact]
    public void TryWrite_Packet_MatchesGoldenBytes()
    {
        var buffer = new byte[44];
        Array.Fill(buffer, (byte)0xEE);

        Assert.True(s_packet.TryWrite(buffer, out var written));
        Assert.Equal(44, written);
        Assert.Equal(s_golden, buffer);
    }

    [Fact]
    public void TryRead_GoldenBytes_ReturnsFields()
    {
        Assert.True(StampReflectorPacket.TryRead(s_golden, out var packet));
        Assert.Equal(s_packet, packet);
    }

    [Fact]
    public void TryRead_NonZeroMbz_IsIgnored()
    {
        var bytes = (byte[])s_golden.Clone();
        bytes[14] = bytes[15] = bytes[38] = bytes[39] = bytes[41] = bytes[42] = bytes[43] = 0xFF;

        Assert.True(StampReflectorPacket.TryRead(bytes, out var packet));
        Assert.Equal(s_packet, packet);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(40)]
    [InlineData(43)]
    public void TryRead_ShortInput_ReturnsFalse(int length)
    {
        Assert.False(StampReflectorPacket.TryRead(s_golden.AsSpan(0, length), out _));
    }

    [Fact]
    public void TryWrite_ShortDestination_ReturnsFalse()
    {
        Assert.False(s_packet.TryWrite(new byte[43], out var written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void TryWrite_TryRead_RoundTrip()
    {
        var packet = s_packet with { Sequence = uint.MaxValue, SenderSequence = 0, SenderTtl = 255, ErrorEstimate = new ErrorEstimate(0xFFFF) };
        Span<byte> buffer = stackalloc byte[StampReflectorPacket.Size];

        Assert.True(packet.TryWrite(buffer, out _));
        Assert.True(StampReflectorPacket.TryRead(buffer, out var read));
        Assert.Equal(packet, read);
    }

    [Fact]
    public void TryGetHoldTime_Ntp_IsT3MinusT2()
    {
        Assert.True(s_packet.TryGetHoldTime(out var hold));
        Assert.Equal(TimeSpan.FromMilliseconds(500), hold);
    }

    [Fact]
    public void TryGetHoldTime_Ptp_UsesSecondsAndNanoseconds()
    {
        var packet = s_packet with
        {
            ErrorEstimate = ErrorEstimate.Create(false, ptpTimestamps: true, 0, 1),
            ReceiveTimestamp = new NtpTimestamp(100, 999_000_000),
            Timestamp = new NtpTimestamp(101, 1_000_000),
        };

        Assert.True(packet.TryGetHoldTime(out var hold));
        Assert.Equal(TimeSpan.FromMilliseconds(2), hold);
    }

    [Fact]
    public void TryGetHoldTime_PtpNanosecondsOutOfRange_ReturnsFalse()
    {
        var packet = s_packet with
        {
            ErrorEstimate = ErrorEstimate.Create(false, ptpTimestamps: true, 0, 1),
            Timestamp = new NtpTimestamp(101, 1_000_000_000),
        };

        Assert.False(packet.TryGetHoldTime(out _));
    }
}
