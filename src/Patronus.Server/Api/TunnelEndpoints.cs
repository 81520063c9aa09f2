using Patronus.Engine.Tunnels;

namespace Patronus.Server.Api;

/// <summary>
/// The tunnel interface over REST (viewer): its peers with their endpoint per path, the path in
/// use, the last handshake, traffic in and out (octets and messages) in all and per path, and drops
/// by reason. Public keys only: private and preshared keys are never returned.
/// </summary>
internal static class TunnelEndpoints
{
    public static RouteGroupBuilder MapTunnels(this RouteGroupBuilder api)
    {
        api.MapGet("/tunnels", (TunnelService tunnels) => Results.Ok(new
        {
            enabled = tunnels.Enabled,
            tunnels = tunnels.Device is { } device ? new[] { Tunnel(device, tunnels.ListenPort) } : [],
        }));
        return api;
    }

    internal static object Tunnel(TunnelDevice device, int listenPort) => new
    {
        @interface = device.Name,
        public_key = device.PublicKey,
        listen_port = listenPort,
        drops = Drops(device.Drops()),
        peers = device.Peers.Select(p => Peer(p.Snapshot())).ToList(),
    };

    private static object Peer(TunnelPeerSnapshot p) => new
    {
        name = p.Name,
        public_key = p.PublicKey,
        endpoint = p.Endpoint?.ToString(),
        active_path_id = p.ActivePathId,
        last_path_id = p.LastPathId,
        last_source = p.LastSource?.ToString(),
        last_handshake = p.LastHandshake is { } t ? PathHealthEndpoints.Iso(t) : null,
        rx_bytes = p.ReceivedBytes,
        rx_packets = p.ReceivedPackets,
        tx_bytes = p.SentBytes,
        tx_packets = p.SentPackets,
        path_switches = p.PathSwitches,
        paths = p.Paths.Select(x => new
        {
            path_id = x.PathId,
            endpoint = x.Endpoint.ToString(),
            in_topology = x.InTopology,
            rx_bytes = x.Traffic.ReceivedBytes,
            rx_packets = x.Traffic.ReceivedPackets,
            tx_bytes = x.Traffic.SentBytes,
            tx_packets = x.Traffic.SentPackets,
        }).ToList(),
        drops = Drops(p.Drops),
    };

    /// <summary>Drops by reason label (<c>unknown_peer</c>, …), reasons with none left out.</summary>
    internal static SortedDictionary<string, long> Drops(IReadOnlyDictionary<TunnelDropReason, long> drops) =>
        new(drops.ToDictionary(d => TunnelDropReasons.Label(d.Key), d => d.Value), StringComparer.Ordinal);
}
