using Patronus.Engine.Tunnels;

namespace Patronus.Server.Api;

/// <summary>
/// The tunnel interface over REST (viewer): its peers with their endpoint per path, the path in
/// use, the last handshake, traffic in and out (octets and messages) in all and per path, and drops
/// by reason; for a Patronus peer its compression and each path's passive measurement; per traffic class its active path, duplication and traffic per path. Public keys only: private and preshared keys are never returned.
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
            passive = Passive(x.Passive),
        }).ToList(),
        drops = Drops(p.Drops),
        patronus = p.Patronus,
        data_messages_received = p.DataMessagesReceived,
        plain_packets_received = p.PlainPacketsReceived,
        duplicated_packets = p.DuplicatedPackets,
        duplicates_dropped = p.DuplicatesDropped,
        duplicates_too_old = p.DuplicatesTooOld,
        classes = p.Classes.Select(c => new
        {
            @class = c.Class,
            active_path_id = c.ActivePathId,
            preferred_path_id = c.PreferredPathId,
            duplication = c.Duplication,
            duplication_active = c.DuplicationActive,
            flows = c.Flows,
            paths = c.Paths.Select(x => new
            {
                path_id = x.PathId,
                tx_bytes = x.SentBytes,
                tx_packets = x.SentPackets,
                rx_bytes = x.ReceivedBytes,
                rx_packets = x.ReceivedPackets,
            }).ToList(),
        }).ToList(),
        compression = p.Compression is { } c ? new
        {
            mode = c.Mode,
            bytes_before = c.BytesBefore,
            bytes_after = c.BytesAfter,
            packets_compressed = c.PacketsCompressed,
            packets_incompressible = c.PacketsIncompressible,
            packets_not_tried = c.PacketsNotTried,
            ratio = c.Ratio,
        } : null,
    };

    /// <summary>Each Patronus peer's passive measurement of path <paramref name="pathId"/> (none while tunnels are off).</summary>
    internal static IEnumerable<(string Peer, TunnelPassiveSnapshot Passive)> PassiveOf(TunnelService tunnels, string pathId) =>
        (tunnels.Device?.Peers ?? []).Select(p => p.Snapshot())
            .SelectMany(p => p.Paths.Where(x => x.PathId == pathId && x.Passive is not null).Select(x => (p.Name, x.Passive!)));

    /// <summary>A path's passive measurement from a Patronus peer's traffic, or null.</summary>
    internal static object? Passive(TunnelPassiveSnapshot? p) => p is null ? null : new
    {
        received = p.Received,
        expected = p.Expected,
        loss_percent = p.LossPercent,
        reordered_percent = p.ReorderedPercent,
        jitter_ms = p.JitterMs,
        rtt_ms = p.RttMs,
        rtt_samples = p.RttSamples,
    };

    /// <summary>Drops by reason label (<c>unknown_peer</c>, …), reasons with none left out.</summary>
    internal static SortedDictionary<string, long> Drops(IReadOnlyDictionary<TunnelDropReason, long> drops) =>
        new(drops.ToDictionary(d => TunnelDropReasons.Label(d.Key), d => d.Value), StringComparer.Ordinal);
}
