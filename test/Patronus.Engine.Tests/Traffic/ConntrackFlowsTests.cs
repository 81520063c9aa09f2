using System.Net;
using Patronus.Engine.Traffic;

namespace Patronus.Engine.Tests.Traffic;

/// <summary>Active flows from /proc/net/nf_conntrack lines captured on kernel 6.18 (addresses changed where noted).</summary>
public sealed class ConntrackFlowsTests
{
    private const string IcmpUnreplied =
        "ipv4     2 icmp     1 18 src=10.240.1.1 dst=10.240.20.5 type=8 code=0 id=32059 [UNREPLIED] src=10.240.20.5 dst=10.240.1.1 type=0 code=0 id=32059 mark=0 zone=0 use=2";

    private const string TcpEstablished =
        "ipv4     2 tcp      6 432000 ESTABLISHED src=127.0.0.1 dst=127.0.0.1 sport=50416 dport=5555 src=127.0.0.1 dst=127.0.0.1 sport=5555 dport=50416 [ASSURED] mark=0 zone=0 use=2";

    private const string TcpTimeWait =
        "ipv4     2 tcp      6 120 TIME_WAIT src=127.0.0.1 dst=127.0.0.1 sport=50416 dport=5555 src=127.0.0.1 dst=127.0.0.1 sport=5555 dport=50416 [ASSURED] mark=0 zone=0 use=2";

    private const string Udp6 =
        "ipv6     10 udp      17 30 src=0000:0000:0000:0000:0000:0000:0000:0001 dst=0000:0000:0000:0000:0000:0000:0000:0001 sport=56332 dport=5556 [UNREPLIED] src=0000:0000:0000:0000:0000:0000:0000:0001 dst=0000:0000:0000:0000:0000:0000:0000:0001 sport=5556 dport=56332 mark=0 zone=0 use=2";

    [Theory]
    [InlineData(IcmpUnreplied, "10.240.20.5", false)]
    [InlineData(TcpEstablished, "127.0.0.1", false)]
    [InlineData(TcpTimeWait, "127.0.0.1", true)]
    [InlineData(Udp6, "::1", false)]
    // NAT: the original direction's destination counts (what the initiator asked for), not the reply's.
    [InlineData("ipv4     2 tcp      6 299 ESTABLISHED src=10.240.10.2 dst=10.240.20.2 sport=1 dport=80 src=10.240.20.2 dst=10.240.1.1 sport=80 dport=1 [ASSURED] mark=0 zone=0 use=2", "10.240.20.2", false)]
    [InlineData("ipv4     2 tcp      6 10 CLOSE src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 mark=0 zone=0 use=2", "10.0.0.2", true)]
    [InlineData("ipv4     2 tcp      6 60 CLOSE_WAIT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 mark=0 zone=0 use=2", "10.0.0.2", false)]
    public void TryReadLine_CapturedLines_OriginalDestinationAndWhetherFinished(string line, string destination, bool finished)
    {
        Assert.True(ConntrackFlows.TryReadLine(line, out var address, out var done));

        Assert.Equal(IPAddress.Parse(destination), address);
        Assert.Equal(finished, done);
    }

    [Theory]
    [InlineData("ipv4 2 icmp 1 18 src=10.0.0.1")]
    [InlineData("ipv4 2 icmp 1 18 src=10.0.0.1 dst=10.0.0.300 type=8")]
    [InlineData("ipv4 2 icmp 1 18 src=10.0.0.1 dst= type=8")]
    [InlineData("garbage")]
    public void TryReadLine_Malformed_False(string line) => Assert.False(ConntrackFlows.TryReadLine(line, out _, out _));

    [Fact]
    public void Count_NestedPolicies_LongestPrefixWinsFinishedAndMalformedSkipped()
    {
        var map = new PolicyPrefixMap(
        [
            new PolicyCounter(1, "wide", "policy_1", [IPNetwork.Parse("10.240.0.0/16"), IPNetwork.Parse("::/0")]),
            new PolicyCounter(2, "narrow", "policy_2", [IPNetwork.Parse("10.240.20.0/24")]),
            new PolicyCounter(3, "loopback", "policy_3", [IPNetwork.Parse("127.0.0.0/8")]),
            new PolicyCounter(4, "idle", "policy_4", [IPNetwork.Parse("192.0.2.0/24")]),
        ]);

        var count = ConntrackFlows.Count(
        [
            IcmpUnreplied,                                         // 10.240.20.5 → narrow
            IcmpUnreplied.Replace("dst=10.240.20.5", "dst=10.240.9.9", StringComparison.Ordinal), // → wide
            TcpEstablished,                                        // → loopback
            TcpTimeWait,                                           // finished: not counted
            Udp6,                                                  // ::1 → wide (::/0)
            "ipv4 2 icmp 1 18 src=10.0.0.1 dst=203.0.113.1 type=8 code=0 id=1 mark=0 zone=0 use=2", // no policy
            "truncated line",
            string.Empty,
        ], map);

        Assert.Equal(new Dictionary<long, long> { [1] = 2, [2] = 1, [3] = 1 }, count.PerPolicy);
        Assert.Equal(1, count.Malformed);
    }

    [Theory]
    [InlineData("10.1.2.3", 2L)]
    [InlineData("10.1.3.3", 1L)]
    [InlineData("10.2.0.1", null)]
    [InlineData("2001:db8:1::5", 3L)]
    [InlineData("2001:db9::5", null)]
    [InlineData("0.0.0.0", null)]
    public void TryFind_LongestPrefix(string address, long? policy)
    {
        var map = new PolicyPrefixMap(
        [
            new PolicyCounter(1, "a", "policy_1", [IPNetwork.Parse("10.1.0.0/16")]),
            new PolicyCounter(2, "b", "policy_2", [IPNetwork.Parse("10.1.2.0/24")]),
            new PolicyCounter(3, "c", "policy_3", [IPNetwork.Parse("2001:db8::/32")]),
        ]);

        Assert.Equal(policy, map.TryFind(IPAddress.Parse(address), out var id) ? id : null);
    }
}
