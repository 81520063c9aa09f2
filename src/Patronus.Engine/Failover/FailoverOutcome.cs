namespace Patronus.Engine.Failover;

/// <summary>What <see cref="FailoverDecision.Decide"/> decided.</summary>
/// <param name="State">The policy's next state (the same instance when nothing changed).</param>
/// <param name="Event">The event to record and publish, or null. A changed <see cref="FailoverPolicyState.ActivePathId"/> comes with FailoverTriggered or FailbackCompleted.</param>
/// <param name="WakeAt">
/// The earliest time at which the decision could change without new input (failback due, or the end
/// of a flap hold that blocks a due failback), on the loop's monotonic clock, or null. The loop arms
/// a timer for it and evaluates again.
/// </param>
public sealed record FailoverOutcome(FailoverPolicyState State, FailoverEvent? Event, TimeSpan? WakeAt);
