using System.Net;
using Patronus.Engine.Routing.Kernel;

namespace Patronus.Engine.Tests.Routing;

public sealed class RouteMessageTests
{
    [Fact]
    public void Write_NewRoute_GoldenBytes()
    {
        var buffer = new byte[RouteMessage.MaxSize];

        var length = RouteMessage.Write(buffer, RouteMessage.NewRoute, 7, IPNetwork.Parse("10.99.0.0/16"), IPAddress.Parse("10.240.1.2"), 3, 254, 0);

        // Laid out from rtnetlink(7) and linux/rtnetlink.h: what `ip route replace 10.99.0.0/16 via 10.240.1.2 dev <3> proto 250` asks for.
        Assert.Equal(Convert.FromHexString(
            "44000000" + "1800" + "0505" + "07000000" + "00000000" + // nlmsghdr: len 68, RTM_NEWROUTE, REQUEST|ACK|REPLACE|CREATE, seq 7
            "02100000" + "fefa0001" + "00000000" +                   // rtmsg: AF_INET /16, table main, proto 250, universe, unicast
            "08000100" + "0a630000" +                                 // RTA_DST 10.99.0.0
            "08000500" + "0af00102" +                                 // RTA_GATEWAY 10.240.1.2
            "08000400" + "03000000" +                                 // RTA_OIF 3
            "08000f00" + "fe000000" +                                 // RTA_TABLE 254
            "08000600" + "00000000"),                                 // RTA_PRIORITY 0
            buffer[..length]);
    }

    [Fact]
    public void Write_DeleteV6InHighTable_UsesCompatTableAndAnyScope()
    {
        var buffer = new byte[RouteMessage.MaxSize];

        var length = RouteMessage.Write(buffer, RouteMessage.DeleteRoute, 1, IPNetwork.Parse("2001:db8::/32"), null, 0, 1000, 0);

        Assert.Equal(0x19, buffer[4]);            // RTM_DELROUTE
        Assert.Equal(0x05, buffer[6]);            // REQUEST|ACK only
        Assert.Equal([10, 32, 0, 0, 252, 250, 255, 1], buffer[16..24]); // AF_INET6 /32, RT_TABLE_COMPAT, scope nowhere
        Assert.Equal(16 + 12 + 20 + 8 + 8, length); // DST(16 octets) + TABLE + PRIORITY, no gateway, no oif
    }

    [Theory]
    [InlineData("24000000" + "0200" + "0000" + "07000000" + "00000000" + "00000000" + "0000000000000000000000000000000000000000", 7u, true, 0)]
    [InlineData("24000000" + "0200" + "0000" + "07000000" + "00000000" + "9bffffff" + "0000000000000000000000000000000000000000", 7u, true, 101)]
    [InlineData("24000000" + "0200" + "0000" + "06000000" + "00000000" + "00000000" + "0000000000000000000000000000000000000000", 7u, false, 0)]
    [InlineData("ffff0000" + "0200" + "0000" + "07000000", 7u, false, 0)]
    [InlineData("", 7u, false, 0)]
    public void TryReadAck_MatchesSequenceAndErrno(string hex, uint sequence, bool found, int errno)
    {
        Assert.Equal(found, RouteMessage.TryReadAck(Convert.FromHexString(hex), sequence, out var e));
        Assert.Equal(errno, e);
    }

    [Fact]
    public void TryReadAck_RandomInput_NeverThrows()
    {
        var random = new Random(5);
        var buffer = new byte[64];
        for (var i = 0; i < 10_000; i++)
        {
            random.NextBytes(buffer);
            RouteMessage.TryReadAck(buffer.AsSpan(0, random.Next(buffer.Length)), 1, out _);
        }
    }
}
