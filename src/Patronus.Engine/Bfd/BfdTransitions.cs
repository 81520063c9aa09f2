using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Bfd;

/// <summary>A new bfd.SessionState and bfd.LocalDiag decided by <see cref="BfdTransitions"/>.</summary>
public readonly record struct BfdTransition(BfdState NewState, BfdDiagnostic Diagnostic, BfdStateChangeReason Reason);

/// <summary>
/// The state machine of RFC 5880 §6.2 / §6.8.6 for a received, valid packet, as a pure function.
/// <code>
///                              +--+
///                              |  | UP, ADMIN DOWN, TIMER
///                              |  V
///                      DOWN  +------+  INIT
///               +------------|      |------------+
///               |            | DOWN |            |
///               |  +-------->|      |&lt;--------+  |
///               |  |         +------+         |  |
///               |  |                          |  |
///               |  |               ADMIN DOWN,|  |
///               |  |ADMIN DOWN,          DOWN,|  |
///               |  |TIMER                TIMER|  |
///               V  |                          |  V
///             +------+                      +------+
///        +----|      |                      |      |----+
///    DOWN|    | INIT |--------------------->|  UP  |    |INIT, UP
///        +---&gt;|      | INIT, UP             |      |&lt;---+
///             +------+                      +------+
/// </code>
/// Hysteresis: none beyond the handshake itself — one packet from the peer moves the state, which
/// is the RFC's; damping of flaps belongs to whoever consumes the state changes.
/// </summary>
public static class BfdTransitions
{
    /// <summary>
    /// The transition for a packet carrying <paramref name="received"/> while the session is in
    /// <paramref name="local"/>, or null when the state stays. AdminDown locally changes nothing
    /// (the packet is discarded). The diagnostic is 3 on the way down, 0 on reaching Up (the
    /// previous Down reason no longer describes the session; FRR does the same), and unchanged
    /// (<paramref name="localDiag"/>) on Down → Init.
    /// </summary>
    public static BfdTransition? OnReceived(BfdState local, BfdState received, BfdDiagnostic localDiag) => (local, received) switch
    {
        (BfdState.AdminDown, _) => null,
        (BfdState.Init or BfdState.Up, BfdState.AdminDown) =>
            new(BfdState.Down, BfdDiagnostic.NeighborSignaledSessionDown, BfdStateChangeReason.NeighborAdminDown),
        (_, BfdState.AdminDown) => null,
        (BfdState.Down, BfdState.Down) => new(BfdState.Init, localDiag, BfdStateChangeReason.Handshake),
        (BfdState.Down, BfdState.Init) => new(BfdState.Up, BfdDiagnostic.None, BfdStateChangeReason.Handshake),
        (BfdState.Init, BfdState.Init or BfdState.Up) => new(BfdState.Up, BfdDiagnostic.None, BfdStateChangeReason.Handshake),
        (BfdState.Up, BfdState.Down) =>
            new(BfdState.Down, BfdDiagnostic.NeighborSignaledSessionDown, BfdStateChangeReason.NeighborDown),
        _ => null,
    };
}
