using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Patronus.Prometheus;

/// <summary>Something that writes metric families into a scrape.</summary>
public interface IMetricsProducer
{
    /// <summary>Writes this producer's families. Called under the exposition's lock, one scrape at a time.</summary>
    void Collect(PrometheusTextWriter writer);
}

/// <summary>
/// Exposes <see cref="System.Diagnostics.Metrics"/> instruments in the Prometheus text format: a
/// <see cref="MeterListener"/> enables the instruments <c>include</c> accepts (typically those of
/// one <see cref="IMeterFactory"/>, so that two hosts in one process do not see each other's),
/// aggregates their measurements as they happen and writes them at scrape time.
/// <list type="bullet">
/// <item>Counter → counter (running sum); UpDownCounter → gauge (running sum); Gauge → gauge (last
/// value); Histogram → histogram with the instrument's advised bucket bounds, else
/// <see cref="DefaultSecondsBuckets"/> for time units and <see cref="DefaultBuckets"/> otherwise;
/// observable instruments are read at scrape time (their series are exactly those reported by
/// that read: a path removed from a gauge's callback leaves the scrape).</item>
/// <item>Names and units follow <see cref="PrometheusNames"/>; tags become labels (sorted, names
/// sanitized, values formatted invariantly).</item>
/// <item>Recording is lock-free and allocation-free for a tag set seen before (an alternate-key
/// lookup on the measurement's tag span); a new tag set allocates its key once.</item>
/// </list>
/// </summary>
public sealed class MeterCollector : IMetricsProducer, IDisposable
{
    /// <summary>Bucket upper bounds (seconds) for durations: 0.5 ms to 10 s.</summary>
    public static readonly double[] DefaultSecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>OpenTelemetry's default explicit bucket bounds for other histograms.</summary>
    public static readonly double[] DefaultBuckets = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    private readonly MeterListener _listener;
    private readonly Func<Instrument, bool> _include;
    private readonly ConcurrentDictionary<Instrument, InstrumentState> _instruments = new();
    private readonly Lock _gate = new();

    /// <summary>Starts listening to every instrument, published now or later, that <paramref name="include"/> accepts.</summary>
    public MeterCollector(Func<Instrument, bool> include)
    {
        ArgumentNullException.ThrowIfNull(include);
        _include = include;
        _listener = new MeterListener
        {
            InstrumentPublished = OnPublished,
            MeasurementsCompleted = (instrument, _) => _instruments.TryRemove(instrument, out InstrumentState? _),
        };
        _listener.SetMeasurementEventCallback<long>(static (i, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<int>(static (i, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<short>(static (i, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<byte>(static (i, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<double>(static (i, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<float>(static (i, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<decimal>(static (i, v, tags, state) => ((InstrumentState)state!).Record((double)v, tags));
        _listener.Start();
    }

    /// <summary>Instruments currently exposed.</summary>
    public int InstrumentCount => _instruments.Count;

    /// <inheritdoc />
    public void Collect(PrometheusTextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        lock (_gate)
        {
            var states = _instruments.Values.ToList();
            foreach (var state in states)
            {
                state.BeginObservation();
            }

            _listener.RecordObservableInstruments();

            // One family per name; instruments of the same name (two meters) share it if their types agree.
            foreach (var family in states.GroupBy(s => s.Name, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var first = family.First();
                if (writer.HasFamily(first.Name))
                {
                    continue;
                }

                writer.Family(first.Name, first.Type, first.Help);
                foreach (var state in family.Where(s => s.Type == first.Type))
                {
                    state.Write(writer);
                }
            }
        }
    }

    public void Dispose() => _listener.Dispose();

    private void OnPublished(Instrument instrument, MeterListener listener)
    {
        if (!_include(instrument))
        {
            return;
        }

        var state = InstrumentState.Create(instrument);
        if (state is not null && _instruments.TryAdd(instrument, state))
        {
            listener.EnableMeasurementEvents(instrument, state);
        }
    }
}
