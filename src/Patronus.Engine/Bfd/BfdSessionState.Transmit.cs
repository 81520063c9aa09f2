using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Bfd;

public sealed partial class BfdSessionState
{
    private long _nextTransmit;
    private long _lastTransmit;
    private bool _transmitted;
    private uint _scheduledInterval;
    private bool _finalPending;
    private BfdControlPacket? _lastSent;

    /// <summary>Whether the next packet answers a Poll (F set); the runtime sends it at once.</summary>
    public bool FinalPending => _finalPending;

    /// <summary>
    /// Whether periodic packets may be sent (§6.8.7): not in the Passive role before the peer is
    /// heard, not while the peer's Required Min RX is 0, not while Demand mode is active on the
    /// peer and no Poll is running.
    /// </summary>
    public bool PeriodicTransmissionAllowed =>
        !(_settings.Passive && RemoteDiscr == 0) && RemoteMinRxInterval != 0 && !(RemoteDemandActive && !PollActive);

    /// <summary>When the next periodic packet is due (jittered, §6.8.7), or null when none may be sent. A pending Final is due at once regardless.</summary>
    public long? NextTransmitAt => PeriodicTransmissionAllowed ? _nextTransmit : null;

    /// <summary>Whether a packet is due at <paramref name="now"/>: a Final, or the periodic one.</summary>
    public bool IsTransmitDue(long now) => _finalPending || (PeriodicTransmissionAllowed && now >= _nextTransmit);

    /// <summary>
    /// Writes the next control packet (§6.8.7) and records it as sent: F if a Poll is being
    /// answered (P is then clear, §6.5), else P while our Poll runs; our variables in the fields;
    /// Required Min Echo RX 0; the Authentication Section when bfd.AuthType is nonzero, advancing
    /// bfd.XmitAuthSeq (Meticulous: every packet; Keyed: when the contents change, §6.7.3). A
    /// periodic packet re-arms the transmit timer with fresh jitter; a Final sent between periodic
    /// packets leaves it alone. False only when <paramref name="destination"/> is too small
    /// (24 octets plus the Authentication Section; 52 always suffice).
    /// </summary>
    public bool TryBuildPacket(Span<byte> destination, long now, out int written)
    {
        var authenticator = _settings.Authenticator;
        var length = BfdControlPacket.Size + (authenticator?.SectionLength ?? 0);
        if (destination.Length < length)
        {
            written = 0;
            return false;
        }

        var final = _finalPending;
        var poll = PollActive && !final;
        var bits = (final ? BfdControlBits.Final : BfdControlBits.None) |
            (poll ? BfdControlBits.Poll : BfdControlBits.None) |
            (authenticator is null ? BfdControlBits.None : BfdControlBits.AuthenticationPresent);
        var packet = new BfdControlPacket(
            BfdControlPacket.CurrentVersion, LocalDiag, SessionState, bits, DetectMult, (byte)length,
            LocalDiscr, RemoteDiscr, DesiredMinTxInterval, RequiredMinRxInterval, RequiredMinEchoRxInterval: 0);
        packet.TryWrite(destination, out _);
        if (authenticator is not null)
        {
            authenticator.TrySign(destination, NextSequence(authenticator, packet));
        }

        _lastSent = packet;
        _finalPending = false;
        if (poll)
        {
            RecordPollSent();
        }

        if (!final || (PeriodicTransmissionAllowed && now >= _nextTransmit))
        {
            _transmitted = true;
            _lastTransmit = now;
            _scheduledInterval = TransmitInterval;
            _nextTransmit = now + ToTicks(BfdTiming.Jitter(_scheduledInterval, DetectMult, _random));
        }

        written = length;
        return true;
    }

    private uint NextSequence(BfdAuthenticator authenticator, in BfdControlPacket packet)
    {
        if (!authenticator.UsesSequenceNumbers)
        {
            return 0;
        }

        if (authenticator.IsMeticulous)
        {
            return XmitAuthSeq++;
        }

        if (_lastSent is { } last && last != packet)
        {
            XmitAuthSeq++;
        }

        return XmitAuthSeq;
    }

    /// <summary>
    /// §6.8.7: "The transmit interval MUST be recalculated whenever bfd.DesiredMinTxInterval
    /// changes, or whenever bfd.RemoteMinRxInterval changes" — re-draw the pending deadline from
    /// the last transmission with the new interval, so that neither a slower peer is flooded nor
    /// a faster rate waits out the old one. With <paramref name="keepEarlier"/> (our own interval
    /// grew: leaving Up, or a Poll completed) the packet already scheduled still goes out on time
    /// and the new interval applies from the next one: the peer hears of a state change within
    /// the old interval instead of up to a second later.
    /// </summary>
    private void RescheduleIfIntervalChanged(bool keepEarlier)
    {
        var interval = TransmitInterval;
        if (interval == _scheduledInterval)
        {
            return;
        }

        _scheduledInterval = interval;
        if (_transmitted)
        {
            var next = _lastTransmit + ToTicks(BfdTiming.Jitter(interval, DetectMult, _random));
            _nextTransmit = keepEarlier ? Math.Min(_nextTransmit, next) : next;
        }
    }
}
