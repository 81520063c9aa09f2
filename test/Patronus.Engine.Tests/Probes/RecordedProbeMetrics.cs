using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Patronus.Engine.Probes;

namespace Patronus.Engine.Tests.Probes;

/// <summary>A <see cref="ProbeMetrics"/> whose counters the test can read by instrument, protocol and reason (its own meter, not other tests'): for the STAMP and the ICMP tests.</summary>
internal sealed class RecordedProbeMetrics : IDisposable
{
    private readonly MeterFactory _factory = new();
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _counts = new();

    public RecordedProbeMetrics()
    {
        Metrics = new ProbeMetrics(_factory);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (_factory.Owns(instrument.Meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? protocol = null, reason = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "protocol")
                {
                    protocol = tag.Value as string;
                }
                else if (tag.Key == "reason")
                {
                    reason = tag.Value as string;
                }
            }

            _counts.AddOrUpdate(Key(instrument.Name, protocol, reason), value, (_, old) => old + value);
        });
        _listener.Start();
    }

    public ProbeMetrics Metrics { get; }

    public long Dropped(string protocol, string reason) => Count("patronus.probe.dropped", protocol, reason);

    public long Count(string instrument, string? protocol = null, string? reason = null) =>
        _counts.TryGetValue(Key(instrument, protocol, reason), out var n) ? n : 0;

    public void Dispose()
    {
        _listener.Dispose();
        Metrics.Dispose();
        _factory.Dispose();
    }

    private static string Key(string instrument, string? protocol, string? reason) => $"{instrument}|{protocol}|{reason}";

    private sealed class MeterFactory : IMeterFactory
    {
        private readonly ConcurrentBag<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public bool Owns(Meter meter) => _meters.Contains(meter);

        public void Dispose()
        {
            foreach (var meter in _meters)
            {
                meter.Dispose();
            }
        }
    }
}
