using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Patronus.Engine.Probes;

namespace Patronus.Engine.Tests.Probes.Icmp;

/// <summary>
/// A <see cref="ProbeMetrics"/> whose meter is private to one test, with a listener counting
/// <c>patronus.probe.dropped</c> by reason (other tests' meters of the same name are ignored).
/// </summary>
internal sealed class DropRecorder : IDisposable
{
    private readonly MeterFactory _factory = new();
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _dropped = new();

    public DropRecorder()
    {
        Metrics = new ProbeMetrics(_factory);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (_factory.Created.Contains(instrument.Meter) && instrument.Name == "patronus.probe.dropped")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "reason" && tag.Value is string reason)
                {
                    _dropped.AddOrUpdate(reason, value, (_, old) => old + value);
                }
            }
        });
        _listener.Start();
    }

    public ProbeMetrics Metrics { get; }

    public long Dropped(string reason) => _dropped.GetValueOrDefault(reason);

    public void Dispose()
    {
        _listener.Dispose();
        Metrics.Dispose();
        _factory.Dispose();
    }

    private sealed class MeterFactory : IMeterFactory
    {
        public ConcurrentBag<Meter> Created { get; } = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            Created.Add(meter);
            return meter;
        }

        public void Dispose()
        {
            foreach (var meter in Created)
            {
                meter.Dispose();
            }
        }
    }
}
