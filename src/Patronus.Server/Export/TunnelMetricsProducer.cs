using Patronus.Engine.Tunnels;
using Patronus.Prometheus;

namespace Patronus.Server.Export;

/// <summary>
/// Tunnel families read from the running device at scrape time (docs/observability.md): per path
/// of each peer its traffic and whether it is the peer's active path, per peer the path switches
/// and the last handshake. Exact counters kept by the device, so a scrape sees the same numbers as
/// <c>/api/v1/tunnels</c>. The families are always declared; series exist while the tunnel runs.
/// (Traffic per peer and drops by reason are the meter's <c>patronus_tunnel_*</c> counters.)
/// </summary>
internal sealed class TunnelMetricsProducer(TunnelService tunnels) : IMetricsProducer
{
    private static readonly (string Name, string Help, Func<TunnelPathTraffic, long> Value)[] s_pathCounters =
    [
        ("patronus_tunnel_path_sent_bytes_total", "Octets of transport messages sent to a peer on each of its paths", t => t.SentBytes),
        ("patronus_tunnel_path_sent_packets_total", "Transport messages sent to a peer on each of its paths", t => t.SentPackets),
        ("patronus_tunnel_path_received_bytes_total", "Octets of authenticated transport messages received from a peer through each path's link", t => t.ReceivedBytes),
        ("patronus_tunnel_path_received_packets_total", "Authenticated transport messages received from a peer through each path's link", t => t.ReceivedPackets),
    ];

    private static readonly (string Name, string Help, Func<TunnelCompressionSnapshot, long> Value)[] s_compressionCounters =
    [
        ("patronus_tunnel_compression_bytes_before_total", "Octets of the packets offered to LZ4 for a Patronus peer", c => c.BytesBefore),
        ("patronus_tunnel_compression_bytes_after_total", "Octets of the payloads sent for them (compressed blocks or the packets as they were)", c => c.BytesAfter),
    ];

    private static readonly (string Name, string Help, Func<TunnelPeerSnapshot, long> Value)[] s_duplicationCounters =
    [
        ("patronus_tunnel_duplicated_packets_total", "Packets sent to a Patronus peer on two paths (a traffic class that duplicates), each counted once", p => p.DuplicatedPackets),
        ("patronus_tunnel_duplicates_dropped_total", "Later copies of a Patronus peer's duplicated packets dropped on arrival (the first copy was delivered)", p => p.DuplicatesDropped),
    ];

    private static readonly (string Name, string Help, Func<TunnelPassiveSnapshot, double?> Value)[] s_passiveGauges =
    [
        ("patronus_tunnel_passive_loss_percent", "Loss of a Patronus peer's data messages arriving through a path, over the last 10 s", p => p.LossPercent),
        ("patronus_tunnel_passive_reordered_percent", "Data messages arriving through a path after a higher sequence, in percent of received, over the last 10 s", p => p.ReorderedPercent),
        ("patronus_tunnel_passive_jitter_seconds", "RFC 3550 interarrival jitter of a Patronus peer's data messages arriving through a path", p => p.JitterMs / 1000),
        ("patronus_tunnel_passive_rtt_seconds", "Smoothed round trip of our data messages on a path, from the Patronus peer's echoes", p => p.RttMs / 1000),
    ];

    public void Collect(PrometheusTextWriter writer)
    {
        var device = tunnels.Device;
        var peers = device?.Peers.Select(p => p.Snapshot()).ToList() ?? [];
        var tunnel = device?.Name ?? "";
        foreach (var (name, help, value) in s_pathCounters)
        {
            writer.Family(name, MetricType.Counter, help);
            foreach (var peer in peers)
            {
                foreach (var path in peer.Paths)
                {
                    writer.Sample(name, [new("tunnel", tunnel), new("peer", peer.Name), new("path_id", path.PathId)], value(path.Traffic));
                }
            }
        }

        writer.Family("patronus_tunnel_path_active", MetricType.Gauge, "1 for the path a peer's packets that no failover policy steers take now, 0 for its other paths");
        foreach (var peer in peers)
        {
            foreach (var path in peer.Paths)
            {
                writer.Sample("patronus_tunnel_path_active", [new("tunnel", tunnel), new("peer", peer.Name), new("path_id", path.PathId)],
                    path.PathId == peer.ActivePathId ? 1L : 0L);
            }
        }

        writer.Family("patronus_tunnel_peer_path_switches_total", MetricType.Counter, "Times the path of a peer's transport messages changed");
        foreach (var peer in peers)
        {
            writer.Sample("patronus_tunnel_peer_path_switches_total", [new("tunnel", tunnel), new("peer", peer.Name)], peer.PathSwitches);
        }

        CollectPatronus(writer, tunnel, peers);
        writer.Family("patronus_tunnel_peer_last_handshake_seconds", MetricType.Gauge, "Unix time of a peer's last completed handshake (no series before the first)");
        foreach (var peer in peers)
        {
            if (peer.LastHandshake is { } at)
            {
                writer.Sample("patronus_tunnel_peer_last_handshake_seconds", [new("tunnel", tunnel), new("peer", peer.Name)], at.ToUnixTimeMilliseconds() / 1000.0);
            }
        }
    }

    /// <summary>
    /// Patronus peers only: compression counters and the measured ratio per peer, and per path the
    /// passive measurement (series only once measured: an unknown loss is no series, not 0).
    /// </summary>
    private static void CollectPatronus(PrometheusTextWriter writer, string tunnel, List<TunnelPeerSnapshot> peers)
    {
        var patronus = peers.Where(p => p.Compression is not null).ToList();
        foreach (var (name, help, value) in s_compressionCounters)
        {
            writer.Family(name, MetricType.Counter, help);
            foreach (var peer in patronus)
            {
                writer.Sample(name, [new("tunnel", tunnel), new("peer", peer.Name)], value(peer.Compression!));
            }
        }

        foreach (var (name, help, value) in s_duplicationCounters)
        {
            writer.Family(name, MetricType.Counter, help);
            foreach (var peer in patronus)
            {
                writer.Sample(name, [new("tunnel", tunnel), new("peer", peer.Name)], value(peer));
            }
        }

        writer.Family("patronus_tunnel_compression_packets_total", MetricType.Counter, "Packets offered to LZ4 for a Patronus peer, by result: compressed, incompressible (tried, sent as they were) or not_tried (off, small, backed off)");
        foreach (var peer in patronus)
        {
            var c = peer.Compression!;
            foreach (var (result, count) in new[] { ("compressed", c.PacketsCompressed), ("incompressible", c.PacketsIncompressible), ("not_tried", c.PacketsNotTried) })
            {
                writer.Sample("patronus_tunnel_compression_packets_total", [new("tunnel", tunnel), new("peer", peer.Name), new("result", result)], count);
            }
        }

        writer.Family("patronus_tunnel_compression_ratio", MetricType.Gauge, "Octets before over octets after LZ4 for a Patronus peer, as measured since start (1 before any packet)");
        foreach (var peer in patronus)
        {
            writer.Sample("patronus_tunnel_compression_ratio", [new("tunnel", tunnel), new("peer", peer.Name)], peer.Compression!.Ratio);
        }

        foreach (var (name, help, value) in s_passiveGauges)
        {
            writer.Family(name, MetricType.Gauge, help);
            foreach (var peer in patronus)
            {
                foreach (var path in peer.Paths)
                {
                    if (path.Passive is { } passive && value(passive) is { } v)
                    {
                        writer.Sample(name, [new("tunnel", tunnel), new("peer", peer.Name), new("path_id", path.PathId)], v);
                    }
                }
            }
        }
    }
}
