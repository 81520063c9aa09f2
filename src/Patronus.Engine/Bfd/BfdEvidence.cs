using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Bfd;

/// <summary>
/// Whether a BFD session's state is evidence about its path's forwarding, as a pure function of
/// the session's state changes, and what it then says (seed 003's score).
/// <para>
/// A session <em>counts</em> once it has come Up. It stops counting when the session is taken
/// down on purpose: AdminDown here (config, the API, a removed path), or Down because the peer
/// signalled AdminDown (RFC 5880 §6.8.6, diag 3, reason NeighborAdminDown) — RFC 5882 §3.2: such a
/// session must not be taken as a forwarding failure, so a peer's maintenance (FRR
/// <c>shutdown</c>, a Patronus edge restarting) moves no traffic. It counts again only once it is
/// Up again: the Init on the way back up after <c>no shutdown</c> is "not yet", not "degraded".
/// Meanwhile the path's other evidence (its probes) judges it alone.
/// </para>
/// </summary>
public static class BfdEvidence
{
    /// <summary>Whether the session counts after <paramref name="change"/>, given whether it counted before.</summary>
    public static bool CountsAfter(bool counted, BfdStateChange change) =>
        change.NewState == BfdState.Up || (counted && !IsAdministrative(change));

    /// <summary>A change made on purpose, by either side: it says nothing about forwarding.</summary>
    public static bool IsAdministrative(BfdStateChange change) =>
        change.NewState == BfdState.AdminDown || change.Reason == BfdStateChangeReason.NeighborAdminDown;

    /// <summary>
    /// Seed 003's health score of a session that counts: Up 100, Init 50, Down 0. Null — no
    /// opinion — when it does not count (not yet Up, or taken down on purpose) or is AdminDown.
    /// </summary>
    public static double? Score(BfdState state, bool counts) => !counts ? null : state switch
    {
        BfdState.Up => 100,
        BfdState.Init => 50,
        BfdState.Down => 0,
        _ => null,
    };
}
