using System.Net;
using Patronus.Engine.Probes.Stamp;

namespace Patronus.Engine.Tests.Probes.Stamp;

public sealed class StampReflectorAdmissionTests
{
    private const int OwnPort = 8620;

    [Theory]
    [InlineData("10.240.1.1", 50000, null)]
    [InlineData("10.240.1.1", 1024, null)]
    [InlineData("2001:db8::1", 40000, null)]
    [InlineData("::ffff:10.240.1.1", 40000, null)]
    [InlineData("10.240.1.1", OwnPort, "reflector_port")]
    [InlineData("10.240.1.1", 862, "reflector_port")]
    [InlineData("2001:db8::1", 862, "reflector_port")]
    [InlineData("10.240.1.1", 7, "well_known_port")]
    [InlineData("10.240.1.1", 53, "well_known_port")]
    [InlineData("10.240.1.1", 1023, "well_known_port")]
    [InlineData("10.240.1.1", 0, "bad_source")]
    [InlineData("0.0.0.0", 50000, "bad_source")]
    [InlineData("0.1.2.3", 50000, "bad_source")]
    [InlineData("224.0.0.1", 50000, "bad_source")]
    [InlineData("239.255.255.250", 50000, "bad_source")]
    [InlineData("255.255.255.255", 50000, "bad_source")]
    [InlineData("::", 50000, "bad_source")]
    [InlineData("ff02::1", 50000, "bad_source")]
    [InlineData("::ffff:224.0.0.1", 50000, "bad_source")]
    public void CheckSource_Table(string address, int port, string? expected)
    {
        var sockaddr = new IPEndPoint(IPAddress.Parse(address), port).Serialize();

        Assert.Equal(expected, StampReflectorAdmission.CheckSource(sockaddr.Buffer.Span[..sockaddr.Size], OwnPort, out _));
    }

    [Fact]
    public void CheckSource_TruncatedSockaddr_BadSource()
    {
        var sockaddr = new IPEndPoint(IPAddress.IPv6Loopback, 50000).Serialize();

        Assert.Equal("bad_source", StampReflectorAdmission.CheckSource(sockaddr.Buffer.Span[..20], OwnPort, out _));
    }

    [Fact]
    public void IsReflectedPacket_SenderPacketsAndReflectorReplies_ToldApart()
    {
        var sender = new byte[StampSenderPacket.Size];
        new StampSenderPacket(7, new NtpTimestamp(0xAABB_CCDD_0000_0001), ErrorEstimate.Unsynchronized).TryWrite(sender, out _);
        var reply = new byte[StampReflectorPacket.Size];
        var t = new NtpTimestamp(0xAABB_CCDD_0000_0002);
        new StampReflectorPacket(7, t, ErrorEstimate.Unsynchronized, t, 7, new NtpTimestamp(1), ErrorEstimate.Unsynchronized, 64).TryWrite(reply, out _);

        Assert.False(StampReflectorAdmission.IsReflectedPacket(sender));
        Assert.True(StampReflectorAdmission.IsReflectedPacket(reply));
        Assert.False(StampReflectorAdmission.IsReflectedPacket(reply.AsSpan(0, 43)));

        // A sender's SSID (RFC 8972, octets 14..15) or padding past 44 does not make it a reply.
        sender[14] = 0x12;
        sender[15] = 0x34;
        Assert.False(StampReflectorAdmission.IsReflectedPacket([.. sender, .. Enumerable.Repeat((byte)0xAB, 20)]));

        // Half a reply is still a test packet with stray MBZ octets, which RFC 8762 says to ignore.
        reply[37] = 0;
        Assert.False(StampReflectorAdmission.IsReflectedPacket(reply));
    }
}
