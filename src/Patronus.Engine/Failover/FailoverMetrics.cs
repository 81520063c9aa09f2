using System.Diagnostics.Metrics;
using System.Globalization;

namespace Patronus.Engine.Failover;

/// <summary>
/// Failover instruments (meter <c>Patronus.Failover</c>): events by policy and type (the seed's
/// <c>patronus_failover_events_total</c>), decision time per policy evaluation, route table swaps.
/// </summary>
public sealed class FailoverMetrics : IDisposable
{
    public const string MeterName = "Patronus.Failover";

    private readonly Meter _meter;
    private readonly Counter<long> _events;
    private readonly Histogram<double> _decision;
    private readonly Histogram<double> _swap;

    public FailoverMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _events = _meter.CreateCounter<long>("patronus.failover.events", "{event}", "Failover events by policy and type");
        _decision = _meter.CreateHistogram<double>("patronus.failover.decision.duration", "ms", "Time to decide one policy");
        _swap = _meter.CreateHistogram<double>("patronus.failover.route_table.swap.duration", "ms", "Time to build and publish a route table");
    }

    public void Event(FailoverEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        _events.Add(1, new KeyValuePair<string, object?>("policy_id", e.PolicyId.ToString(CultureInfo.InvariantCulture)),
            new KeyValuePair<string, object?>("type", FailoverEventNames.Name(e.Type)));
    }

    /// <summary>
    /// Starts the policy's event series at 0 for every type, so that the first event is an
    /// increase Prometheus sees (<c>increase()</c> cannot see a series that appears at 1).
    /// </summary>
    public void PolicyKnown(long policyId)
    {
        var id = policyId.ToString(CultureInfo.InvariantCulture);
        foreach (var type in Enum.GetValues<FailoverEventType>())
        {
            _events.Add(0, new KeyValuePair<string, object?>("policy_id", id), new KeyValuePair<string, object?>("type", FailoverEventNames.Name(type)));
        }
    }

    public void Decided(TimeSpan duration) => _decision.Record(duration.TotalMilliseconds);

    public void RouteTableSwapped(TimeSpan duration) => _swap.Record(duration.TotalMilliseconds);

    public void Dispose() => _meter.Dispose();
}
