namespace Patronus.Engine.Loops;

/// <summary>
/// A background loop that owns engine state (the health monitor, BFD, failover; see
/// <see cref="EngineLoop"/>). Each records when it last ran (<see cref="LastTick"/>) and runs at
/// least every <see cref="Heartbeat"/> even with nothing to do, so "has not ticked for a while"
/// means stuck or dead, never idle: readiness and the <c>patronus_loop_last_tick_age_seconds</c>
/// gauge read it.
/// </summary>
public interface IEngineLoop
{
    /// <summary>Longest a healthy loop waits between iterations.</summary>
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(5);

    /// <summary>Short snake_case name, the <c>loop</c> label.</summary>
    string LoopName { get; }

    /// <summary>Monotonic timestamp (<see cref="TimeProvider.GetTimestamp"/>) of the last iteration; 0 before the first.</summary>
    long LastTick { get; }
}
