using System.Net;
using System.Net.Sockets;
using Patronus.Engine.Routing.Kernel;

namespace Patronus.Engine.Tests.Routing;

public sealed class RouteMessageDumpTests
{
    // Laid out from rtnetlink(7) and linux/rtnetlink.h as the kernel answers a dump: NLM_F_MULTI
    // messages with the request's sequence, then NLMSG_DONE.
    private const string OursV4 =
        "44000000" + "1800" + "0200" + "09000000" + "00000000" + // nlmsghdr: len 68, RTM_NEWROUTE, NLM_F_MULTI, seq 9
        "02100000" + "fefa0001" + "00000000" +                   // rtmsg: AF_INET /16, table main, proto 250, universe, unicast
        "08000f00" + "fe000000" +                                 // RTA_TABLE 254
        "08000100" + "0a630000" +                                 // RTA_DST 10.99.0.0
        "08000600" + "07000000" +                                 // RTA_PRIORITY 7
        "08000500" + "0af00102" +                                 // RTA_GATEWAY 10.240.1.2
        "08000400" + "03000000";                                  // RTA_OIF 3

    private const string StaticV4 =
        "34000000" + "1800" + "0200" + "09000000" + "00000000" +
        "02180000" + "fe040001" + "00000000" +                   // AF_INET /24, table main, proto static (4)
        "08000f00" + "fe000000" +
        "08000100" + "0a620000" +                                 // 10.98.0.0
        "08000400" + "03000000";

    private const string Done = "14000000" + "0300" + "0200" + "09000000" + "00000000" + "00000000";

    [Fact]
    public void WriteDump_GoldenBytes()
    {
        var buffer = new byte[RouteMessage.DumpRequestSize];

        var length = RouteMessage.WriteDump(buffer, 9, AddressFamily.InterNetworkV6);

        // What `ip -6 route show table all` asks for: RTM_GETROUTE, NLM_F_REQUEST|NLM_F_DUMP, rtmsg family AF_INET6.
        Assert.Equal(Convert.FromHexString("1c000000" + "1a00" + "0103" + "09000000" + "00000000" + "0a000000" + "00000000" + "00000000"), buffer[..length]);
    }

    [Fact]
    public void ReadDump_OursAndAForeignRouteThenDone_KeepsOnlyOursAndEnds()
    {
        var routes = new List<KernelRoute>();

        Assert.False(RouteMessage.ReadDump(Convert.FromHexString(OursV4 + StaticV4), 9, RouteMessage.Protocol, routes, out _));
        Assert.True(RouteMessage.ReadDump(Convert.FromHexString(Done), 9, RouteMessage.Protocol, routes, out var errno));

        Assert.Equal(0, errno);
        Assert.Equal([new KernelRoute(IPNetwork.Parse("10.99.0.0/16"), 254, 250, 7, IPAddress.Parse("10.240.1.2"), 3)], routes);
    }

    [Fact]
    public void ReadDump_IPv6DefaultRouteInAHighTable_ReadsTableFromTheAttribute()
    {
        var message = Convert.FromHexString(
            "40000000" + "1800" + "0200" + "09000000" + "00000000" +
            "0a000000" + "fcfa0001" + "00000000" +                   // AF_INET6 /0, rtm_table RT_TABLE_COMPAT, proto 250
            "08000f00" + "e8030000" +                                 // RTA_TABLE 1000
            "08000600" + "00040000" +                                 // RTA_PRIORITY 1024
            "14000500" + "fe800000000000000000000000000001");         // RTA_GATEWAY fe80::1
        var routes = new List<KernelRoute>();

        RouteMessage.ReadDump(message, 9, RouteMessage.Protocol, routes, out _);

        Assert.Equal([new KernelRoute(IPNetwork.Parse("::/0"), 1000, 250, 1024, IPAddress.Parse("fe80::1"), 0)], routes);
    }

    [Fact]
    public void ReadDump_ErrorOrOtherSequence_EndsWithItsErrnoOrIsSkipped()
    {
        var routes = new List<KernelRoute>();

        Assert.False(RouteMessage.ReadDump(Convert.FromHexString(OursV4 + Done), 8, RouteMessage.Protocol, routes, out _));
        Assert.Empty(routes);
        Assert.True(RouteMessage.ReadDump(Convert.FromHexString("14000000" + "0200" + "0000" + "08000000" + "00000000" + "ffffffff"), 8, RouteMessage.Protocol, routes, out var errno));
        Assert.Equal(1, errno); // EPERM
    }

    [Fact]
    public void ReadDump_RandomAndTruncatedInput_NeverThrows()
    {
        var random = new Random(250);
        var valid = Convert.FromHexString(OursV4 + StaticV4 + Done);
        var buffer = new byte[valid.Length];
        var routes = new List<KernelRoute>();
        for (var i = 0; i < 20_000; i++)
        {
            valid.CopyTo(buffer, 0);
            for (var flips = random.Next(1, 6); flips > 0; flips--)
            {
                buffer[random.Next(buffer.Length)] = (byte)random.Next(256);
            }

            RouteMessage.ReadDump(buffer.AsSpan(0, random.Next(buffer.Length + 1)), 9, RouteMessage.Protocol, routes, out _);
        }
    }
}
