using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Bfd;

public sealed partial class BfdSessionState
{
    /// <summary>
    /// Processes a packet for this session (RFC 5880 §6.8.6, from the A-bit checks on): checks
    /// the A bit against bfd.AuthType, authenticates (§6.7), records the peer's variables,
    /// terminates our Poll on F, restarts the Detection Time, runs the state machine
    /// (<see cref="BfdTransitions"/>) and asks for a Final when P is set. The checks before session
    /// selection are <see cref="BfdReception.Check"/>'s, which the caller has run.
    /// </summary>
    /// <param name="datagram">The received datagram (at least Length octets).</param>
    /// <param name="packet">Its mandatory section, as <see cref="BfdReception.Check"/> accepted it.</param>
    /// <param name="now">Receive time.</param>
    public BfdReceiveResult OnPacketReceived(ReadOnlySpan<byte> datagram, in BfdControlPacket packet, long now)
    {
        if (packet.Length > datagram.Length)
        {
            return BfdReceiveResult.Dropped(BfdDropReason.LengthExceedsPayload);
        }

        var drop = BfdReception.CheckSession(packet, sessionFound: true, AuthType);
        if (drop != BfdDropReason.None)
        {
            return BfdReceiveResult.Dropped(drop);
        }

        if (packet.AuthenticationPresent)
        {
            var authenticator = _settings.Authenticator!;
            var auth = authenticator.Verify(datagram[..packet.Length], AuthSeqKnown, RcvAuthSeq, out var sequence);
            if (auth != BfdAuthResult.Accepted)
            {
                return new BfdReceiveResult(BfdDropReason.AuthFailed, auth, null, false);
            }

            if (authenticator.UsesSequenceNumbers)
            {
                RcvAuthSeq = sequence;
                AuthSeqKnown = true;
                _lastAuthenticated = now;
            }
        }

        RemoteDiscr = packet.MyDiscriminator;
        RemoteSessionState = packet.State;
        RemoteDemandMode = packet.Demand;
        RemoteMinRxInterval = packet.RequiredMinRxInterval;
        RemoteDetectMult = packet.DetectMult;
        RemoteDesiredMinTxInterval = packet.DesiredMinTxInterval;
        RemoteDiagnostic = packet.Diagnostic;
        // §6.8.6: the transmit interval and Detection Time follow the new values (the deadlines
        // are computed from them on demand); the peer's Required Min RX is honoured at once.
        RescheduleIfIntervalChanged(keepEarlier: false);
        if (packet.Final && PollActive && _pollSent)
        {
            TerminatePoll();
            RescheduleIfIntervalChanged(keepEarlier: true);
        }

        // The detection timer restarts before the AdminDown discard: in AdminDown its expiry
        // only clears bfd.RemoteDiscr (§6.8.1), which this packet has just set and which must not
        // outlive the peer's silence.
        _lastReceived = now;
        _heard = true;
        if (SessionState == BfdState.AdminDown)
        {
            return BfdReceiveResult.Dropped(BfdDropReason.SessionAdminDown);
        }

        BfdStateChange? change = null;
        if (BfdTransitions.OnReceived(SessionState, packet.State, LocalDiag) is { } transition)
        {
            change = Transition(transition, now);
        }

        if (packet.Poll)
        {
            _finalPending = true;
        }

        return new BfdReceiveResult(BfdDropReason.None, BfdAuthResult.Accepted, change, packet.Poll);
    }
}
