using Microsoft.Extensions.Options;
using Patronus.Engine.Paths;
using Patronus.Engine.Tunnels;

namespace Patronus.Engine.Tests.Tunnels;

public class TunnelOptionsValidatorTests
{
    private static readonly string s_keyA = TunnelKeys.GeneratePrivateKey();
    private static readonly string s_keyB = TunnelKeys.GeneratePrivateKey();

    [Fact]
    public void Validate_Defaults_Succeeds()
    {
        Assert.True(new TunnelOptionsValidator().Validate(Options.DefaultName, new TunnelOptions()).Succeeded);
    }

    [Fact]
    public void Validate_FullValidConfig_Succeeds()
    {
        var options = Valid();

        var result = new TunnelOptionsValidator().Validate(Options.DefaultName, options);

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData("PrivateKey", "Tunnels:PrivateKey")]
    [InlineData("PublicKey", "Tunnels:Peers:0:PublicKey")]
    [InlineData("PresharedKey", "Tunnels:Peers:0:PresharedKey")]
    [InlineData("Address", "Tunnels:Addresses:0")]
    [InlineData("AllowedIp", "Tunnels:Peers:0:AllowedIps:1")]
    [InlineData("Endpoint", "Tunnels:Peers:0:Endpoint")]
    [InlineData("EndpointNoPort", "Tunnels:Peers:0:Endpoint")]
    [InlineData("Keepalive", "Tunnels:Peers:0:PersistentKeepalive")]
    [InlineData("EndpointAndEndpoints", "Tunnels:Peers:0: set either Endpoint")]
    [InlineData("PathEndpoint", "Tunnels:Peers:0:Endpoints:p1")]
    [InlineData("DuplicatePeer", "Tunnels:Peers:1:PublicKey")]
    [InlineData("Mtu", "Tunnels:Mtu")]
    [InlineData("InterfaceName", "Tunnels:InterfaceName")]
    [InlineData("Compression", "Tunnels:Peers:0:Compression")]
    public void Validate_OneBadValue_FailsNamingItsKey(string what, string key)
    {
        var options = Valid();
        var secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlYw=="; // base64, 31 octets: not a key
        switch (what)
        {
            case "PrivateKey": options.PrivateKey = secret; break;
            case "PublicKey": options.Peers[0].PublicKey = "not-a-key"; break;
            case "PresharedKey": options.Peers[0].PresharedKey = secret; break;
            case "Address": options.Addresses[0] = "10.250.0.1/40"; break;
            case "AllowedIp": options.Peers[0].AllowedIps.Add("2001:db8::/200"); break;
            case "Endpoint": options.Peers[0].Endpoint = "peer.example:51820"; break;
            case "EndpointNoPort": options.Peers[0].Endpoint = "10.240.0.2"; break;
            case "Keepalive": options.Peers[0].PersistentKeepalive = -1; break;
            case "EndpointAndEndpoints": options.Peers[0].Endpoints["p1"] = "192.0.2.1:51820"; break;
            case "PathEndpoint": options.Peers[0].Endpoint = null; options.Peers[0].Endpoints["p1"] = "192.0.2.1"; break;
            case "DuplicatePeer": options.Peers.Add(new TunnelPeerOptions { PublicKey = options.Peers[0].PublicKey }); break;
            case "Mtu": options.Mtu = 576; break;
            case "InterfaceName": options.InterfaceName = "a-name-longer-than-15"; break;
            case "Compression": options.Peers[0].Patronus = true; options.Peers[0].Compression = "lz4"; break;
        }

        var result = new TunnelOptionsValidator().Validate(Options.DefaultName, options);

        Assert.True(result.Failed);
        var failure = Assert.Single(result.Failures);
        Assert.StartsWith(key, failure, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, null, 1420)]
    [InlineData(true, null, 1392)]
    [InlineData(true, 1500, 1500)]
    [InlineData(false, 1300, 1300)]
    public void Mtu_PatronusPeerAndSetValue_DefaultFollowsTheDataHeader(bool patronus, int? set, int expected)
    {
        var options = Valid();
        options.Peers[0].Patronus = patronus;
        if (set is { } mtu)
        {
            options.Mtu = mtu;
        }

        Assert.Equal(expected, options.Mtu);
    }

    [Theory]
    [InlineData("auto", true)]
    [InlineData("OFF", true)]
    [InlineData("lz4", false)]
    [InlineData(null, false)]
    public void TryParseCompression_Values_AutoOrOffOnly(string? text, bool valid)
    {
        Assert.Equal(valid, TunnelPeerOptions.TryParseCompression(text, out _));
    }

    [Fact]
    public void ValidatePaths_EndpointsOnKnownPathsOfTheirFamily_NoFailure()
    {
        var options = Valid();
        options.Peers[0].Endpoint = null;
        options.Peers[0].Endpoints["p1"] = "192.0.2.20:51820";
        options.Peers[0].Endpoints["p6"] = "[2001:db8::20]:51820";

        Assert.Empty(TunnelOptionsValidator.ValidatePaths(options, Topology()));
    }

    [Theory]
    [InlineData("nope", "192.0.2.20:51820", "Tunnels:Peers:0:Endpoints:nope: no path 'nope' in the topology (paths: p1, p6)")]
    [InlineData("p1", "[2001:db8::20]:51820", "Tunnels:Peers:0:Endpoints:p1: '[2001:db8::20]:51820' is IPv6 but link 'wan1' sends from 192.0.2.10 (IPv4)")]
    public void ValidatePaths_BadPathOrFamily_FailsNamingTheKey(string path, string endpoint, string expected)
    {
        var options = Valid();
        options.Peers[0].Endpoint = null;
        options.Peers[0].Endpoints[path] = endpoint;

        Assert.Equal(expected, Assert.Single(TunnelOptionsValidator.ValidatePaths(options, Topology())));
    }

    private static TopologySnapshot Topology() => new(
        [new Site("a", "a", null, ItemSource.Config)],
        [
            new WanLink("wan1", "a", "wan1", "wan1", "192.0.2.10", null, 10, ItemSource.Config),
            new WanLink("wan6", "a", "wan6", "wan6", "2001:db8::10", null, 10, ItemSource.Config),
        ],
        [
            new PathDefinition("p1", "p1", "wan1", null, ["192.0.2.20"], ItemSource.Config),
            new PathDefinition("p6", "p6", "wan6", null, ["2001:db8::20"], ItemSource.Config),
        ]);

    private static TunnelOptions Valid() => new()
    {
        Enabled = true,
        Addresses = ["10.250.0.1/24", "fd00:250::1/64"],
        PrivateKey = s_keyA,
        Peers =
        [
            new TunnelPeerOptions
            {
                Name = "b",
                PublicKey = PublicOf(s_keyB),
                PresharedKey = TunnelKeys.GeneratePrivateKey(),
                AllowedIps = ["10.250.0.2/32"],
                Endpoint = "[2001:db8::2]:51820",
                PersistentKeepalive = 25,
            },
        ],
    };

    private static string PublicOf(string privateKey)
    {
        Assert.True(TunnelKeys.TryPublicKey(privateKey, out var publicKey));
        return publicKey;
    }
}
