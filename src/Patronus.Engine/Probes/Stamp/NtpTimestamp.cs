using System.Buffers.Binary;

namespace Patronus.Engine.Probes.Stamp;

/// <summary>
/// The NTP 64-bit timestamp (RFC 5905 §6, Figure 3), the STAMP default timestamp format
/// (RFC 8762 §4.2.1, error estimate Z = 0).
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                            Seconds                            |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                            Fraction                           |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// Seconds count from 1900-01-01T00:00:00Z and wrap every 2^32 s (RFC 5905 §6 "eras"): era 0
/// ends at 2036-02-07T06:28:16Z, where era 1 starts again at seconds 0. The wire value does not
/// carry the era: <see cref="FromDateTimeOffset"/> keeps the seconds modulo 2^32,
/// <see cref="ToDateTimeOffset()"/> reads era 0, and <see cref="ToDateTimeOffset(DateTimeOffset)"/>
/// picks the era nearest a reference time. Differences (<see cref="operator -(NtpTimestamp, NtpTimestamp)"/>) are
/// era-independent as long as the two times are less than 68 years apart.
/// </summary>
/// <param name="Value">The 64 bits as on the wire: seconds in the high half, fraction (units of 2^-32 s) in the low half.</param>
public readonly record struct NtpTimestamp(ulong Value)
{
    /// <summary>Octets on the wire.</summary>
    public const int Size = 8;

    private const long TicksPerSecond = TimeSpan.TicksPerSecond;
    private const long TicksPerEra = (1L << 32) * TicksPerSecond;

    /// <summary>1900-01-01T00:00:00Z, NTP seconds 0 of era 0.</summary>
    public static readonly DateTimeOffset Era0Start = new(1900, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>2036-02-07T06:28:16Z, where the 32-bit seconds wrap to 0 (era 1).</summary>
    public static readonly DateTimeOffset Era1Start = Era0Start.AddTicks(TicksPerEra);

    public NtpTimestamp(uint seconds, uint fraction)
        : this(((ulong)seconds << 32) | fraction)
    {
    }

    /// <summary>Whole seconds since the start of the era.</summary>
    public uint Seconds => (uint)(Value >> 32);

    /// <summary>Fraction of a second in units of 2^-32 s (about 233 ps).</summary>
    public uint Fraction => (uint)Value;

    /// <summary>
    /// Converts <paramref name="time"/> (any era; the era is dropped). Sub-tick precision does not
    /// exist in <see cref="DateTimeOffset"/>; the fraction is rounded down, so a round trip through
    /// <see cref="ToDateTimeOffset()"/> is exact to the tick.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Before 1900 (NTP has no negative eras here).</exception>
    public static NtpTimestamp FromDateTimeOffset(DateTimeOffset time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(time, Era0Start);
        var ticks = time.UtcTicks - Era0Start.UtcTicks;
        var seconds = (ulong)(ticks / TicksPerSecond);
        var remainder = (ulong)(ticks % TicksPerSecond);
        var fraction = (remainder << 32) / TicksPerSecond; // remainder < 2^24, no overflow
        return new NtpTimestamp((uint)seconds, (uint)fraction);
    }

    /// <summary>The time in era 0 (1900-01-01 to 2036-02-07), rounded to the nearest tick.</summary>
    public DateTimeOffset ToDateTimeOffset() => Era0Start.AddTicks(TicksSinceEraStart());

    /// <summary>The time in whichever era puts it nearest <paramref name="reference"/> (e.g. now).</summary>
    public DateTimeOffset ToDateTimeOffset(DateTimeOffset reference)
    {
        var inEra0 = Era0Start.UtcTicks + TicksSinceEraStart();
        var era = Math.Max(0, (long)Math.Round((reference.UtcTicks - inEra0) / (double)TicksPerEra));
        while (era > 0 && inEra0 + (era * TicksPerEra) > DateTimeOffset.MaxValue.UtcTicks)
        {
            era--;
        }

        return new DateTimeOffset(inEra0 + (era * TicksPerEra), TimeSpan.Zero);
    }

    /// <summary>
    /// <paramref name="a"/> − <paramref name="b"/>, computed modulo 2^64 so that it is right across
    /// an era boundary; valid when the two are less than 2^31 s (68 years) apart.
    /// </summary>
    public static TimeSpan operator -(NtpTimestamp a, NtpTimestamp b)
    {
        var diff = (long)(a.Value - b.Value); // units of 2^-32 s, two's complement
        var seconds = diff >> 32; // arithmetic: floor
        var fraction = (ulong)diff & 0xFFFF_FFFF;
        return TimeSpan.FromTicks((seconds * TicksPerSecond) + (long)((fraction * TicksPerSecond) >> 32));
    }

    public static TimeSpan Subtract(NtpTimestamp a, NtpTimestamp b) => a - b;

    public static bool TryRead(ReadOnlySpan<byte> source, out NtpTimestamp timestamp)
    {
        if (source.Length < Size)
        {
            timestamp = default;
            return false;
        }

        timestamp = new NtpTimestamp(BinaryPrimitives.ReadUInt64BigEndian(source));
        return true;
    }

    public bool TryWrite(Span<byte> destination, out int written)
    {
        if (!BinaryPrimitives.TryWriteUInt64BigEndian(destination, Value))
        {
            written = 0;
            return false;
        }

        written = Size;
        return true;
    }

    public override string ToString() => $"{Seconds}.{Fraction:x8}";

    private long TicksSinceEraStart() =>
        ((long)Seconds * TicksPerSecond) + (long)((((ulong)Fraction * TicksPerSecond) + (1UL << 31)) >> 32);
}
