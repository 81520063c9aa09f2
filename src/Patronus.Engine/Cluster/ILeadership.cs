using Patronus.Engine.Loops;

namespace Patronus.Engine.Cluster;

/// <summary>
/// The one question the engine's singleton work asks before it acts: is this instance the leader,
/// and under which term? Consulted by the features that must run on one instance only (routes,
/// the history recorder and rollups, the failover event recorder) and by the store, which refuses a
/// leader-only write whose term is no longer the lease's (<see cref="Fence"/>). On the embedded
/// SQLite store the instance is always the leader with term 1 (<see cref="Leadership.SingleNode"/>).
/// Thread-safe: every member reads one immutable snapshot.
/// </summary>
public interface ILeadership
{
    /// <summary>This instance's node id.</summary>
    string NodeId { get; }

    /// <summary>True while this instance holds the lease and its local deadline (the renewal's send time plus the lease) has not passed.</summary>
    bool IsLeader { get; }

    /// <summary>The newest lease term this instance has seen (its own while leader; 0 before the first attempt).</summary>
    long Term { get; }

    /// <summary>
    /// What a leader-only write must carry: this node and its term while it is the leader, null
    /// otherwise. <see cref="FenceToken.Checked"/> says whether the store must verify it against the
    /// lease row (a shared store) or may trust it (the single-node store).
    /// </summary>
    FenceToken? Fence { get; }

    /// <summary>Fires when this instance becomes leader or stops being leader.</summary>
    ChangeSignal Changed { get; }

    /// <summary>
    /// The store refused a write fenced with <paramref name="term"/>: the lease is no longer ours.
    /// Steps down at once (unless a newer term was acquired meanwhile) instead of waiting for the next renewal.
    /// </summary>
    void Refused(long term);
}

/// <summary>A leader's fencing token: the node and the term it holds the lease under.</summary>
/// <param name="NodeId">The lease holder.</param>
/// <param name="Term">The lease's term.</param>
/// <param name="Checked">True when the store must check the token against the lease row in the write's transaction.</param>
public sealed record FenceToken(string NodeId, long Term, bool Checked);
