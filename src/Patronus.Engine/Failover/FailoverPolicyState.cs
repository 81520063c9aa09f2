using Patronus.Engine.Loops;

namespace Patronus.Engine.Failover;

/// <summary>
/// Per-policy state owned by the failover loop. Immutable: <see cref="FailoverDecision.Decide"/>
/// returns a new one (or the same instance when nothing changed). Every time in it is an instant of
/// the loop's monotonic clock (<see cref="LoopTime.Elapsed"/>), so a step of the wall clock neither
/// brings a failback forward nor holds one back; <see cref="FailoverPolicyStatus"/> shows them on
/// the wall clock.
/// </summary>
/// <param name="ActivePathId">The path the policy's prefixes currently use.</param>
/// <param name="PrimaryHealthySince">
/// While a backup is active: since when the primary has been failback-healthy without a dip, or null
/// when it is not failback-healthy now. Null while the primary is active.
/// </param>
/// <param name="RecentSwitches">Times of the switches (failover or failback) within the dampening window, oldest first.</param>
/// <param name="HeldUntil">Failbacks are suspended until this time (flap dampening), or null.</param>
/// <param name="FailureReported">
/// True once FailoverFailed has been emitted for the current outage, so that it is emitted once, not
/// on every evaluation; cleared when the active path is acceptable again or a switch happens.
/// </param>
public sealed record FailoverPolicyState(
    string ActivePathId,
    TimeSpan? PrimaryHealthySince,
    IReadOnlyList<TimeSpan> RecentSwitches,
    TimeSpan? HeldUntil,
    bool FailureReported)
{
    /// <summary>The state of a policy that has just been loaded or enabled: on the primary, nothing recorded.</summary>
    public static FailoverPolicyState Initial(FailoverPolicy p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return new(p.PrimaryPathId, null, [], null, false);
    }
}
