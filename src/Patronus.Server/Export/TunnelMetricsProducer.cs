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

        writer.Family("patronus_tunnel_peer_last_handshake_seconds", MetricType.Gauge, "Unix time of a peer's last completed handshake (no series before the first)");
        foreach (var peer in peers)
        {
            if (peer.LastHandshake is { } at)
            {
                writer.Sample("patronus_tunnel_peer_last_handshake_seconds", [new("tunnel", tunnel), new("peer", peer.Name)], at.ToUnixTimeMilliseconds() / 1000.0);
            }
        }
    }
}
