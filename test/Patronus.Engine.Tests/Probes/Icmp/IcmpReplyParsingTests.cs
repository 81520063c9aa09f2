using System.Net.Sockets;
using Patronus.Engine.Probes.Icmp;

namespace Patronus.Engine.Tests.Probes.Icmp;

/// <summary>The receive loop's classification of datagrams (<see cref="IcmpSocket.TryParseReply"/>) and robustness to any input.</summary>
public class IcmpReplyParsingTests
{
    [Fact]
    public void TryParseReply_CapturedIPv4Reply_IsAccepted()
    {
        Assert.True(IcmpSocket.TryParseReply(IcmpTestPackets.CapturedLinuxReply, AddressFamily.InterNetwork, out var packet, out _));
        Assert.Equal(0x1234, packet.Identifier);
        Assert.Equal(0x0001_0001u, packet.FullSequence);
    }

    [Fact]
    public void TryParseReply_IPv6ReplyWithoutIpHeader_IsAccepted()
    {
        var message = new byte[IcmpEchoPacket.Length];
        new IcmpEchoPacket(IcmpEchoPacket.EchoReplyV6, 0, 0, 9, 5, IcmpEchoPacket.PatronusMagic, 0x0007_0005).TryWrite(message, out _);

        Assert.True(IcmpSocket.TryParseReply(message, AddressFamily.InterNetworkV6, out var packet, out _));
        Assert.Equal(0x0007_0005u, packet.FullSequence);
    }

    [Theory]
    [InlineData("request", "not_echo_reply")]
    [InlineData("code", "not_echo_reply")]
    [InlineData("checksum", "bad_checksum")]
    [InlineData("magic", "bad_magic")]
    [InlineData("sequence", "bad_sequence")]
    [InlineData("short", "too_short")]
    [InlineData("udp", "bad_ip_header")]
    public void TryParseReply_Defect_IsDroppedWithItsReason(string defect, string reason)
    {
        var icmp = IcmpTestPackets.CapturedLinuxReply.AsSpan(20).ToArray();
        var header = IcmpTestPackets.CapturedLinuxReply.AsSpan(0, 20).ToArray();
        switch (defect)
        {
            case "request": Rewrite(icmp, p => p with { Type = IcmpEchoPacket.EchoRequestV4 }); break;
            case "code": Rewrite(icmp, p => p with { Code = 1 }); break;
            case "checksum": icmp[15] ^= 1; break;
            case "magic": Rewrite(icmp, p => p with { Magic = 0x61626364 }); break;
            case "sequence": Rewrite(icmp, p => p with { Sequence = 2 }); break;
            case "short": icmp = icmp[..12]; header[3] = (byte)(20 + 12); break;
            case "udp": header[9] = 17; break;
        }

        byte[] datagram = [.. header, .. icmp];

        Assert.False(IcmpSocket.TryParseReply(datagram, AddressFamily.InterNetwork, out _, out var dropReason));
        Assert.Equal(reason, dropReason);
    }

    [Fact]
    public void TryParseReply_RandomBuffers_NeverThrow()
    {
        var random = new Random(4443);
        var buffer = new byte[128];
        for (var n = 0; n < 100_000; n++)
        {
            var data = buffer.AsSpan(0, random.Next(buffer.Length + 1));
            random.NextBytes(data);
            if (n % 2 == 0 && data.Length >= 20)
            {
                // Half plausible IPv4 headers, so parsing gets past the first checks.
                data[0] = (byte)(0x40 | random.Next(5, 16));
                data[2] = 0;
                data[3] = (byte)random.Next(data.Length + 1);
                data[9] = 1;
            }

            IcmpSocket.TryParseReply(data, AddressFamily.InterNetwork, out _, out _);
            IcmpSocket.TryParseReply(data, AddressFamily.InterNetworkV6, out _, out _);
            IcmpEchoPacket.TryReadIPv4(data, out _);
            IcmpEchoPacket.TryRead(data, out _);
            InternetChecksum.Compute(data);
        }
    }

    [Fact]
    public void TryParseReply_MutatedCapturedReply_NeverThrowsAndOnlyAcceptsValidChecksums()
    {
        var random = new Random(1071);
        var mutated = new byte[IcmpTestPackets.CapturedLinuxReply.Length];
        for (var n = 0; n < 100_000; n++)
        {
            IcmpTestPackets.CapturedLinuxReply.CopyTo(mutated, 0);
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            }

            var length = random.Next(10) == 0 ? random.Next(mutated.Length) : mutated.Length;
            var datagram = mutated.AsSpan(0, length);
            if (IcmpSocket.TryParseReply(datagram, AddressFamily.InterNetwork, out _, out _))
            {
                Assert.True(IcmpEchoPacket.TryGetIcmpFromIPv4(datagram, out var icmp));
                Assert.True(IcmpEchoPacket.IsIcmpV4ChecksumValid(icmp));
            }
        }
    }

    private static void Rewrite(byte[] icmp, Func<IcmpEchoPacket, IcmpEchoPacket> change)
    {
        Assert.True(IcmpEchoPacket.TryRead(icmp, out var packet));
        Assert.True(change(packet).TryWrite(icmp, out _));
    }
}
