namespace Patronus.Engine.Health;

/// <summary>
/// Aggregates samples into 10-second buckets in memory, per path, so the store gets one bucket per
/// path every 10 s instead of one row per sample (a tenth of the writes; see docs/storage.md, History
/// storage). Owned by one loop (the <see cref="HealthRecorder"/>'s writer): not thread-safe. Steady
/// state allocates only the finished <see cref="PathHealthBucket"/> records: each path's state and
/// its latency buffer are reused from bucket to bucket.
/// </summary>
public sealed class HealthBucketAggregator
{
    private static readonly long s_bucketMs = (long)HealthResolution.TenSeconds.BucketSize().TotalMilliseconds;

    private readonly Dictionary<string, State> _paths = new(StringComparer.Ordinal);

    /// <summary>Paths with an open bucket.</summary>
    public int OpenBuckets { get; private set; }

    /// <summary>Samples in open buckets (not yet handed out).</summary>
    public long PendingSamples { get; private set; }

    /// <summary>
    /// Adds a sample to its path's bucket. A sample of a later bucket than the open one first closes
    /// the open one into <paramref name="finished"/>; a sample of an earlier bucket (late by more
    /// than a bucket, rare) becomes a bucket of its own, which the store merges with the part already
    /// written (<see cref="PathHealthBucket.Combine"/>).
    /// </summary>
    public void Add(PathHealthSample sample, List<PathHealthBucket> finished)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(finished);
        var start = Floor(sample.Timestamp.ToUnixTimeMilliseconds());
        if (!_paths.TryGetValue(sample.PathId, out var state))
        {
            state = new State(sample.PathId);
            _paths.Add(sample.PathId, state);
        }

        if (state.Count > 0 && state.Start != start)
        {
            if (start < state.Start)
            {
                var late = new State(sample.PathId);
                late.Add(start, sample);
                finished.Add(late.Take());
                return;
            }

            Close(state, finished);
        }

        if (state.Count == 0)
        {
            OpenBuckets++;
        }

        state.Add(start, sample);
        PendingSamples++;
    }

    /// <summary>Closes every open bucket that ended at or before <paramref name="upTo"/> into <paramref name="finished"/>.</summary>
    public void TakeEnded(DateTimeOffset upTo, List<PathHealthBucket> finished)
    {
        ArgumentNullException.ThrowIfNull(finished);
        if (OpenBuckets == 0)
        {
            return;
        }

        var limit = upTo.ToUnixTimeMilliseconds();
        foreach (var state in _paths.Values)
        {
            if (state.Count > 0 && state.Start + s_bucketMs <= limit)
            {
                Close(state, finished);
            }
        }
    }

    /// <summary>Closes every open bucket, ended or not (shutdown: the part written now is merged with the rest after a restart).</summary>
    public void TakeAll(List<PathHealthBucket> finished) => TakeEnded(DateTimeOffset.MaxValue, finished);

    /// <summary>Forgets a path's open bucket (its path was deleted).</summary>
    public void Forget(string pathId)
    {
        if (_paths.Remove(pathId, out var state) && state.Count > 0)
        {
            OpenBuckets--;
            PendingSamples -= state.Count;
        }
    }

    private void Close(State state, List<PathHealthBucket> finished)
    {
        OpenBuckets--;
        PendingSamples -= state.Count;
        finished.Add(state.Take());
    }

    private static long Floor(long ms) => ms - (((ms % s_bucketMs) + s_bucketMs) % s_bucketMs);

    /// <summary>One path's open bucket.</summary>
    private sealed class State(string pathId)
    {
        private double[] _latencies = new double[16];

        public long Start;
        public int Count;
        private int _up;
        private double _latencySum;
        private double _latencyMin;
        private double _latencyMax;
        private double _lossSum;
        private double _jitterSum;
        private double _scoreSum;
        private double _scoreMin;

        public void Add(long start, PathHealthSample sample)
        {
            if (Count == 0)
            {
                Start = start;
                _latencyMin = double.PositiveInfinity;
                _latencyMax = double.NegativeInfinity;
                _scoreMin = double.PositiveInfinity;
            }

            if (Count == _latencies.Length)
            {
                Array.Resize(ref _latencies, _latencies.Length * 2);
            }

            _latencies[Count++] = sample.LatencyMs;
            _up += sample.Status == PathStatus.Up ? 1 : 0;
            _latencySum += sample.LatencyMs;
            _latencyMin = Math.Min(_latencyMin, sample.LatencyMs);
            _latencyMax = Math.Max(_latencyMax, sample.LatencyMs);
            _lossSum += sample.PacketLossPct;
            _jitterSum += sample.JitterMs;
            _scoreSum += sample.HealthScore;
            _scoreMin = Math.Min(_scoreMin, sample.HealthScore);
        }

        public PathHealthBucket Take()
        {
            var n = Count;
            // Nearest rank ⌈0.95 n⌉ (the rollups' definition), exact over the bucket's samples.
            var latencies = _latencies.AsSpan(0, n);
            latencies.Sort();
            var p95 = latencies[(int)((((95L * n) + 99) / 100) - 1)];
            var bucket = new PathHealthBucket(pathId, DateTimeOffset.FromUnixTimeMilliseconds(Start), HealthResolution.TenSeconds, n,
                _latencySum / n, _latencyMin, _latencyMax, p95, _lossSum / n, _jitterSum / n, _scoreSum / n, _scoreMin, _up);
            Count = 0;
            _up = 0;
            _latencySum = _lossSum = _jitterSum = _scoreSum = 0;
            return bucket;
        }
    }
}
