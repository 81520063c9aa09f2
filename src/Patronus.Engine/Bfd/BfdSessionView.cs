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
/// <param name="EverUp">The session has been Up since it was opened: until then its Down is "not yet", not "failed".</param>
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
    bool EverUp)
{
    /// <summary>The session state, Down when the session is not running.</summary>
    public BfdState SessionState => State?.SessionState ?? BfdState.Down;

    /// <summary>BFD says the path is down: the session was Up and is now Down (not AdminDown, not still starting).</summary>
    public bool IsDown => EverUp && SessionState == BfdState.Down;

    /// <summary>
    /// Seed 003's health score of a BFD state: Up 100, Init 50, Down 0. Null — no opinion — when
    /// AdminDown, and before the session has first come Up: every session starts Down, and a peer
    /// still starting is no evidence against the path (the probes judge it meanwhile).
    /// </summary>
    public double? HealthScore => !EverUp ? null : SessionState switch
    {
        BfdState.Up => 100,
        BfdState.Init => 50,
        BfdState.Down => 0,
        _ => null,
    };
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
