using Patronus.Engine.Probes.Stamp;

namespace Patronus.Engine.Tests.Probes.Stamp;

public class StampSenderPacketTests
{
    // RFC 8762 §4.2.1, Figure 3, laid out by hand: Sequence Number 1; Timestamp = the Unix epoch
    // plus 0.5 s (seconds 0x83AA7E80, fraction 0x80000000); Error Estimate S=1 Z=0 Scale=0
    // Multiplier=1 (0x8001); 30 octets MBZ.
    private static readonly byte[] s_golden =
    [
        0x00, 0x00, 0x00, 0x01,                         // Sequence Number
        0x83, 0xAA, 0x7E, 0x80, 0x80, 0x00, 0x00, 0x00, // Timestamp
        0x80, 0x01,                                     // Error Estimate
        0x00, 0x00,                                     // MBZ (30 octets) ...
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00,
    ];

    private static readonly StampSenderPacket s_packet = new(1, new NtpTimestamp(0x83AA_7E80u, 0x8000_0000u), new ErrorEstimate(0x8001));

    [Fact]
    public void Size_Is44()
    {
        Assert.Equal(44, s_golden.Length);
        Assert.Equal(44, StampSenderPacket.Size);
    }

    [Fact]
    public void TryWrite_Packet_MatchesGoldenBytes()
    {
        var buffer = new byte[64];
        Array.Fill(buffer, (byte)0xEE); // MBZ must be written, not assumed

        Assert.True(s_packet.TryWrite(buffer, out var written));
        Assert.Equal(44, written);
        Assert.Equal(s_golden, buffer[..44]);
        Assert.All(buffer[44..], b => Assert.Equal(0xEE, b));
    }

    [Fact]
    public void TryRead_GoldenBytes_ReturnsFields()
    {
        Assert.True(StampSenderPacket.TryRead(s_golden, out var packet));
        Assert.Equal(s_packet, packet);
        Assert.Equal(new DateTimeOffset(1970, 1, 1, 0, 0, 0, 500, TimeSpan.Zero), packet.Timestamp.ToDateTimeOffset());
    }

    [Fact]
    public void TryRead_NonZeroMbz_IsIgnored()
    {
        // RFC 8762 §4.2.1: MBZ MUST be ignored on receipt.
        var bytes = (byte[])s_golden.Clone();
        bytes.AsSpan(14).Fill(0xFF);

        Assert.True(StampSenderPacket.TryRead(bytes, out var packet));
        Assert.Equal(s_packet, packet);
    }

    [Fact]
    public void TryRead_LongerThan44_ReadsBasePacket()
    {
        var bytes = new byte[100];
        s_golden.CopyTo(bytes, 0);

        Assert.True(StampSenderPacket.TryRead(bytes, out var packet));
        Assert.Equal(s_packet, packet);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(14)]
    [InlineData(43)]
    public void TryRead_ShortInput_ReturnsFalse(int length)
    {
        Assert.False(StampSenderPacket.TryRead(s_golden.AsSpan(0, length), out var packet));
        Assert.Equal(default, packet);
    }

    [Fact]
    public void TryWrite_ShortDestination_ReturnsFalse()
    {
        Assert.False(s_packet.TryWrite(new byte[43], out var written));
        Assert.Equal(0, written);
    }

    [Theory]
    [InlineData(0u, 0UL, (ushort)0)]
    [InlineData(uint.MaxValue, ulong.MaxValue, ushort.MaxValue)]
    [InlineData(123456u, 0xDEAD_BEEF_0123_4567UL, (ushort)0x3F7F)]
    public void TryWrite_TryRead_RoundTrip(uint sequence, ulong timestamp, ushort estimate)
    {
        var packet = new StampSenderPacket(sequence, new NtpTimestamp(timestamp), new ErrorEstimate(estimate));
        Span<byte> buffer = stackalloc byte[StampSenderPacket.Size];

        Assert.True(packet.TryWrite(buffer, out _));
        Assert.True(StampSenderPacket.TryRead(buffer, out var read));
        Assert.Equal(packet, read);
    }
}
