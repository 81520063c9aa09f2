using Patronus.Engine.Tunnels;
using Patronus.Engine.Tunnels.Sdwan;
using Patronus.Prometheus;

namespace Patronus.Server.Export;

/// <summary>
/// Tunnel families read from the running device at scrape time (docs/observability.md): per path
/// of each peer its traffic and whether it is the peer's active path, per peer the path switches
/// and the last handshake. Exact counters kept by the device, so a scrape sees the same numbers as
/// <c>/api/v1/tunnels</c>. The families are always declared; series exist while the tunnel runs.
/// (Traffic per peer and drops by reason are the meter's <c>patronus_tunnel_*</c> counters.)
/// </summary>
internal sealed class TunnelMetricsProducer(TunnelService tunnels, TrafficClassifier classes) : IMetricsProducer
{
    private static readonly (string Name, string Help, Func<TunnelClassPathSnapshot, long> Value)[] s_classCounters =
    [
        ("patronus_class_sent_bytes_total", "Octets of a traffic class's IP packets sent to a tunnel peer on each path (before LZ4 and tunnel headers; a duplicated packet counts on both paths)", t => t.SentBytes),
        ("patronus_class_sent_packets_total", "A traffic class's IP packets sent to a tunnel peer on each path", t => t.SentPackets),
        ("patronus_class_received_bytes_total", "Octets of a traffic class's IP packets received from a tunnel peer through each path's link and delivered", t => t.ReceivedBytes),
        ("patronus_class_received_packets_total", "A traffic class's IP packets received from a tunnel peer through each path's link and delivered", t => t.ReceivedPackets),
    ];

    private static readonly (string Name, string Help, Func<TrafficSla, double?> Value)[] s_slaGauges =
    [
        ("patronus_class_sla_max_latency_seconds", "A traffic class's SLA: highest latency of its path (series only for a class with the threshold)", s => s.MaxLatencyMs / 1000),
        ("patronus_class_sla_max_loss_percent", "A traffic class's SLA: highest loss of its path in percent (series only for a class with the threshold)", s => s.MaxLossPercent),
        ("patronus_class_sla_max_jitter_seconds", "A traffic class's SLA: highest jitter of its path (series only for a class with the threshold)", s => s.MaxJitterMs / 1000),
    ];

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
        CollectClasses(writer, tunnel, peers);
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
    /// Traffic classes (issue 16): per peer, class and path the class's traffic; per peer and class
    /// whether its packets are duplicated now; per class its SLA thresholds (configuration, so
    /// that alert rules can compare measurements with them).
    /// </summary>
    private void CollectClasses(PrometheusTextWriter writer, string tunnel, List<TunnelPeerSnapshot> peers)
    {
        foreach (var (name, help, value) in s_classCounters)
        {
            writer.Family(name, MetricType.Counter, help);
            foreach (var peer in peers)
            {
                foreach (var c in peer.Classes)
                {
                    foreach (var path in c.Paths)
                    {
                        writer.Sample(name, [new("tunnel", tunnel), new("peer", peer.Name), new("class", c.Class), new("path_id", path.PathId ?? "")], value(path));
                    }
                }
            }
        }

        writer.Family("patronus_class_flows_total", MetricType.Counter, "Distinct 5-tuples of a traffic class's packets sent to a tunnel peer, counted in a recent-set of 256 flows per class (one pushed out by more counts again when it returns)");
        foreach (var peer in peers)
        {
            foreach (var c in peer.Classes)
            {
                writer.Sample("patronus_class_flows_total", [new("tunnel", tunnel), new("peer", peer.Name), new("class", c.Class)], c.Flows);
            }
        }

        writer.Family("patronus_class_path_active", MetricType.Gauge, "1 for the path a traffic class's last packet to a peer left on (the class's active path), 0 for the peer's other paths");
        foreach (var peer in peers)
        {
            foreach (var c in peer.Classes)
            {
                foreach (var path in peer.Paths)
                {
                    writer.Sample("patronus_class_path_active", [new("tunnel", tunnel), new("peer", peer.Name), new("class", c.Class), new("path_id", path.PathId)],
                        path.PathId == c.ActivePathId ? 1L : 0L);
                }
            }
        }

        // mode (off, always, on-sla-breach) lets an alert tell a duplication that was asked for
        // all the time from one a breach started and that has not stopped.
        writer.Family("patronus_class_duplication_active", MetricType.Gauge, "1 while a traffic class's packets to a Patronus peer are sent on two paths (always, or on-sla-breach after a breach until the hold), else 0");
        foreach (var peer in peers.Where(p => p.Patronus))
        {
            foreach (var c in peer.Classes)
            {
                writer.Sample("patronus_class_duplication_active", [new("tunnel", tunnel), new("peer", peer.Name), new("class", c.Class), new("mode", c.Duplication)],
                    c.DuplicationActive ? 1L : 0L);
            }
        }

        foreach (var (name, help, value) in s_slaGauges)
        {
            writer.Family(name, MetricType.Gauge, help);
            foreach (var c in classes.Classes)
            {
                if (value(c.Sla) is { } v)
                {
                    writer.Sample(name, [new("class", c.Name)], v);
                }
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
