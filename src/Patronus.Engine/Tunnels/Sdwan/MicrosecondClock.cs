namespace Patronus.Engine.Tunnels.Sdwan;

/// <summary>
/// The data message's timestamps: a <see cref="TimeProvider"/>'s monotonic timestamp in
/// microseconds, modulo 2^32 (it wraps every 71.6 minutes). Only differences are ever taken
/// (transit-time changes, round trips), in wrapping arithmetic, so the wrap and the unrelated
/// origins of two machines' clocks do not matter.
/// </summary>
public static class MicrosecondClock
{
    /// <summary>Microseconds of <paramref name="timestamp"/> (a <see cref="TimeProvider.GetTimestamp"/> value), modulo 2^32.</summary>
    public static uint From(long timestamp, long frequency)
    {
        // Split so that neither product overflows for any realistic frequency (≤ 10^12 Hz).
        var whole = timestamp / frequency;
        var rest = timestamp % frequency;
        return unchecked((uint)((whole * 1_000_000) + (rest * 1_000_000 / frequency)));
    }

    /// <summary>Microseconds now on <paramref name="time"/>'s monotonic clock, modulo 2^32.</summary>
    public static uint Now(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return From(time.GetTimestamp(), time.TimestampFrequency);
    }
}
