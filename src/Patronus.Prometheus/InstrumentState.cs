using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Patronus.Prometheus;

/// <summary>The aggregation of one instrument: its family name and type, and one series per tag set.</summary>
internal sealed class InstrumentState
{
    private enum Kind
    {
        Sum,
        LastValue,
        Histogram,
        Observed,
    }

    private readonly Kind _kind;
    private readonly double _scale;
    private readonly double[] _bounds;
    private readonly ConcurrentDictionary<TagKey, Series> _series = new(TagKeyComparer.Instance);
    private readonly ConcurrentDictionary<TagKey, Series>.AlternateLookup<ReadOnlySpan<KeyValuePair<string, object?>>> _lookup;

    // Values reported by the current scrape's observable callbacks (observable instruments only).
    private Dictionary<TagKey, double>? _observed;

    private InstrumentState(string name, MetricType type, string help, Kind kind, double scale, double[] bounds)
    {
        Name = name;
        Type = type;
        Help = help;
        _kind = kind;
        _scale = scale;
        _bounds = bounds;
        _lookup = _series.GetAlternateLookup<ReadOnlySpan<KeyValuePair<string, object?>>>();
    }

    public string Name { get; }

    public MetricType Type { get; }

    public string Help { get; }

    /// <summary>The state for <paramref name="instrument"/>, or null for an instrument type this collector does not know.</summary>
    public static InstrumentState? Create(Instrument instrument)
    {
        var generic = instrument.GetType().IsGenericType ? instrument.GetType().GetGenericTypeDefinition() : null;
        var (kind, type, counter) = generic switch
        {
            _ when generic == typeof(Counter<>) => (Kind.Sum, MetricType.Counter, true),
            _ when generic == typeof(UpDownCounter<>) => (Kind.Sum, MetricType.Gauge, false),
            _ when generic == typeof(Gauge<>) => (Kind.LastValue, MetricType.Gauge, false),
            _ when generic == typeof(Histogram<>) => (Kind.Histogram, MetricType.Histogram, false),
            _ when generic == typeof(ObservableCounter<>) => (Kind.Observed, MetricType.Counter, true),
            _ when generic == typeof(ObservableUpDownCounter<>) => (Kind.Observed, MetricType.Gauge, false),
            _ when generic == typeof(ObservableGauge<>) => (Kind.Observed, MetricType.Gauge, false),
            _ => ((Kind?)null, MetricType.Untyped, false),
        };
        if (kind is null)
        {
            return null;
        }

        var (name, scale) = PrometheusNames.FromInstrument(instrument.Name, instrument.Unit, counter);
        var help = string.IsNullOrWhiteSpace(instrument.Description) ? instrument.Name : instrument.Description;
        var bounds = kind == Kind.Histogram ? Bounds(instrument, scale, name) : [];
        return new InstrumentState(name, type, help, kind.Value, scale, bounds);
    }

    public void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (_kind == Kind.Observed)
        {
            Observe(value * _scale, tags);
        }
        else if (_kind == Kind.Sum && _scale == 1.0)
        {
            // Integer counters stay exact (a double loses increments past 2^53).
            Interlocked.Add(ref GetSeries(tags).Long, value);
        }
        else
        {
            Record((double)value, tags);
        }
    }

    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (double.IsNaN(value))
        {
            // A NaN would poison a sum for good and has no bucket: not a measurement.
            return;
        }

        value *= _scale;
        switch (_kind)
        {
            case Kind.Observed:
                Observe(value, tags);
                break;
            case Kind.Sum:
                GetSeries(tags).AddDouble(value);
                break;
            case Kind.LastValue:
                Volatile.Write(ref GetSeries(tags).Double, value);
                break;
            case Kind.Histogram:
                GetSeries(tags).Observe(value, _bounds);
                break;
        }
    }

    /// <summary>Starts a scrape: observable values are collected afresh.</summary>
    public void BeginObservation()
    {
        if (_kind == Kind.Observed)
        {
            _observed = new Dictionary<TagKey, double>(TagKeyComparer.Instance);
        }
    }

    public void Write(PrometheusTextWriter writer)
    {
        if (_kind == Kind.Observed)
        {
            foreach (var (key, value) in _observed ?? [])
            {
                writer.Sample(Name, key.Labels, value);
            }

            return;
        }

        foreach (var (key, series) in _series)
        {
            switch (_kind)
            {
                case Kind.Histogram:
                    series.WriteHistogram(writer, key.Labels, _bounds);
                    break;
                case Kind.Sum when _scale == 1.0:
                    writer.Sample(Name, key.Labels, Interlocked.Read(ref series.Long) + Volatile.Read(ref series.Double));
                    break;
                default:
                    writer.Sample(Name, key.Labels, Volatile.Read(ref series.Double));
                    break;
            }
        }
    }

    private static double[] Bounds(Instrument instrument, double scale, string name)
    {
        IReadOnlyList<double>? advised = instrument switch
        {
            Histogram<double> h => h.Advice?.HistogramBucketBoundaries,
            Histogram<float> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToList(),
            Histogram<long> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToList(),
            Histogram<int> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToList(),
            _ => null,
        };
        if (advised is { Count: > 0 })
        {
            return [.. advised.Select(b => b * scale).Order()];
        }

        return name.EndsWith("_seconds", StringComparison.Ordinal) ? MeterCollector.DefaultSecondsBuckets : MeterCollector.DefaultBuckets;
    }

    private Series GetSeries(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (_lookup.TryGetValue(tags, out var series))
        {
            return series;
        }

        // A new tag set (or tags in another order than the stored, sorted key): the key is sorted,
        // so one series per set of labels whatever order callers pass them in.
        var key = TagKey.Create(tags);
        return _series.GetOrAdd(key, static (_, bounds) => new Series(bounds.Length + 1), _kind == Kind.Histogram ? _bounds : []);
    }

    private void Observe(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (_observed is null)
        {
            // An observation outside a scrape (another listener's RecordObservableInstruments).
            return;
        }

        var key = TagKey.Create(tags);
        _observed[key] = value;
    }

    /// <summary>One series' running values. Fields, not properties: updated with Interlocked.</summary>
    private sealed class Series(int buckets)
    {
        public long Long;
        public double Double;
        private readonly long[] _buckets = new long[buckets];

        public void AddDouble(double value)
        {
            var current = Volatile.Read(ref Double);
            while (true)
            {
                var seen = Interlocked.CompareExchange(ref Double, current + value, current);
                if (seen.Equals(current))
                {
                    return;
                }

                current = seen;
            }
        }

        public void Observe(double value, double[] bounds)
        {
            // Bounds are upper-inclusive (le): the first bound ≥ value, else the overflow bucket.
            var index = Array.BinarySearch(bounds, value);
            Interlocked.Increment(ref _buckets[index >= 0 ? index : ~index]);
            AddDouble(value);
        }

        public void WriteHistogram(PrometheusTextWriter writer, Label[] labels, double[] bounds)
        {
            Span<long> counts = stackalloc long[_buckets.Length];
            for (var i = 0; i < counts.Length; i++)
            {
                counts[i] = Interlocked.Read(ref _buckets[i]);
            }

            writer.Histogram(labels, bounds, counts, Volatile.Read(ref Double));
        }
    }
}
