using System.Diagnostics.Metrics;

namespace Patronus.Server.Security;

/// <summary>
/// Audit instruments (meter <c>Patronus.Audit</c>): refused requests that were counted into a
/// summary row instead of getting a row of their own (<see cref="AuditAggregator"/>), by result
/// (<c>denied</c>, <c>failed</c>) — exported as <c>patronus_audit_aggregated_total</c>.
/// </summary>
public sealed class AuditMetrics : IDisposable
{
    public const string MeterName = "Patronus.Audit";

    private readonly Meter _meter;
    private readonly Counter<long> _aggregated;

    public AuditMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);
        _aggregated = _meter.CreateCounter<long>("patronus.audit.aggregated", "{request}", "Refused requests counted into an audit summary row instead of a row each, by result");
    }

    public void Aggregated(string result) => _aggregated.Add(1, new KeyValuePair<string, object?>("result", result));

    public void Dispose() => _meter.Dispose();
}
