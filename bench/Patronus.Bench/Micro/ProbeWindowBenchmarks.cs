using BenchmarkDotNet.Attributes;
using Patronus.Engine.Health;

namespace Patronus.Bench.Micro;

/// <summary>
/// One probe's life in a full default window (30 probes, 30 s): Sent, Answered, then the
/// Expire/Trim/Measure the monitor runs for the target; and Measure alone.
/// </summary>
public class ProbeWindowBenchmarks
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMilliseconds(100);
    private readonly ProbeWindow _window = new(TimeSpan.FromSeconds(30), 30);
    private TimeSpan _now;
    private uint _sequence;

    [GlobalSetup]
    public void Setup()
    {
        for (var i = 0; i < 30; i++)
        {
            SentAnsweredMeasure();
        }
    }

    [Benchmark]
    public WindowMeasurement? SentAnsweredMeasure()
    {
        _now += TimeSpan.FromSeconds(1);
        var sequence = ++_sequence;
        _window.Sent(sequence, _now);
        _window.Answered(sequence, TimeSpan.FromTicks(1_000 + (sequence % 7 * 100)));
        _window.Expire(_now, s_timeout);
        _window.Trim(_now);
        return _window.Measure();
    }

    [Benchmark]
    public WindowMeasurement? Measure() => _window.Measure();

    [Benchmark]
    public int PendingCount() => _window.PendingCount;
}
