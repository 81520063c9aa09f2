using System.Net.Sockets;
using Patronus.Engine.Probes.Icmp;

namespace Patronus.Engine.Tests.Probes.Icmp;

public class IcmpEchoPacketTests
{
    [Fact]
    public void TryWrite_IPv4Request_MatchesGoldenBytes()
    {
        // Same bytes as the request the kernel answered in IcmpTestPackets (checksum 0x4326).
        var buffer = new byte[IcmpEchoPacket.Length];

        Assert.True(IcmpEchoPacket.CreateRequest(AddressFamily.InterNetwork, 0x1234, 0x0001_0001).TryWrite(buffer, out var written));

        Assert.Equal(16, written);
        Assert.Equal(IcmpTestPackets.CapturedRequest, buffer);
    }

    [Fact]
    public void TryWrite_IPv4Reply_MatchesKernelReplyBytes()
    {
        var reply = new IcmpEchoPacket(IcmpEchoPacket.EchoReplyV4, 0, 0, 0x1234, 0x0001, IcmpEchoPacket.PatronusMagic, 0x0001_0001);
        var buffer = new byte[IcmpEchoPacket.Length];

        Assert.True(reply.TryWrite(buffer, out _));

        Assert.Equal(IcmpTestPackets.CapturedLinuxReply.AsSpan(20).ToArray(), buffer);
    }

    [Fact]
    public void TryWrite_IPv6Request_LeavesChecksumZeroForTheKernel()
    {
        var buffer = new byte[IcmpEchoPacket.Length];

        Assert.True(IcmpEchoPacket.CreateRequest(AddressFamily.InterNetworkV6, 0xBEEF, 0xDEAD_0102).TryWrite(buffer, out _));

        Assert.Equal(Convert.FromHexString("80000000BEEF01025054524EDEAD0102"), buffer);
    }

