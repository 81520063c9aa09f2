using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Tests.Bfd.Wire;

public class BfdControlPacketTests
{
    // RFC 5880 §4.1, laid out by hand: Vers 1, Diag 3 (Neighbor Signaled Session Down), Sta Up (3),
    // P=1 F=0 C=1 A=0 D=0 M=0, Detect Mult 5, Length 24, My Discriminator 0x01020304, Your
    // Discriminator 0x05060708, Desired Min TX 300 000 µs, Required Min RX 50 000 µs, Required Min
    // Echo RX 0.
    private static readonly byte[] s_rfcFigure =
    [
        0x23,                   // Vers 001, Diag 00011
        0xE8,                   // Sta 11, P 1, F 0, C 1, A 0, D 0, M 0
        0x05,                   // Detect Mult
        0x18,                   // Length
        0x01, 0x02, 0x03, 0x04, // My Discriminator
        0x05, 0x06, 0x07, 0x08, // Your Discriminator
        0x00, 0x04, 0x93, 0xE0, // Desired Min TX Interval
        0x00, 0x00, 0xC3, 0x50, // Required Min RX Interval
        0x00, 0x00, 0x00, 0x00, // Required Min Echo RX Interval
    ];

    private static readonly BfdControlPacket s_rfcPacket = new(
        1, BfdDiagnostic.NeighborSignaledSessionDown, BfdState.Up, BfdControlBits.Poll | BfdControlBits.ControlPlaneIndependent,
        5, 24, 0x0102_0304, 0x0506_0708, 300_000, 50_000, 0);

    // What FRR 8.4 sends while Down (bfdd, "receive-interval 300"): version 1, diag 0, state Down,
    // no flags, Detect Mult 3, Length 24, its discriminator (any nonzero value; this one is
    // arbitrary), Your Discriminator 0 until it hears us, Desired Min TX at the 1 s slow rate,
    // Required Min RX as configured, Required Min Echo RX 50 ms (FRR's default).
    internal static readonly byte[] FrrDown =
    [
        0x20, 0x40, 0x03, 0x18,
        0x6D, 0x0A, 0x5B, 0x11,
        0x00, 0x00, 0x00, 0x00,
        0x00, 0x0F, 0x42, 0x40,
        0x00, 0x04, 0x93, 0xE0,
        0x00, 0x00, 0xC3, 0x50,
    ];

    [Fact]
    public void TryWrite_RfcFigure_MatchesGoldenBytes()
    {
        var buffer = new byte[32];
        Array.Fill(buffer, (byte)0xEE);

        Assert.True(s_rfcPacket.TryWrite(buffer, out var written));
        Assert.Equal(24, written);
        Assert.Equal(s_rfcFigure, buffer[..24]);
        Assert.All(buffer[24..], b => Assert.Equal(0xEE, b));
    }

    [Fact]
    public void TryRead_RfcFigure_ReturnsFields()
    {
        Assert.True(BfdControlPacket.TryRead(s_rfcFigure, out var packet));
        Assert.Equal(s_rfcPacket, packet);
        Assert.True(packet.Poll);
        Assert.True(packet.ControlPlaneIndependent);
        Assert.False(packet.Final || packet.AuthenticationPresent || packet.Demand || packet.Multipoint);
    }

    [Fact]
    public void TryRead_FrrDown_ReturnsFields()
    {
        Assert.True(BfdControlPacket.TryRead(FrrDown, out var packet));
        Assert.Equal(
            new BfdControlPacket(1, BfdDiagnostic.None, BfdState.Down, BfdControlBits.None, 3, 24, 0x6D0A_5B11, 0, 1_000_000, 300_000, 50_000),
            packet);
    }

    [Theory]
    [InlineData(BfdControlBits.Poll, 0x20)]
    [InlineData(BfdControlBits.Final, 0x10)]
    [InlineData(BfdControlBits.ControlPlaneIndependent, 0x08)]
    [InlineData(BfdControlBits.AuthenticationPresent, 0x04)]
    [InlineData(BfdControlBits.Demand, 0x02)]
    [InlineData(BfdControlBits.Multipoint, 0x01)]
    public void TryWrite_EachBit_LandsInItsPosition(BfdControlBits bit, byte expected)
    {
        var packet = s_rfcPacket with { State = BfdState.AdminDown, Bits = bit };
        var buffer = new byte[24];

        Assert.True(packet.TryWrite(buffer, out _));
        Assert.Equal(expected, buffer[1]);
    }

    [Theory]
    [InlineData(BfdState.AdminDown, 0x00)]
    [InlineData(BfdState.Down, 0x40)]
    [InlineData(BfdState.Init, 0x80)]
    [InlineData(BfdState.Up, 0xC0)]
    public void TryWrite_EachState_LandsInTopBits(BfdState state, byte expected)
    {
        var buffer = new byte[24];

        Assert.True((s_rfcPacket with { State = state, Bits = BfdControlBits.None }).TryWrite(buffer, out _));
        Assert.Equal(expected, buffer[1]);
    }

    [Fact]
    public void TryRead_LongerThan24_ReadsMandatorySection()
    {
        var bytes = new byte[52];
        s_rfcFigure.CopyTo(bytes, 0);
        bytes.AsSpan(24).Fill(0xFF);

        Assert.True(BfdControlPacket.TryRead(bytes, out var packet));
        Assert.Equal(s_rfcPacket, packet);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(23)]
    public void TryRead_ShortInput_ReturnsFalse(int length)
    {
        Assert.False(BfdControlPacket.TryRead(s_rfcFigure.AsSpan(0, length), out var packet));
        Assert.Equal(default, packet);
    }

    [Fact]
    public void TryWrite_ShortDestination_ReturnsFalse()
    {
        Assert.False(s_rfcPacket.TryWrite(new byte[23], out var written));
        Assert.Equal(0, written);
    }

    [Theory]
    [InlineData(8, 0, 0, 0)]
    [InlineData(1, 32, 0, 0)]
    [InlineData(1, 0, 4, 0)]
    [InlineData(1, 0, 0, 0x40)]
    public void TryWrite_FieldTooWide_ReturnsFalse(byte version, int diagnostic, int state, int bits)
    {
        var packet = s_rfcPacket with { Version = version, Diagnostic = (BfdDiagnostic)diagnostic, State = (BfdState)state, Bits = (BfdControlBits)bits };

        Assert.False(packet.TryWrite(new byte[24], out var written));
        Assert.Equal(0, written);
    }

    [Theory]
    [InlineData(0, 0, 0, 0, 0, 0u, 0u, 0u)]
    [InlineData(7, 31, 3, 0x3F, 255, uint.MaxValue, uint.MaxValue, uint.MaxValue)]
    [InlineData(1, 9, 2, 0x15, 17, 0xDEADBEEFu, 1_000_000u, 12u)]
    public void TryWrite_TryRead_RoundTrip(byte version, int diagnostic, int state, int bits, byte mult, uint discriminator, uint tx, uint rx)
    {
        var packet = new BfdControlPacket(version, (BfdDiagnostic)diagnostic, (BfdState)state, (BfdControlBits)bits, mult, 200, discriminator, ~discriminator, tx, rx, tx ^ rx);
        Span<byte> buffer = stackalloc byte[BfdControlPacket.Size];

        Assert.True(packet.TryWrite(buffer, out _));
        Assert.True(BfdControlPacket.TryRead(buffer, out var read));
        Assert.Equal(packet, read);
    }
}
