namespace Patronus.Engine.Bfd;

/// <summary>
/// What one session's core needs from configuration: the initial and reconfigured values of
/// bfd.DesiredMinTxInterval, bfd.RequiredMinRxInterval, bfd.DetectMult and bfd.AuthType (RFC 5880
/// §6.8.1), and the role (§6.1). Intervals are in microseconds, the wire's unit. Immutable: a
/// change is a new instance passed to <see cref="BfdSessionState.Reconfigure"/>.
/// </summary>
/// <param name="DesiredMinTxInterval">Microseconds between transmitted packets wanted once Up (1 or more; while not Up at least 1 s is advertised, §6.8.3).</param>
/// <param name="RequiredMinRxInterval">Microseconds between received packets this system can handle; 0 asks the peer for no periodic packets.</param>
/// <param name="DetectMult">bfd.DetectMult, 1–255: how many of our packets the peer may miss before declaring the session down.</param>
/// <param name="Passive">Passive role: transmit nothing until the peer has been heard (bfd.RemoteDiscr nonzero, §6.8.7).</param>
/// <param name="Authenticator">bfd.AuthType and the keys, or null for no authentication.</param>
public sealed record BfdSessionSettings(
    uint DesiredMinTxInterval,
    uint RequiredMinRxInterval,
    byte DetectMult,
    bool Passive = false,
    BfdAuthenticator? Authenticator = null)
{
    /// <summary>The least bfd.DesiredMinTxInterval while the session is not Up: one second (§6.8.3).</summary>
    public const uint SlowTransmitInterval = 1_000_000;

    /// <summary>Settings from millisecond intervals, the unit operators configure (FRR, Junos).</summary>
    public static BfdSessionSettings FromMilliseconds(int desiredMinTxMs, int requiredMinRxMs, int detectMult, bool passive = false, BfdAuthenticator? authenticator = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(desiredMinTxMs, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(desiredMinTxMs, (int)(uint.MaxValue / 1000));
        ArgumentOutOfRangeException.ThrowIfNegative(requiredMinRxMs);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(requiredMinRxMs, (int)(uint.MaxValue / 1000));
        ArgumentOutOfRangeException.ThrowIfLessThan(detectMult, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(detectMult, byte.MaxValue);
        return new((uint)desiredMinTxMs * 1000, (uint)requiredMinRxMs * 1000, (byte)detectMult, passive, authenticator);
    }

    internal void Validate()
    {
        // §4.1: a Desired Min TX Interval of zero is reserved; §6.8.1: bfd.DetectMult is nonzero.
        if (DesiredMinTxInterval == 0)
        {
            throw new ArgumentException("DesiredMinTxInterval must be at least 1 µs (RFC 5880 §4.1)");
        }

        if (DetectMult == 0)
        {
            throw new ArgumentException("DetectMult must be nonzero (RFC 5880 §6.8.1)");
        }
    }
}
