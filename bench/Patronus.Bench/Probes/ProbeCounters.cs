using System.Diagnostics.Metrics;
using Patronus.Engine.Probes;

namespace Patronus.Bench.Probes;

/// <summary>Totals of the probe instruments (sent, replies, dropped), via a <see cref="MeterListener"/> as an exporter would.</summary>
internal sealed class ProbeCounters : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _sent;
    private long _replies;
    private long _dropped;

    public ProbeCounters()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ProbeMetrics.MeterName && instrument.Name is "patronus.probe.sent" or "patronus.probe.replies" or "patronus.probe.dropped")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            switch (instrument.Name)
            {
                case "patronus.probe.sent":
                    Interlocked.Add(ref _sent, value);
                    break;
                case "patronus.probe.replies":
                    Interlocked.Add(ref _replies, value);
                    break;
                default:
                    Interlocked.Add(ref _dropped, value);
                    break;
            }
        });
        _listener.Start();
    }

    public (long Sent, long Replies, long Dropped) Read() =>
        (Interlocked.Read(ref _sent), Interlocked.Read(ref _replies), Interlocked.Read(ref _dropped));

    public void Dispose() => _listener.Dispose();
}
