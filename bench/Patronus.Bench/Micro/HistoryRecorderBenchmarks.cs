using System.Buffers;
using BenchmarkDotNet.Attributes;
using Patronus.Engine.Health;
using Patronus.Persistence;

namespace Patronus.Bench.Micro;

/// <summary>
/// The history recorder's work per sample, without the queue and the SQL: aggregating a sample into
/// its path's 10-second bucket (10,000 paths, a sample a second each, so every 10th sample of a path
/// closes a bucket), and encoding a finished bucket as the record appended to its block.
/// </summary>
public class HistoryRecorderBenchmarks
{
    private const int Paths = 10_000;
    private const int Rounds = 60;
    private HealthBucketAggregator _aggregator = new();
    private readonly List<PathHealthBucket> _finished = new(Paths);
    private readonly ArrayBufferWriter<byte> _output = new(1 << 20);
    private PathHealthSample[] _samples = [];
    private PathHealthBucket _bucket = null!;
    private long _block;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var t0 = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
        // A minute of samples of every path, made up front so the benchmark allocates only what the aggregator does.
        var ids = Enumerable.Range(0, Paths).Select(i => $"edge{i:D5}-wan1-dc-east").ToArray();
        _samples = Enumerable.Range(0, Rounds * Paths)
            .Select(n => new PathHealthSample(ids[n % Paths], t0.AddSeconds(n / Paths), 20 + (n % 50), 0, 1.5, 100, PathStatus.Up)).ToArray();
        _block = t0.ToUnixTimeMilliseconds();
        _bucket = new PathHealthBucket("p", t0.AddSeconds(40), HealthResolution.TenSeconds, 10, 25.4, 24.9, 26.1, 26.0, 0, 0.4, 100, 100, 10);
    }

    /// <summary>
    /// One sample into its bucket (amortised: a tenth of the calls close a bucket and allocate its
    /// record). After a minute of samples the aggregator starts afresh (its first round allocates
    /// each path's state: 1/60 of the rounds).
    /// </summary>
    [Benchmark]
    public int AggregateSample()
    {
        if (_next == _samples.Length)
        {
            _next = 0;
            _aggregator = new HealthBucketAggregator();
        }

        if (_next % Paths == 0)
        {
            _finished.Clear();
        }

        _aggregator.Add(_samples[_next++], _finished);
        return _finished.Count;
    }

    /// <summary>One finished bucket encoded as its block record.</summary>
    [Benchmark]
    public int EncodeBucket()
    {
        if (_output.WrittenCount > (1 << 20) - HealthBlockCodec.MaxRecordLength)
        {
            _output.ResetWrittenCount();
        }

        HealthBlockCodec.Write(_output, _bucket, _block);
        return _output.WrittenCount;
    }
}
