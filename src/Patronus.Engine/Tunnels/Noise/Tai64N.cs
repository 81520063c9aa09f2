using System.Buffers.Binary;

namespace Patronus.Engine.Tunnels.Noise;

/// <summary>
/// TAI64N timestamps (WireGuard whitepaper §5.1): 8 octets of seconds since 1970 plus
/// 2^62 + 10 (the TAI label, as wireguard-go and the kernel module write it), big-endian, then
/// 4 octets of nanoseconds, big-endian. The responder only accepts an initiation whose timestamp
/// is greater than the last one it accepted from that peer, which makes a replayed initiation
/// useless. The nanoseconds are rounded down to a multiple of 2^24 (≈ 16.8 ms), as wireguard-go
/// does, so the timestamp does not leak a precise clock.
/// </summary>
public static class Tai64N
{
    /// <summary>Octets of a timestamp.</summary>
    public const int Size = 12;

    private const ulong Base = 0x400000000000000a;
    private const uint WhitenerMask = 0x1000000 - 1;

    /// <summary>Writes the timestamp of <paramref name="time"/>.</summary>
    public static void Write(DateTimeOffset time, Span<byte> destination)
    {
        var ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var seconds = ticks / TimeSpan.TicksPerSecond;
        var nanoseconds = (uint)(ticks % TimeSpan.TicksPerSecond * 100) & ~WhitenerMask;
        BinaryPrimitives.WriteUInt64BigEndian(destination, Base + (ulong)seconds);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], nanoseconds);
    }

    /// <summary>Whether <paramref name="candidate"/> is later than <paramref name="previous"/> (big-endian order).</summary>
    public static bool IsAfter(ReadOnlySpan<byte> candidate, ReadOnlySpan<byte> previous) =>
        candidate[..Size].SequenceCompareTo(previous[..Size]) > 0;
}
