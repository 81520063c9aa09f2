using System.Buffers.Binary;

namespace Patronus.Engine.Probes.Stamp;

/// <summary>
/// The STAMP Error Estimate field (RFC 8762 §4.2.1; S, Scale and Multiplier from RFC 4656 §4.1.2,
/// Z from RFC 8186 §2.3).
/// <code>
///  0                   1
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |S|Z|   Scale   |   Multiplier  |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// S: the clock is synchronized to UTC by an external source. Z: 0 = NTP 64-bit timestamps,
/// 1 = PTPv2 truncated timestamps. The estimate is Multiplier × 2^(Scale − 32) seconds.
/// RFC 4656: "Multiplier MUST NOT be set to zero. If Multiplier is zero, the packet SHOULD be
/// considered corrupt and discarded" — see <see cref="IsValid"/>.
/// </summary>
/// <param name="Value">The 16 bits as on the wire.</param>
public readonly record struct ErrorEstimate(ushort Value)
{
    /// <summary>Octets on the wire.</summary>
    public const int Size = 2;

    /// <summary>Largest <see cref="Scale"/> (6 bits).</summary>
    public const int MaxScale = 63;

    private const ushort SynchronizedBit = 0x8000;
    private const ushort PtpBit = 0x4000;

    /// <summary>
    /// What Patronus sends: S = 0 (no claim of UTC synchronization), Z = 0 (NTP format), and an
    /// estimate of 1 s (Scale 32, Multiplier 1). Patronus only uses round-trip times and the
    /// reflector's hold time, each measured on one clock, so the field is informational.
    /// </summary>
    public static readonly ErrorEstimate Unsynchronized = Create(synchronized: false, ptpTimestamps: false, scale: 32, multiplier: 1);

    /// <summary>S: the timestamps come from a clock synchronized to UTC by an external source.</summary>
    public bool Synchronized => (Value & SynchronizedBit) != 0;

    /// <summary>Z: the timestamps are PTPv2 truncated (true) or NTP 64-bit (false).</summary>
    public bool PtpTimestamps => (Value & PtpBit) != 0;

    /// <summary>The 6-bit Scale, 0–63.</summary>
    public int Scale => (Value >> 8) & MaxScale;

    /// <summary>The 8-bit Multiplier; zero is invalid.</summary>
    public byte Multiplier => (byte)Value;

    /// <summary>False when Multiplier is zero (RFC 4656 §4.1.2: the packet SHOULD be discarded).</summary>
    public bool IsValid => Multiplier != 0;

    /// <summary>The estimate in seconds: Multiplier × 2^(Scale − 32).</summary>
    public double Seconds => Multiplier * Math.ScaleB(1.0, Scale - 32);

    /// <exception cref="ArgumentOutOfRangeException"><paramref name="scale"/> is outside 0–63.</exception>
    public static ErrorEstimate Create(bool synchronized, bool ptpTimestamps, int scale, byte multiplier)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(scale);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(scale, MaxScale);
        var value = (synchronized ? SynchronizedBit : 0) | (ptpTimestamps ? PtpBit : 0) | (scale << 8) | multiplier;
        return new ErrorEstimate((ushort)value);
    }

    public static bool TryRead(ReadOnlySpan<byte> source, out ErrorEstimate estimate)
    {
        if (source.Length < Size)
        {
            estimate = default;
            return false;
        }

        estimate = new ErrorEstimate(BinaryPrimitives.ReadUInt16BigEndian(source));
        return true;
    }

    public bool TryWrite(Span<byte> destination, out int written)
    {
        if (!BinaryPrimitives.TryWriteUInt16BigEndian(destination, Value))
        {
            written = 0;
            return false;
        }

        written = Size;
        return true;
    }
}
