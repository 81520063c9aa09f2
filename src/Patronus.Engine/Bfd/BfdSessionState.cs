using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Bfd;

/// <summary>
/// One BFD session in Asynchronous mode (RFC 5880), as deterministic logic without sockets or
/// timers: the state variables of §6.8.1, reception (§6.8.6), timer negotiation and Poll
/// sequences (§6.5, §6.8.2–6.8.4), transmission (§6.8.7) and administrative control (§6.8.16).
/// Mutable and owned by one loop; every input carries its time as a <see cref="TimeProvider"/>
/// timestamp, and every output deadline is one.
/// <para>
/// A runtime loop drives it with four inputs and arms one timer:
/// a datagram → <see cref="BfdReception.Check"/>, session lookup, <see cref="OnPacketReceived"/>
/// (then, if <see cref="BfdReceiveResult.TransmitFinal"/>, <see cref="TryBuildPacket"/> and send);
/// the timer → <see cref="OnTimer"/> (then, if <see cref="BfdTimerResult.TransmitDue"/>, build and
/// send); configuration → <see cref="Reconfigure"/>; operator → <see cref="SetAdminDown"/> /
/// <see cref="ClearAdminDown"/>. After any of them, re-arm the timer at <see cref="NextDeadline"/>
/// and publish any <see cref="BfdStateChange"/> returned.
/// </para>
/// <para>
/// Not implemented: Demand mode (bfd.DemandMode stays 0, D is never sent; a peer's D bit is
/// honoured as §6.8.7 requires, by ceasing periodic packets) and the Echo function (Required Min
/// Echo RX Interval is sent as 0, so the peer sends no Echo packets).
/// </para>
/// </summary>
public sealed partial class BfdSessionState
{
    private readonly TimeProvider _time;
    private readonly Random _random;
    private BfdSessionSettings _settings;

    /// <param name="settings">Initial configuration.</param>
    /// <param name="localDiscriminator">bfd.LocalDiscr: nonzero and unique among this system's sessions (§6.3); the caller allocates it.</param>
    /// <param name="time">The clock whose timestamps every method takes and returns (only its <see cref="TimeProvider.TimestampFrequency"/> is read here).</param>
    /// <param name="random">Jitter and the initial bfd.XmitAuthSeq; <see cref="Random.Shared"/> in production, seeded in tests.</param>
    /// <param name="now">Creation time; an active session's first packet is due then.</param>
    public BfdSessionState(BfdSessionSettings settings, uint localDiscriminator, TimeProvider time, Random random, long now)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfZero(localDiscriminator);
        settings.Validate();
        _settings = settings;
        _time = time;
        _random = random;

        // §6.8.1 initial values.
        LocalDiscr = localDiscriminator;
        SessionState = BfdState.Down;
        RemoteSessionState = BfdState.Down;
        RemoteMinRxInterval = 1;
        DetectMult = settings.DetectMult;
        AuthType = settings.Authenticator?.Type ?? BfdAuthType.None;
        XmitAuthSeq = (uint)random.NextInt64(0, 1L << 32);
        DesiredMinTxInterval = BfdTiming.AdvertisedDesiredMinTx(settings.DesiredMinTxInterval, SessionState);
        RequiredMinRxInterval = settings.RequiredMinRxInterval;
        DesiredMinTxInForce = DesiredMinTxInterval;
        RequiredMinRxInForce = RequiredMinRxInterval;
        _nextTransmit = now;
        _scheduledInterval = TransmitInterval;
    }

    /// <summary>The configuration in force.</summary>
    public BfdSessionSettings Settings => _settings;

    /// <summary>bfd.SessionState.</summary>
    public BfdState SessionState { get; private set; }

    /// <summary>bfd.RemoteSessionState: the State last reported by the peer (Down until it is heard).</summary>
    public BfdState RemoteSessionState { get; private set; }

    /// <summary>bfd.LocalDiscr.</summary>
    public uint LocalDiscr { get; }

    /// <summary>bfd.RemoteDiscr: the peer's My Discriminator; zero until heard and again after a Detection Time of silence.</summary>
    public uint RemoteDiscr { get; private set; }

    /// <summary>bfd.LocalDiag: the reason for the last state change, sent in Diag.</summary>
    public BfdDiagnostic LocalDiag { get; private set; }

    /// <summary>bfd.DesiredMinTxInterval (µs) as advertised: the configured value once Up, at least 1 s otherwise.</summary>
    public uint DesiredMinTxInterval { get; private set; }

    /// <summary>bfd.RequiredMinRxInterval (µs) as advertised.</summary>
    public uint RequiredMinRxInterval { get; private set; }

    /// <summary>bfd.RemoteMinRxInterval (µs): the peer's last Required Min RX Interval; 1 until heard.</summary>
    public uint RemoteMinRxInterval { get; private set; }

    /// <summary>bfd.DemandMode: always false (Demand mode is not implemented).</summary>
#pragma warning disable CA1822 // an instance member like the other §6.8.1 variables, for when Demand mode comes
    public bool DemandMode => false;
#pragma warning restore CA1822

    /// <summary>bfd.RemoteDemandMode: the peer's last D bit.</summary>
    public bool RemoteDemandMode { get; private set; }

    /// <summary>bfd.DetectMult: sent in Detect Mult.</summary>
    public byte DetectMult { get; private set; }

    /// <summary>bfd.AuthType.</summary>
    public BfdAuthType AuthType { get; private set; }

    /// <summary>bfd.RcvAuthSeq: the last sequence number accepted from the peer.</summary>
    public uint RcvAuthSeq { get; private set; }

    /// <summary>bfd.XmitAuthSeq: the sequence number of the next packet (Keyed: of the next packet with unchanged contents).</summary>
    public uint XmitAuthSeq { get; private set; }

    /// <summary>bfd.AuthSeqKnown: whether <see cref="RcvAuthSeq"/> bounds the next accepted number; cleared after twice the Detection Time of silence.</summary>
    public bool AuthSeqKnown { get; private set; }

    /// <summary>The peer's last Detect Mult (0 until heard).</summary>
    public byte RemoteDetectMult { get; private set; }

    /// <summary>The peer's last Desired Min TX Interval (µs; 0 until heard).</summary>
    public uint RemoteDesiredMinTxInterval { get; private set; }

    /// <summary>The peer's last Diag.</summary>
    public BfdDiagnostic RemoteDiagnostic { get; private set; }

    /// <summary>Whether Demand mode is active on the peer (§6.6): its D bit with both sides Up. Periodic packets then stop.</summary>
    public bool RemoteDemandActive => RemoteDemandMode && SessionState == BfdState.Up && RemoteSessionState == BfdState.Up;

    /// <summary>A snapshot for readers on other threads (API, metrics).</summary>
    public BfdSessionSnapshot ToSnapshot() => new(
        SessionState, RemoteSessionState, LocalDiscr, RemoteDiscr, LocalDiag, RemoteDiagnostic,
        DesiredMinTxInterval, RequiredMinRxInterval, RemoteMinRxInterval, RemoteDesiredMinTxInterval,
        DetectMult, RemoteDetectMult, TransmitInterval, DetectionTime, PollActive, AuthType);

    private long ToTicks(ulong microseconds) =>
        (long)((UInt128)microseconds * (ulong)_time.TimestampFrequency / 1_000_000);

    private BfdStateChange Transition(BfdTransition transition, long now)
    {
        var old = SessionState;
        SessionState = transition.NewState;
        LocalDiag = transition.Diagnostic;
        OnAdvertisedTimersChanged();
        return new BfdStateChange(old, SessionState, LocalDiag, transition.Reason, now);
    }
}