    [Fact]
    public void TryWrite_BufferTooSmall_ReturnsFalse()
    {
        var packet = IcmpEchoPacket.CreateRequest(AddressFamily.InterNetwork, 1, 1);

        Assert.False(packet.TryWrite(new byte[IcmpEchoPacket.Length - 1], out var written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void TryRead_CapturedReply_ReadsEveryField()
    {
        Assert.True(IcmpEchoPacket.TryRead(IcmpTestPackets.CapturedLinuxReply.AsSpan(20), out var packet));

        Assert.Equal(new IcmpEchoPacket(0, 0, 0x4B26, 0x1234, 1, IcmpEchoPacket.PatronusMagic, 0x0001_0001), packet);
    }

    [Fact]
    public void TryRead_LongerForeignPayload_ReadsTheFirstEightPayloadBytes()
    {
        var message = new byte[64];
        IcmpTestPackets.CapturedRequest.CopyTo(message, 0);

        Assert.True(IcmpEchoPacket.TryRead(message, out var packet));
        Assert.Equal(0x0001_0001u, packet.FullSequence);
    }

    [Fact]
    public void TryRead_ShorterThanProbe_ReturnsFalse()
    {
        Assert.False(IcmpEchoPacket.TryRead(IcmpTestPackets.CapturedRequest.AsSpan(0, 15), out _));
        Assert.False(IcmpEchoPacket.TryRead([], out _));
    }

    [Fact]
    public void TryReadIPv4_Ihl5_SkipsTheHeader()
    {
        Assert.True(IcmpEchoPacket.TryReadIPv4(IcmpTestPackets.CapturedLinuxReply, out var packet));

        Assert.Equal(IcmpEchoPacket.EchoReplyV4, packet.Type);
        Assert.Equal(0x1234, packet.Identifier);
        Assert.Equal(0x0001_0001u, packet.FullSequence);
    }

    [Fact]
    public void TryReadIPv4_Ihl6WithOptions_SkipsTheOptions()
    {
        var withOptions = IcmpTestPackets.ReplyWithOptions();

        Assert.True(IcmpEchoPacket.TryGetIcmpFromIPv4(withOptions, out var icmp));
        Assert.Equal(IcmpTestPackets.CapturedLinuxReply.AsSpan(20).ToArray(), icmp.ToArray());
        Assert.True(IcmpEchoPacket.TryReadIPv4(withOptions, out var packet));
        Assert.Equal(0x1234, packet.Identifier);
        Assert.True(IcmpEchoPacket.IsIcmpV4ChecksumValid(icmp));
    }

    [Fact]
    public void TryReadIPv4_TrailingBytesBeyondTotalLength_AreIgnored()
    {
        var padded = new byte[IcmpTestPackets.CapturedLinuxReply.Length + 6];
        IcmpTestPackets.CapturedLinuxReply.CopyTo(padded, 0);

        Assert.True(IcmpEchoPacket.TryGetIcmpFromIPv4(padded, out var icmp));
        Assert.Equal(16, icmp.Length);
    }

    [Theory]
    [InlineData(9, 17, "protocol UDP")]
    [InlineData(0, 0x65, "version 6")]
    [InlineData(0, 0x44, "IHL 4")]
    [InlineData(0, 0x4F, "IHL past the end")]
    [InlineData(3, 0x30, "total length past the end")]
    [InlineData(3, 0x10, "total length inside the header")]
    [InlineData(6, 0x20, "more fragments")]
    [InlineData(7, 0x01, "fragment offset")]
    public void TryGetIcmpFromIPv4_BadHeaderField_ReturnsFalse(int offset, byte value, string because)
    {
        var packet = (byte[])IcmpTestPackets.CapturedLinuxReply.Clone();
        packet[offset] = value;

        Assert.False(IcmpEchoPacket.TryGetIcmpFromIPv4(packet, out _), because);
        Assert.False(IcmpEchoPacket.TryReadIPv4(packet, out _), because);
    }

    [Fact]
    public void TryGetIcmpFromIPv4_ShorterThanAHeader_ReturnsFalse()
    {
        Assert.False(IcmpEchoPacket.TryGetIcmpFromIPv4(IcmpTestPackets.CapturedLinuxReply.AsSpan(0, 19), out _));
    }

    [Fact]
    public void IsIcmpV4ChecksumValid_OneBitFlipped_IsFalse()
    {
        var message = (byte[])IcmpTestPackets.CapturedRequest.Clone();
        message[13] ^= 0x04;

        Assert.False(IcmpEchoPacket.IsIcmpV4ChecksumValid(message));
        Assert.True(IcmpEchoPacket.IsIcmpV4ChecksumValid(IcmpTestPackets.CapturedRequest));
    }

    [Fact]
    public void TryWriteThenTryRead_RandomFields_RoundTrips()
    {
        var random = new Random(792);
        var buffer = new byte[IcmpEchoPacket.Length];
        byte[] types = [IcmpEchoPacket.EchoRequestV4, IcmpEchoPacket.EchoReplyV4, IcmpEchoPacket.EchoRequestV6, IcmpEchoPacket.EchoReplyV6];
        for (var n = 0; n < 10_000; n++)
        {
            var original = new IcmpEchoPacket(
                types[random.Next(types.Length)], (byte)random.Next(256), 0, (ushort)random.Next(1 << 16), (ushort)random.Next(1 << 16),
                (uint)random.NextInt64(1L << 32), (uint)random.NextInt64(1L << 32));

            Assert.True(original.TryWrite(buffer, out var written));
            Assert.True(IcmpEchoPacket.TryRead(buffer.AsSpan(0, written), out var read));

            Assert.Equal(original with { Checksum = read.Checksum }, read);
            if (original.IsIcmpV6)
            {
                Assert.Equal(0, read.Checksum);
            }
            else
            {
                Assert.True(IcmpEchoPacket.IsIcmpV4ChecksumValid(buffer));
            }
        }
    }

    [Fact]
    public void CreateRequest_SequencePast16Bits_KeepsLow16InTheHeaderAndAll32InThePayload()
    {
        var packet = IcmpEchoPacket.CreateRequest(AddressFamily.InterNetwork, 7, 0x0003_FFFF);

        Assert.Equal(0xFFFF, packet.Sequence);
        Assert.Equal(0x0003_FFFFu, packet.FullSequence);
        Assert.Equal(IcmpEchoPacket.PatronusMagic, packet.Magic);
    }
}
