namespace Patronus.Engine.Bfd;

/// <summary>What <see cref="BfdSessionState.OnPacketReceived"/> did with one packet.</summary>
/// <param name="Drop">Why the packet was discarded, or <see cref="BfdDropReason.None"/>.</param>
/// <param name="Auth">The authentication outcome when <paramref name="Drop"/> is <see cref="BfdDropReason.AuthFailed"/>.</param>
/// <param name="StateChange">The state change the packet caused, if any: publish it.</param>
/// <param name="TransmitFinal">
/// The packet had P set: transmit a packet now (<see cref="BfdSessionState.TryBuildPacket"/> sets F),
/// regardless of the transmit timer (§6.8.7).
/// </param>
public readonly record struct BfdReceiveResult(BfdDropReason Drop, BfdAuthResult Auth, BfdStateChange? StateChange, bool TransmitFinal)
{
    public bool Accepted => Drop == BfdDropReason.None;

    internal static BfdReceiveResult Dropped(BfdDropReason reason) => new(reason, BfdAuthResult.Accepted, null, false);
}

/// <summary>What <see cref="BfdSessionState.OnTimer"/> found due.</summary>
/// <param name="StateChange">Detection time expiry took the session down (diag 1): publish it.</param>
/// <param name="TransmitDue">A packet is due: call <see cref="BfdSessionState.TryBuildPacket"/> and send it.</param>
public readonly record struct BfdTimerResult(BfdStateChange? StateChange, bool TransmitDue);
