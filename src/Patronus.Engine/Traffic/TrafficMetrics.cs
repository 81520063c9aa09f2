using System.Diagnostics.Metrics;

namespace Patronus.Engine.Traffic;

/// <summary>
/// The accounting's own instruments (meter <c>Patronus.Traffic</c>): reads that failed, by reason;
/// table rebuilds, by kind; counter resets we did not make; how long a read takes. The traffic
/// numbers themselves are read from <see cref="ITrafficSource"/>.
/// </summary>
public sealed class TrafficMetrics : IDisposable
{
    public const string MeterName = "Patronus.Traffic";

    private readonly Meter _meter;
    private readonly Counter<long> _readFailures;
    private readonly Counter<long> _rebuilds;
    private readonly Counter<long> _resets;
    private readonly Histogram<double> _read;

    public TrafficMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _readFailures = _meter.CreateCounter<long>("patronus.traffic.read.failures", "{read}", "Counter or conntrack reads that failed (nft or netlink error, malformed answer), by reason");
        _rebuilds = _meter.CreateCounter<long>("patronus.traffic.rebuilds", "{rebuild}", "Accounting table rebuilds, by kind (create, update) and outcome");
        _resets = _meter.CreateCounter<long>("patronus.traffic.unexpected_resets", "{reset}", "Kernel counters found lower than at the previous read (reset by someone else)");
        _read = _meter.CreateHistogram<double>("patronus.traffic.read.duration", "ms", "Time to read the kernel's counters");
    }

    /// <summary>A read failed; <paramref name="reason"/> is one of nft, netlink, malformed, conntrack.</summary>
    public void ReadFailed(string reason) => _readFailures.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Rebuilt(string kind, bool succeeded) =>
        _rebuilds.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("outcome", succeeded ? "ok" : "failed"));

    public void UnexpectedResets(long count)
    {
        if (count > 0)
        {
            _resets.Add(count);
        }
    }

    public void Read(TimeSpan duration) => _read.Record(duration.TotalMilliseconds);

    public void Dispose() => _meter.Dispose();
}
