namespace Patronus.Engine.Health;

/// <summary>
/// The aggregation math of <see cref="PathHealthStats"/>, pure and incremental: give it one period's
/// raw samples and rollup buckets in time order (any mix, as <see cref="HealthStatsPlanner"/> lays
/// them out), then call <see cref="Finish"/> once. Memory is one (value, weight) pair per raw
/// sample or bucket, for the percentile.
/// <list type="bullet">
/// <item>Means (latency, loss, jitter, score) are weighted by samples, as the rollups' are, so a
/// bucket of 60 samples weighs what its 60 samples would.</item>
/// <item>Uptime is weighted by time. A raw sample covers the time until the next sample (or bucket)
/// when that comes within <see cref="MaxBridgedGap"/> sample intervals, else one interval; the last
/// one covers one interval, clipped to the period's end. A bucket covers samples × interval, at most
/// its length (a minute with 30 of its 60 samples covers 30 s), and was Up for the share of that
/// time its Up samples have. Time without data is a gap: it counts neither for nor against uptime,
/// only against coverage.</item>
/// <item>P95 is the nearest rank ⌈0.95 n⌉ (the rollups' definition) over (value, weight) pairs:
/// a raw sample is (latency, 1), a bucket is (its p95, its samples). Exact when every pair is a raw
/// sample; otherwise an approximation (see <see cref="PathHealthStats.LatencyP95Exact"/>).</item>
/// </list>
/// </summary>
public sealed class HealthStatsAccumulator
{
    /// <summary>
    /// A raw sample stands for the time until the next one while that comes within this many sample
    /// intervals: 2 bridges a late sampling tick or one sample dropped by the recorder's queue. Further
    /// apart, the path's state in between is unknown: the sample covers one interval, the rest is a gap.
    /// </summary>
    public const double MaxBridgedGap = 2;

    private readonly DateTimeOffset _from;
    private readonly DateTimeOffset _until;
    private readonly TimeSpan _interval;
    private readonly List<(double Value, long Weight)> _percentile = [];
    private PathHealthSample? _pending;
    private DateTimeOffset _cursor;
    private bool _anyBucket;
    private long _samples;
    private double _latencySum;
    private double _lossSum;
    private double _jitterSum;
    private double _scoreSum;
    private double _latencyMin = double.PositiveInfinity;
    private double _latencyMax = double.NegativeInfinity;
    private TimeSpan _covered;
    private TimeSpan _up;

    /// <param name="from">Start of the period (inclusive).</param>
    /// <param name="until">End of the period (exclusive), after <paramref name="from"/>.</param>
    /// <param name="sampleInterval">The health sample interval (<see cref="HealthOptions.SampleInterval"/>), positive.</param>
    public HealthStatsAccumulator(DateTimeOffset from, DateTimeOffset until, TimeSpan sampleInterval)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(until, from);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(sampleInterval, TimeSpan.Zero);
        _from = from;
        _until = until;
        _interval = sampleInterval;
        _cursor = from;
    }

    /// <summary>Adds a raw sample inside the period, no earlier than anything added before.</summary>
    public void Add(PathHealthSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        RequireInOrder(sample.Timestamp, sample.Timestamp);
        Close(sample.Timestamp);
        _pending = sample;
        _cursor = sample.Timestamp;
        Count(1, sample.LatencyMs, sample.LatencyMs, sample.LatencyMs, sample.PacketLossPct, sample.JitterMs, sample.HealthScore);
        _percentile.Add((sample.LatencyMs, 1));
    }

    /// <summary>Adds a 10-second, Minute or Hour bucket lying wholly inside the period, starting no earlier than the end of anything added before.</summary>
    public void Add(PathHealthBucket bucket)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        if (bucket.Resolution is not (HealthResolution.TenSeconds or HealthResolution.Minute or HealthResolution.Hour))
        {
            throw new ArgumentException($"a bucket is TenSeconds, Minute or Hour, not {bucket.Resolution}", nameof(bucket));
        }

        var size = bucket.Resolution.BucketSize();
        RequireInOrder(bucket.BucketStart, bucket.BucketStart + size);
        Close(bucket.BucketStart);
        _cursor = bucket.BucketStart + size;
        if (bucket.Samples <= 0)
        {
            return; // a rollup never writes one; nothing to count
        }

        var n = bucket.Samples;
        Count(n, bucket.LatencyAvgMs, bucket.LatencyMinMs, bucket.LatencyMaxMs, bucket.LossAvgPct, bucket.JitterAvgMs, bucket.ScoreAvg);
        _percentile.Add((bucket.LatencyP95Ms, n));
        _anyBucket = true;

        var covered = _interval * n < size ? _interval * n : size;
        _covered += covered;
        _up += covered * ((double)Math.Clamp(bucket.UpSamples, 0, n) / n);
    }

    /// <summary>The aggregates of everything added. Call once, after the last <c>Add</c>.</summary>
    public PathHealthStats Finish(string pathId, HealthResolution resolution)
    {
        Close(null);
        if (_samples == 0)
        {
            return new(pathId, _from, _until, resolution, 0, TimeSpan.Zero, TimeSpan.Zero,
                null, null, null, null, LatencyP95Exact: false, null, null, null);
        }

        return new(pathId, _from, _until, resolution, _samples, _covered, _up,
            _latencySum / _samples, _latencyMin, _latencyMax, NearestRank95(), LatencyP95Exact: !_anyBucket,
            _lossSum / _samples, _jitterSum / _samples, _scoreSum / _samples);
    }

    private void RequireInOrder(DateTimeOffset start, DateTimeOffset end)
    {
        if (start < _from || start >= _until || end > _until)
        {
            throw new ArgumentOutOfRangeException(nameof(start), start, $"outside the period [{_from:O}, {_until:O})");
        }

        if (start < _cursor)
        {
            throw new ArgumentException($"samples and buckets must come in time order: {start:O} is before {_cursor:O}", nameof(start));
        }
    }

    /// <summary>Ends the pending raw sample's time at <paramref name="next"/> (null: nothing follows).</summary>
    private void Close(DateTimeOffset? next)
    {
        if (_pending is not { } sample)
        {
            return;
        }

        _pending = null;
        var gap = next - sample.Timestamp;
        var covered = gap is { } g && g <= _interval * MaxBridgedGap ? g : _interval;
        if (covered > _until - sample.Timestamp)
        {
            covered = _until - sample.Timestamp;
        }

        _covered += covered;
        if (sample.Status == PathStatus.Up)
        {
            _up += covered;
        }
    }

    private void Count(long n, double latencyAvg, double latencyMin, double latencyMax, double loss, double jitter, double score)
    {
        _samples += n;
        _latencySum += latencyAvg * n;
        _lossSum += loss * n;
        _jitterSum += jitter * n;
        _scoreSum += score * n;
        _latencyMin = Math.Min(_latencyMin, latencyMin);
        _latencyMax = Math.Max(_latencyMax, latencyMax);
    }

    /// <summary>The value at weighted rank ⌈0.95 N⌉ (integer form (95 N + 99) / 100) in ascending order.</summary>
    private double NearestRank95()
    {
        _percentile.Sort((a, b) => a.Value.CompareTo(b.Value));
        long total = 0;
        foreach (var (_, weight) in _percentile)
        {
            total += weight;
        }

        var rank = ((95 * total) + 99) / 100;
        long seen = 0;
        foreach (var (value, weight) in _percentile)
        {
            seen += weight;
            if (seen >= rank)
            {
                return value;
            }
        }

        return _percentile[^1].Value;
    }
}
