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
    Func<PathHealthTable> health,
    Func<TopologySnapshot> topology,
    Func<IReadOnlyDictionary<long, FailoverPolicyStatus>> policies,
    IEnumerable<IEngineLoop> loops,
    DateTimeOffset startedAt,
    TimeProvider time) : IMetricsProducer
{
    public EngineMetricsProducer(HealthState health, TopologyService topology, FailoverService failover, IEnumerable<IEngineLoop> loops, ProcessInfo process, TimeProvider time)
        : this(() => health.Table, () => topology.Current, () => failover.Status, loops, process.StartedAt, time)
    {
    }

    // The state set's states, in the order each path's three samples are written.
    private static readonly LabelSet[] s_statusLabels = [.. new[] { "up", "degraded", "down" }.Select(s => LabelSet.Create(new Label("status", s)))];

    // Every path's labels rendered once per set of paths and topology (scrapes are one at a time:
    // PrometheusExporter's lock), back to back in one array; the numbers are copied from the
    // health table's contiguous rows into columns kept across scrapes. A scrape at 10,000 paths
    // then reads ~0.8 MB front to back and allocates nothing per path.
    private PathHealthTable? _labelsOf;
    private TopologySnapshot? _labelsTopology;
    private LabelTable _pathLabels = LabelTable.Empty;
    private double[] _latency = [];
    private double[] _loss = [];
    private double[] _jitter = [];
    private double[] _score = [];
    private PathStatus[] _status = [];
    private byte[] _state = [];

    /// <summary>Label tables built so far (one per change of the paths or the topology; tests).</summary>
    internal int LabelBuilds { get; private set; }

    public void Collect(PrometheusTextWriter writer)
    {
        var snapshot = topology();
        var table = health();
        if (!ReferenceEquals(table, _labelsOf) || !ReferenceEquals(snapshot, _labelsTopology))
        {
            _pathLabels = PathLabels(table, snapshot);
            (_labelsOf, _labelsTopology) = (table, snapshot);
            LabelBuilds++;
        }

        var n = table.Count;
        if (_latency.Length < n)
        {
            (_latency, _loss, _jitter, _score, _status, _state) = (new double[n], new double[n], new double[n], new double[n], new PathStatus[n], new byte[n]);
        }

        table.CopyColumns(_latency, _loss, _jitter, _score, _status);
        for (var i = 0; i < n; i++)
        {
            _state[i] = StateIndex(_status[i]);
        }

        PathGauge(writer, "patronus_path_latency_ms", "Path latency (mean RTT over the measurement window) in milliseconds", _pathLabels, _latency.AsSpan(0, n));
        PathGauge(writer, "patronus_path_packet_loss", "Path packet loss percentage (0-100) over the measurement window", _pathLabels, _loss.AsSpan(0, n));
        PathGauge(writer, "patronus_path_jitter_ms", "Path jitter (mean absolute difference of consecutive RTTs) in milliseconds", _pathLabels, _jitter.AsSpan(0, n));
        PathGauge(writer, "patronus_path_health_score", "Path health score (0-100)", _pathLabels, _score.AsSpan(0, n));

        writer.Family("patronus_path_status", MetricType.Gauge, "Path status as a state set: 1 for the current status (up, degraded, down), 0 for the others");
        writer.StateSet("patronus_path_status", _pathLabels, s_statusLabels, _state.AsSpan(0, n));

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

    /// <summary>Each path's <c>path_id</c> and <c>site</c> labels, in the table's order.</summary>
    internal static LabelTable PathLabels(PathHealthTable table, TopologySnapshot topology)
    {
        var builder = new LabelTable.Builder(table.Count);
        foreach (var id in table.PathIds)
        {
            var site = topology.PathsById.TryGetValue(id, out var path) ? topology.SiteOf(path) ?? string.Empty : string.Empty;
            builder.Add(new Label("path_id", id), new Label("site", site));
        }

        return builder.Build();
    }

    /// <summary>The index in <see cref="s_statusLabels"/> of <paramref name="status"/> (the API's status text).</summary>
    private static byte StateIndex(PathStatus status) => status switch
    {
        PathStatus.Up => 0,
        PathStatus.Degraded => 1,
        _ => 2,
    };

    private static void PathGauge(PrometheusTextWriter writer, string name, string help, LabelTable labels, ReadOnlySpan<double> values)
    {
        writer.Family(name, MetricType.Gauge, help);
        writer.Samples(name, labels, values, PathDecimals);
    }

    private static void Count(PrometheusTextWriter writer, string name, string help, int count)
    {
        writer.Family(name, MetricType.Gauge, help);
        writer.Sample(name, [], (long)count);
    }
}
