using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Bfd;

/// <summary>
/// What readers (API, metrics, path health, failover) see of one path's BFD session: immutable,
/// replaced by the service loop whenever the state or the negotiated values change.
/// </summary>
/// <param name="PathId">The path the session belongs to.</param>
/// <param name="Settings">The settings in force.</param>
/// <param name="Local">Local address.</param>
/// <param name="SourcePort">UDP source port (0 while the socket is not open).</param>
/// <param name="State">The core's variables, or null when the session could not start (see <paramref name="Error"/>).</param>
/// <param name="Error">Why the session is not running (address not on this host, interface missing …), or null.</param>
/// <param name="AdminDownOverride">Held AdminDown by an operator at run time (not persisted), on top of <see cref="BfdPathSettings.AdminDown"/>.</param>
/// <param name="LastChange">When the state last changed (UTC), or null.</param>
/// <param name="LastChangeReason">What caused it.</param>
/// <param name="Counters">Packet counters, updated live by the loop.</param>
/// <param name="Counts">
/// The session's state is evidence about the path (<see cref="BfdEvidence"/>): it has come Up since
/// it was opened and since it was last taken down on purpose, here or by the peer. Until then its
/// Down is "not yet" or "on purpose", not "failed".
/// </param>
/// <param name="OpenedAt">
/// When its sockets opened and its state machine started, Down (UTC), or null while it could not
/// open: the start of the handshake, so <c>LastChange - OpenedAt</c> of a first Up is how long the
/// session took to come up, whatever the process's own start cost.
/// </param>
public sealed record BfdSessionView(
    string PathId,
    BfdPathSettings Settings,
    string? Local,
    int SourcePort,
    BfdSessionSnapshot? State,
    string? Error,
    bool AdminDownOverride,
    DateTimeOffset? LastChange,
    BfdStateChangeReason? LastChangeReason,
    BfdSessionCounters Counters,
    bool Counts,
    DateTimeOffset? OpenedAt)
{
    /// <summary>The session state, Down when the session is not running.</summary>
    public BfdState SessionState => State?.SessionState ?? BfdState.Down;

    /// <summary>BFD says the path is down: the session counts and is Down (not AdminDown, not still starting, not the peer's AdminDown).</summary>
    public bool IsDown => Counts && SessionState == BfdState.Down;

    /// <summary>
    /// The session is Down because the peer is administratively down (RFC 5880 §6.8.16: its
    /// maintenance, or a Patronus edge stopping): no opinion on the path until it is Up again.
    /// </summary>
    public bool PeerAdminDown => SessionState == BfdState.Down && State?.RemoteSessionState == BfdState.AdminDown;

    /// <summary>
    /// Seed 003's health score of a BFD state: Up 100, Init 50, Down 0. Null — no opinion — while
    /// the session does not count (<see cref="BfdEvidence"/>): every session starts Down, and a peer
    /// still starting, or down on purpose, is no evidence against the path (the probes judge it meanwhile).
    /// </summary>
    public double? HealthScore => BfdEvidence.Score(SessionState, Counts);

    /// <summary>
    /// Path health's view of this session (<see cref="BfdService.Liveness"/>), built once per view:
    /// the monitor asks for every path at each state change, and the answer must not allocate.
    /// </summary>
    internal Health.PathLiveness? Liveness { get; } = State is { } state && BfdEvidence.Score(state.SessionState, Counts) is { } score
        ? new Health.PathLiveness(score, $"BFD {BfdNames.State(state.SessionState)}{(state.SessionState == BfdState.Up ? "" : $" ({BfdNames.Diagnostic(state.LocalDiag)})")}")
        : null;
}

/// <summary>A session state change, published to every subscriber of <see cref="BfdService"/> as it happens.</summary>
/// <param name="PathId">The path.</param>
/// <param name="Change">Old and new state, diagnostic, cause.</param>
/// <param name="At">When (UTC).</param>
/// <param name="Session">The session right after the change.</param>
public sealed record BfdSessionEvent(string PathId, BfdStateChange Change, DateTimeOffset At, BfdSessionView Session);

/// <summary>Per-session packet counters: written by the service loop only, read by anyone.</summary>
public sealed class BfdSessionCounters
{
    private long _received;
    private long _sent;
    private long _dropped;
    private long _authFailures;

    public long Received => Volatile.Read(ref _received);

    public long Sent => Volatile.Read(ref _sent);

    /// <summary>Packets for this session discarded (TTL, authentication, checks of §6.8.6 that need the session).</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    public long AuthFailures => Volatile.Read(ref _authFailures);

    internal void OnReceived() => Volatile.Write(ref _received, _received + 1);

    internal void OnSent() => Volatile.Write(ref _sent, _sent + 1);

    internal void OnDropped(bool authentication)
    {
        Volatile.Write(ref _dropped, _dropped + 1);
        if (authentication)
        {
            Volatile.Write(ref _authFailures, _authFailures + 1);
        }
    }
}
