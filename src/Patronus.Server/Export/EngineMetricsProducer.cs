using Patronus.Engine.Failover;
using Patronus.Engine.Health;
using Patronus.Engine.Loops;
using Patronus.Engine.Paths;
using Patronus.Prometheus;
using Patronus.Server.Health;

namespace Patronus.Server.Export;

/// <summary>
/// Families read from engine state at scrape time rather than recorded as measurements: one
/// series per configured path (health, the seed's names), topology sizes, the active path of
/// each failover policy, how long ago each engine loop ran, build and uptime. Reading immutable
/// snapshots costs no lock and nothing on the probe path; a path or policy removed from the
/// configuration leaves the next scrape.
/// </summary>
internal sealed class EngineMetricsProducer(
    Func<IReadOnlyList<PathHealthSnapshot>> health,
    Func<TopologySnapshot> topology,
    Func<IReadOnlyDictionary<long, FailoverPolicyStatus>> policies,
    IEnumerable<IEngineLoop> loops,
    DateTimeOffset startedAt,
    TimeProvider time) : IMetricsProducer
{
    public EngineMetricsProducer(HealthState health, TopologyService topology, FailoverService failover, IEnumerable<IEngineLoop> loops, ProcessInfo process, TimeProvider time)
        : this(() => health.All, () => topology.Current, () => failover.Status, loops, process.StartedAt, time)
    {
    }

    private static readonly string[] s_statuses = ["up", "degraded", "down"];
    private static readonly LabelSet[] s_statusLabels = [.. s_statuses.Select(s => LabelSet.Create(new Label("status", s)))];

    // Each path's labels rendered once per topology (scrapes are one at a time: PrometheusExporter's
    // lock), so 50,000 samples at 10,000 paths are a copy and a number each.
    private TopologySnapshot? _labelsOf;
    private Dictionary<string, LabelSet> _pathLabels = new(StringComparer.Ordinal);

    public void Collect(PrometheusTextWriter writer)
    {
        var snapshot = topology();
        var paths = health();
        if (!ReferenceEquals(snapshot, _labelsOf))
        {
            _labelsOf = snapshot;
            _pathLabels = new(StringComparer.Ordinal);
        }

        var labels = new LabelSet[paths.Count];
        for (var i = 0; i < paths.Count; i++)
        {
            var id = paths[i].PathId;
            if (!_pathLabels.TryGetValue(id, out var set))
            {
                var site = snapshot.PathsById.TryGetValue(id, out var path) ? snapshot.SiteOf(path) ?? string.Empty : string.Empty;
                _pathLabels[id] = set = LabelSet.Create(new Label("path_id", id), new Label("site", site));
            }

            labels[i] = set;
        }

        PathGauge(writer, "patronus_path_latency_ms", "Path latency (mean RTT over the measurement window) in milliseconds", paths, labels, h => h.LatencyMs);
        PathGauge(writer, "patronus_path_packet_loss", "Path packet loss percentage (0-100) over the measurement window", paths, labels, h => h.PacketLossPct);
        PathGauge(writer, "patronus_path_jitter_ms", "Path jitter (mean absolute difference of consecutive RTTs) in milliseconds", paths, labels, h => h.JitterMs);
        PathGauge(writer, "patronus_path_health_score", "Path health score (0-100)", paths, labels, h => h.HealthScore);

        writer.Family("patronus_path_status", MetricType.Gauge, "Path status as a state set: 1 for the current status (up, degraded, down), 0 for the others");
        for (var i = 0; i < paths.Count; i++)
        {
            var current = Api.PathHealthEndpoints.StatusText(paths[i].Status);
            for (var s = 0; s < s_statuses.Length; s++)
            {
                writer.Sample("patronus_path_status", labels[i], s_statusLabels[s], s_statuses[s] == current ? 1 : 0);
            }
        }

        Count(writer, "patronus_sites", "Configured sites", snapshot.Sites.Count);
        Count(writer, "patronus_links", "Configured WAN links", snapshot.Links.Count);
        Count(writer, "patronus_paths", "Configured paths", snapshot.Paths.Count);

        writer.Family("patronus_policy_active_path", MetricType.Gauge, "1 for the path each failover policy currently routes over");
        foreach (var status in policies().Values.OrderBy(s => s.PolicyId))
        {
            writer.Sample("patronus_policy_active_path",
                [new Label("policy_id", status.PolicyId.ToString(System.Globalization.CultureInfo.InvariantCulture)), new Label("name", status.Name), new Label("path_id", status.ActivePathId)],
                1L);
        }

        writer.Family("patronus_loop_last_tick_age_seconds", MetricType.Gauge,
            $"Seconds since each engine loop last ran (a healthy loop runs at least every {IEngineLoop.Heartbeat.TotalSeconds:0} s; -1 before its first run)");
        foreach (var loop in loops.OrderBy(l => l.LoopName, StringComparer.Ordinal))
        {
            var tick = loop.LastTick;
            writer.Sample("patronus_loop_last_tick_age_seconds", [new Label("loop", loop.LoopName)], tick == 0 ? -1 : time.GetElapsedTime(tick).TotalSeconds);
        }

        writer.Family("patronus_build_info", MetricType.Gauge, "Always 1; the version is in the label");
        writer.Sample("patronus_build_info", [new Label("version", ProcessInfo.Version)], 1L);
        writer.Family("patronus_uptime_seconds", MetricType.Gauge, "Seconds since this instance started");
        writer.Sample("patronus_uptime_seconds", (time.GetUtcNow() - startedAt).TotalSeconds);
    }

    /// <summary>
    /// Places the per-path gauges keep (the JSON API's rounding): a microsecond of latency, a
    /// thousandth of a percent of loss. Written in fixed point, which at 10,000 paths takes a
    /// scrape's render from ~7 ms of number formatting to under 1 ms (PrometheusTextWriter).
    /// </summary>
    internal const int PathDecimals = 3;

    private static void PathGauge(PrometheusTextWriter writer, string name, string help, IReadOnlyList<PathHealthSnapshot> paths, LabelSet[] labels, Func<PathHealthSnapshot, double> value)
    {
        writer.Family(name, MetricType.Gauge, help);
        for (var i = 0; i < paths.Count; i++)
        {
            writer.Sample(name, labels[i], value(paths[i]), PathDecimals);
        }
    }

    private static void Count(PrometheusTextWriter writer, string name, string help, int count)
    {
        writer.Family(name, MetricType.Gauge, help);
        writer.Sample(name, [], (long)count);
    }
}
