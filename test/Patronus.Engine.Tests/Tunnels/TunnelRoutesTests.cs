using Patronus.Engine.Tunnels;

namespace Patronus.Engine.Tests.Tunnels;

public class TunnelRoutesTests
{
    private const string Key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

    /// <summary>Rows: the tunnel address, one peer's allowed prefixes and endpoints; the prefixes routed and those skipped.</summary>
    public static TheoryData<string, string[], string[], string[], string[]> Rows => new()
    {
        // A remote LAN is routed; the peer's tunnel address is inside our own network: the interface route has it.
        { "10.250.0.1/24", ["10.250.0.2/32", "10.20.0.0/24"], ["192.0.2.1:51820"], ["10.20.0.0/24"], ["10.250.0.2/32"] },
        // Equal to our own network: never replaced (the kernel's interface route would go on stop).
        { "10.250.0.1/24", ["10.250.0.0/24"], [], [], ["10.250.0.0/24"] },
        // Wider than our own network (a hub): routed, the local table still delivers our address.
        { "10.250.0.1/24", ["10.0.0.0/8"], ["192.0.2.1:51820"], ["10.0.0.0/8"], [] },
        // Holding the endpoint: a default route, or a prefix covering the WAN, would loop the tunnel into itself.
        { "10.250.0.1/24", ["0.0.0.0/0", "192.0.2.0/24", "10.20.0.0/24"], ["192.0.2.1:51820"], ["10.20.0.0/24"], ["0.0.0.0/0", "192.0.2.0/24"] },
        // Per-path endpoints count too, each of them.
        { "10.250.0.1/24", ["198.51.100.0/24", "10.20.0.0/16"], ["p1=192.0.2.1:51820", "p2=198.51.100.7:51820"], ["10.20.0.0/16"], ["198.51.100.0/24"] },
        // IPv6: the same rules; a host bit in the configured prefix is cleared.
        { "fd00:250::1/64", ["fd00:250::2/128", "fd00:20::1/48", "::/0"], ["[2001:db8::1]:51820"], ["fd00:20::/48"], ["fd00:250::2/128", "::/0"] },
        // No endpoint (the peer initiates): nothing can loop.
        { "10.250.0.1/32", ["0.0.0.0/0"], [], ["0.0.0.0/0"], [] },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void Plan_Row_RoutesAndSkipsAsListed(string address, string[] allowed, string[] endpoints, string[] routed, string[] skipped)
    {
        var peer = new TunnelPeerOptions { Name = "b", PublicKey = Key, AllowedIps = [.. allowed] };
        foreach (var endpoint in endpoints)
        {
            if (endpoint.Split('=') is [var path, var value])
            {
                peer.Endpoints[path] = value;
            }
            else
            {
                peer.Endpoint = endpoint;
            }
        }

        var plan = TunnelRoutes.Plan(new TunnelOptions { Addresses = [address], Peers = [peer] }, "ptun0");

        Assert.Equal(routed.Order(), plan.Wanted.Routes.Select(r => r.Prefix.ToString()).Order());
        Assert.All(plan.Wanted.Routes, r => Assert.True(r.Interface == "ptun0" && r.Gateway is null && r.PathId == "b", r.ToString()));
        Assert.Equal(skipped.Order(), plan.Skipped.Select(s => s.Prefix.ToString()).Order());
        Assert.All(plan.Skipped, s => Assert.Equal("b", s.Peer));
    }

    [Fact]
    public void Plan_TwoPeersAllowSamePrefix_OneRoute()
    {
        var options = new TunnelOptions
        {
            Addresses = ["10.250.0.1/24"],
            Peers =
            [
                new TunnelPeerOptions { Name = "b", PublicKey = Key, AllowedIps = ["10.20.0.0/24"] },
                new TunnelPeerOptions { Name = "c", PublicKey = Key, AllowedIps = ["10.20.0.0/24", "10.30.0.0/24"] },
            ],
        };

        var plan = TunnelRoutes.Plan(options, "ptun0");

        Assert.Equal(["10.20.0.0/24", "10.30.0.0/24"], plan.Wanted.Routes.Select(r => r.Prefix.ToString()).Order());
        Assert.Equal("b", plan.Wanted.Lookup(System.Net.IPAddress.Parse("10.20.0.9"))!.PathId);
    }
}
