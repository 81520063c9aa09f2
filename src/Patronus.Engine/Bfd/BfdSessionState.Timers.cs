using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Bfd;

public sealed partial class BfdSessionState
{
    private bool _heard;
    private long _lastReceived;
    private long _lastAuthenticated;
    private bool _pollSent;
    private uint _pollMinTx;
    private uint _pollMaxRx;

    /// <summary>
    /// The Desired Min TX Interval (µs) the transmit interval uses. It lags
    /// <see cref="DesiredMinTxInterval"/> after an increase while Up, until the Poll completes
    /// (§6.8.3: the peer must lengthen its Detection Time first); a decrease applies at once.
    /// </summary>
    public uint DesiredMinTxInForce { get; private set; }

    /// <summary>
    /// The Required Min RX Interval (µs) the Detection Time uses. It lags
    /// <see cref="RequiredMinRxInterval"/> after a decrease while Up, until the Poll completes
    /// (§6.8.3: the peer must be sending faster first); an increase applies at once.
    /// </summary>
    public uint RequiredMinRxInForce { get; private set; }

    /// <summary>Whether a Poll Sequence is in progress (§6.5): periodic packets carry P until a Final arrives.</summary>
    public bool PollActive { get; private set; }

    /// <summary>The negotiated transmit interval before jitter (µs, §6.8.7).</summary>
    public uint TransmitInterval => BfdTiming.TransmitInterval(DesiredMinTxInForce, RemoteMinRxInterval);

    /// <summary>The Detection Time (µs, §6.8.4); 0 until the peer has been heard.</summary>
    public ulong DetectionTime => BfdTiming.DetectionTime(RemoteDetectMult, RequiredMinRxInForce, RemoteDesiredMinTxInterval);

    /// <summary>When the Detection Time runs out without a valid packet; null while nothing has been heard since the last expiry.</summary>
    public long? DetectionDeadline => _heard && DetectionTime > 0 ? _lastReceived + ToTicks(DetectionTime) : null;

    /// <summary>When bfd.AuthSeqKnown is cleared: twice the Detection Time after the last authenticated packet (§6.8.1).</summary>
    public long? AuthSeqResetDeadline => AuthSeqKnown ? _lastAuthenticated + (2 * ToTicks(DetectionTime)) : null;

    /// <summary>The earliest deadline of transmission, detection and sequence reset: arm the loop's timer here (null: none).</summary>
    public long? NextDeadline => Min(Min(NextTransmitAt, DetectionDeadline), AuthSeqResetDeadline);

    /// <summary>
    /// Runs what is due at <paramref name="now"/>: Detection Time expiry (§6.8.4: bfd.RemoteDiscr ←
    /// 0 per §6.8.1, and from Init or Up to Down with diag 1) and the bfd.AuthSeqKnown reset; and
    /// says whether a packet is due. Calling it early or twice is harmless.
    /// </summary>
    public BfdTimerResult OnTimer(long now)
    {
        BfdStateChange? change = null;
        if (DetectionDeadline is { } detection && now >= detection)
        {
            _heard = false;
            RemoteDiscr = 0;
            _finalPending = false; // stale, and a Passive session must not send with bfd.RemoteDiscr 0
            if (SessionState is BfdState.Init or BfdState.Up)
            {
                change = Transition(new(BfdState.Down, BfdDiagnostic.ControlDetectionTimeExpired, BfdStateChangeReason.DetectionTimeExpired), now);
            }
        }

        if (AuthSeqResetDeadline is { } reset && now >= reset)
        {
            AuthSeqKnown = false;
        }

        return new BfdTimerResult(change, IsTransmitDue(now));
    }

    /// <summary>
    /// Applies §6.8.3 after the configuration or the state changed what we advertise. Not Up: the
    /// values apply at once and no Poll runs (nobody is there to answer). Up: any change starts a
    /// Poll; a faster transmit and a slower receive apply at once, the others when it completes.
    /// </summary>
    private void OnAdvertisedTimersChanged()
    {
        var tx = BfdTiming.AdvertisedDesiredMinTx(_settings.DesiredMinTxInterval, SessionState);
        var rx = _settings.RequiredMinRxInterval;
        if (SessionState != BfdState.Up)
        {
            PollActive = false;
            DesiredMinTxInForce = tx;
            RequiredMinRxInForce = rx;
        }
        else if (tx != DesiredMinTxInterval || rx != RequiredMinRxInterval)
        {
            DesiredMinTxInForce = Math.Min(DesiredMinTxInForce, tx);
            RequiredMinRxInForce = Math.Max(RequiredMinRxInForce, rx);
            if (!PollActive)
            {
                PollActive = true;
                _pollSent = false;
            }
        }

        DesiredMinTxInterval = tx;
        RequiredMinRxInterval = rx;
        RescheduleIfIntervalChanged(keepEarlier: true);
    }

    /// <summary>
    /// A Final ends the Poll (§6.5). It confirms that the peer saw one of the Poll packets of this
    /// sequence, not which: apply the most conservative of them (the smallest transmit interval,
    /// the largest receive interval). If that is not what we advertise now (a change while
    /// polling), poll again.
    /// </summary>
    private void TerminatePoll()
    {
        DesiredMinTxInForce = Math.Min(_pollMinTx, DesiredMinTxInterval);
        RequiredMinRxInForce = Math.Max(_pollMaxRx, RequiredMinRxInterval);
        _pollSent = false;
        PollActive = DesiredMinTxInForce != DesiredMinTxInterval || RequiredMinRxInForce != RequiredMinRxInterval;
    }

    private void RecordPollSent()
    {
        _pollMinTx = _pollSent ? Math.Min(_pollMinTx, DesiredMinTxInterval) : DesiredMinTxInterval;
        _pollMaxRx = _pollSent ? Math.Max(_pollMaxRx, RequiredMinRxInterval) : RequiredMinRxInterval;
        _pollSent = true;
    }

    private static long? Min(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);
}
