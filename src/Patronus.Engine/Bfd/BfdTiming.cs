using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Bfd;

/// <summary>
/// The timer arithmetic of RFC 5880 as pure functions over microseconds (the wire's unit).
/// </summary>
public static class BfdTiming
{
    /// <summary>
    /// bfd.DesiredMinTxInterval to advertise (§6.8.3): the configured value once Up, and at least
    /// one second otherwise, so that a session whose peer is absent costs one packet a second.
    /// </summary>
    public static uint AdvertisedDesiredMinTx(uint configured, BfdState state) =>
        state == BfdState.Up ? configured : Math.Max(configured, BfdSessionSettings.SlowTransmitInterval);

    /// <summary>
    /// The negotiated transmit interval before jitter (§6.8.2, §6.8.7): the larger of our Desired
    /// Min TX in force and the peer's Required Min RX — the slower side sets the rate.
    /// </summary>
    public static uint TransmitInterval(uint desiredMinTx, uint remoteMinRx) => Math.Max(desiredMinTx, remoteMinRx);

    /// <summary>
    /// The Detection Time in Asynchronous mode (§6.8.4): the peer's Detect Mult times the agreed
    /// interval of the peer's transmissions, the larger of our Required Min RX (in force) and the
    /// peer's last Desired Min TX.
    /// </summary>
    public static ulong DetectionTime(byte remoteDetectMult, uint requiredMinRx, uint remoteDesiredMinTx) =>
        (ulong)remoteDetectMult * Math.Max(requiredMinRx, remoteDesiredMinTx);

    /// <summary>
    /// How late (µs) the loop may send a packet after its deadline: it runs its passes at most
    /// every <c>BfdService.PassSpacing</c> (1 ms), so a deadline waits for the next pass.
    /// <see cref="Jitter"/> draws at most this much short of its upper bound, so that the interval
    /// between two packets as sent still stays within §6.8.7's 75–100 %.
    /// </summary>
    public const uint TransmitSlack = 1_000;

    /// <summary>
    /// One jittered transmit interval (§6.8.7): reduced by a random 0–25 % (so 75–100 % of
    /// <paramref name="interval"/>), or to 75–90 % when <paramref name="detectMult"/> is 1, so that a
    /// single late packet cannot outlast the peer's Detection Time; the upper bound less
    /// <see cref="TransmitSlack"/> (never below the lower). Bounds are inclusive, in whole
    /// microseconds.
    /// </summary>
    public static ulong Jitter(uint interval, byte detectMult, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var low = ((ulong)interval * 3 + 3) / 4;
        var high = detectMult == 1 ? (ulong)interval * 9 / 10 : interval;
        high = high > low + TransmitSlack ? high - TransmitSlack : low;
        if (high <= low)
        {
            return low;
        }

        return (ulong)random.NextInt64((long)low, (long)high + 1);
    }
}
