using System.Globalization;
using Patronus.Engine.Traffic;
using Patronus.Prometheus;

namespace Patronus.Server.Export;

/// <summary>
/// The seed's policy traffic families from the kernel's counters (<see cref="ITrafficSource"/>,
/// docs/traffic.md). The families are always declared; series exist only while accounting runs —
/// without it (not root, no nft, disabled) there is no number to give, and a 0 would be a lie.
/// </summary>
internal sealed class TrafficMetricsProducer(ITrafficSource traffic) : IMetricsProducer
{
    public void Collect(PrometheusTextWriter writer)
    {
        var snapshot = traffic.Current;
        var policies = snapshot.Policies.Values.OrderBy(p => p.PolicyId).ToList();
        var labels = policies.Select(p => new[] { new Label("policy_id", p.PolicyId.ToString(CultureInfo.InvariantCulture)), new Label("name", p.Name) }).ToList();

        writer.Family("patronus_policy_bytes_total", MetricType.Counter, "Total bytes (IP length) sent to each failover policy's prefixes, counted by the kernel");
        for (var i = 0; i < policies.Count; i++)
        {
            writer.Sample("patronus_policy_bytes_total", labels[i], Exact(policies[i].Bytes));
        }

        writer.Family("patronus_policy_packets_total", MetricType.Counter, "Total packets sent to each failover policy's prefixes, counted by the kernel");
        for (var i = 0; i < policies.Count; i++)
        {
            writer.Sample("patronus_policy_packets_total", labels[i], Exact(policies[i].Packets));
        }

        writer.Family("patronus_policy_active_flows", MetricType.Gauge, "Connection-tracking entries towards each failover policy's prefixes");
        for (var i = 0; i < policies.Count; i++)
        {
            if (policies[i].ActiveFlows is { } flows)
            {
                writer.Sample("patronus_policy_active_flows", labels[i], flows);
            }
        }
    }

    // Counters past 2^63 would take centuries at line rate; clamp rather than wrap negative.
    private static long Exact(ulong value) => value > long.MaxValue ? long.MaxValue : (long)value;
}
