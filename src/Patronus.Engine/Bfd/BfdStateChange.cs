using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Bfd;

/// <summary>
/// One change of bfd.SessionState, for the runtime to publish (events, logs, metrics, path
/// health).
/// </summary>
/// <param name="OldState">bfd.SessionState before.</param>
/// <param name="NewState">bfd.SessionState after.</param>
/// <param name="Diagnostic">bfd.LocalDiag after: what the peer will read in our Diag field.</param>
/// <param name="Reason">What caused the change.</param>
/// <param name="Timestamp">When (a <see cref="TimeProvider"/> timestamp: the packet's receive time, the timer's or the command's).</param>
public readonly record struct BfdStateChange(BfdState OldState, BfdState NewState, BfdDiagnostic Diagnostic, BfdStateChangeReason Reason, long Timestamp);

/// <summary>Causes of a session state change (RFC 5880 §6.8.4, §6.8.6, §6.8.16).</summary>
public enum BfdStateChangeReason
{
    /// <summary>A step of the three-way handshake: Down → Init, Down → Up, Init → Up (§6.2, §6.8.6).</summary>
    Handshake = 0,

    /// <summary>The peer reported Down while we were Up (diag 3).</summary>
    NeighborDown,

    /// <summary>The peer reported AdminDown while we were Init or Up (diag 3).</summary>
    NeighborAdminDown,

    /// <summary>No valid packet for a Detection Time while Init or Up (diag 1, §6.8.4).</summary>
    DetectionTimeExpired,

    /// <summary>Disabled locally (§6.8.16).</summary>
    AdminDown,

    /// <summary>Enabled locally again: AdminDown → Down (§6.8.16).</summary>
    AdminUp,
}
