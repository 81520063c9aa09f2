using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Tunnels;
using Patronus.Engine.Tunnels.Noise;
using Patronus.Persistence.Security;
using Patronus.Server.Api;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.Api;

/// <summary><c>GET /api/v1/tunnels</c> and the GraphQL <c>tunnels</c> query.</summary>
public sealed class TunnelApiTests
{
    [Fact]
    public async Task Tunnels_Off_ViewerReadsEnabledFalseAndNoTunnelInRestAndGraphQL()
    {
        await using var server = await RunningServer.StartAsync();
        var viewer = await server.ClientAsAsync("vera", UserRole.Viewer);

        var rest = JsonDocument.Parse(await viewer.GetStringAsync("/api/v1/tunnels")).RootElement;
        using var response = await viewer.PostAsJsonAsync("/graphql", new { query = "{ tunnels { interface peers { name activePathId paths { pathId } } } }" });
        var graphql = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.False(rest.GetProperty("enabled").GetBoolean());
        Assert.Equal(0, rest.GetProperty("tunnels").GetArrayLength());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(graphql.TryGetProperty("errors", out _), graphql.ToString());
        Assert.Equal(0, graphql.GetProperty("data").GetProperty("tunnels").GetArrayLength());
    }

    [Fact]
    public void Tunnel_DeviceWithPerPathPeer_ShowsPathsAndCountersNeverASecret()
    {
        var privateKey = TunnelKeys.GeneratePrivateKey();
        var peerKey = TunnelKeys.GeneratePrivateKey();
        var psk = TunnelKeys.GeneratePrivateKey();
        Assert.True(TunnelKeys.TryPublicKey(peerKey, out var peerPublic));
        var secret = new byte[32];
        Assert.True(TunnelKeys.TryDecode(privateKey, secret));
        using var metrics = new TunnelMetrics();
        var transport = new NullTransport();
        using var device = new TunnelDevice("ptun0", new NoiseIdentity(secret), [new TunnelPeerOptions
        {
            Name = "site-b",
            PublicKey = peerPublic,
            PresharedKey = psk,
            AllowedIps = ["10.2.0.0/24"],
            Endpoints = { ["p1"] = "192.0.2.20:51820", ["p2"] = "198.51.100.20:51820" },
        }], 1420, transport, new FakeTimeProvider(), metrics, NullLogger.Instance);
        device.OnDatagram([9, 9, 9], IPEndPoint.Parse("192.0.2.99:1"));

        var json = JsonSerializer.Serialize(TunnelEndpoints.Tunnel(device, 51820));
        var tunnel = JsonDocument.Parse(json).RootElement;

        Assert.Equal("ptun0", tunnel.GetProperty("interface").GetString());
        Assert.Equal(device.PublicKey, tunnel.GetProperty("public_key").GetString());
        Assert.Equal(1, tunnel.GetProperty("drops").GetProperty("malformed").GetInt64());
        var peer = tunnel.GetProperty("peers")[0];
        Assert.Equal(peerPublic, peer.GetProperty("public_key").GetString());
        Assert.Equal(["p1", "p2"], peer.GetProperty("paths").EnumerateArray().Select(p => p.GetProperty("path_id").GetString()));
        Assert.Equal("198.51.100.20:51820", peer.GetProperty("paths")[1].GetProperty("endpoint").GetString());
        Assert.Equal(0, peer.GetProperty("tx_packets").GetInt64());
        Assert.Equal(JsonValueKind.Null, peer.GetProperty("active_path_id").ValueKind); // not steered yet
        Assert.DoesNotContain(privateKey, json, StringComparison.Ordinal);
        Assert.DoesNotContain(psk, json, StringComparison.Ordinal);
    }

    private sealed class NullTransport : ITunnelTransport
    {
        public void SendDatagram(ReadOnlySpan<byte> datagram, TunnelEndpoint destination)
        {
        }

        public bool WritePacket(ReadOnlySpan<byte> packet) => true;
    }
}
