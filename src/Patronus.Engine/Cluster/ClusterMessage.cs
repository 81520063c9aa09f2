using Patronus.Engine.Health;

namespace Patronus.Engine.Cluster;

/// <summary>What a relayed message says (docs/ha.md, "Live events on every node").</summary>
public enum ClusterMessageKind
{
    /// <summary>The leader's current health of some paths (changes since its last message, or all of them after an election or a resync request).</summary>
    Health,

    /// <summary>The leader wrote failover events: read the store past your cursor. Carries no event, so it is never too big and never stale.</summary>
    FailoverWritten,

    /// <summary>A node (re)connected its listener and asks the leader for its whole health state.</summary>
    Resync,

    /// <summary>A node wrote the topology or the failover policies (an API edit): every other node reloads both from the store.</summary>
    ConfigChanged,

    /// <summary>The leader's failback hold-down of some policies (those whose state changed since its last message, or all after an election or a resync request).</summary>
    HoldDowns,
}

/// <summary>A policy's failback hold-down as the leader's failover loop has it (<see cref="Failover.FailoverPolicyStatus"/>).</summary>
/// <param name="PolicyId">The policy.</param>
/// <param name="FailbackPendingSince">Since when its primary has been failback-healthy while a backup is active, or null.</param>
/// <param name="HeldUntil">Until when its failbacks are held by flap dampening, or null.</param>
public sealed record PolicyHoldDown(long PolicyId, DateTimeOffset? FailbackPendingSince, DateTimeOffset? HeldUntil);

/// <summary>
/// One notification between the nodes sharing a store: who sent it, under which term it believed
/// the lease was (a follower drops health from a term older than the newest it has seen, so a
/// deposed leader that has not noticed yet cannot overwrite its successor's view), and for
/// <see cref="ClusterMessageKind.Health"/> the snapshots, for <see cref="ClusterMessageKind.HoldDowns"/> the hold-downs.
/// </summary>
/// <param name="Kind">What it says.</param>
/// <param name="NodeId">The sender.</param>
/// <param name="Term">The sender's term (its own while it leads).</param>
/// <param name="Health">The snapshots of a <see cref="ClusterMessageKind.Health"/> message, else empty.</param>
/// <param name="HoldDowns">The hold-downs of a <see cref="ClusterMessageKind.HoldDowns"/> message, else null.</param>
public sealed record ClusterMessage(ClusterMessageKind Kind, string NodeId, long Term, IReadOnlyList<PathHealthSnapshot> Health,
    IReadOnlyList<PolicyHoldDown>? HoldDowns = null)
{
    /// <summary>A message without snapshots.</summary>
    public static ClusterMessage Signal(ClusterMessageKind kind, string nodeId, long term) => new(kind, nodeId, term, []);
}
