namespace Patronus.Engine.Health;

/// <summary>
/// Where the monitor hands history: periodic samples and status transitions. Implementations must
/// return at once and never throw (queue the work); the monitor loop calls them inline.
/// </summary>
public interface IHealthSink
{
    void Sample(PathHealthSample sample);

    /// <summary>The path's status changed (<paramref name="previous"/> is null for the first measurement).</summary>
    void Transition(PathHealthSnapshot? previous, PathHealthSnapshot current);
}
