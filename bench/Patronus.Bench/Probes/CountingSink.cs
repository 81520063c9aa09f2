using Patronus.Engine.Health;

namespace Patronus.Bench.Probes;

/// <summary>Counts what the monitor hands over, and passes it on to a real sink when given one.</summary>
internal sealed class CountingSink(IHealthSink? next) : IHealthSink
{
    private long _samples;
    private long _transitions;

    public long Samples => Interlocked.Read(ref _samples);

    public long Transitions => Interlocked.Read(ref _transitions);

    public void Sample(PathHealthSample sample)
    {
        Interlocked.Increment(ref _samples);
        next?.Sample(sample);
    }

    public void Transition(PathHealthSnapshot? previous, PathHealthSnapshot current)
    {
        Interlocked.Increment(ref _transitions);
        next?.Transition(previous, current);
    }
}
