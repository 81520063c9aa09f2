using System.Buffers.Binary;

namespace Patronus.Engine.Probes.Icmp;

/// <summary>
/// The Internet checksum (RFC 1071 §1): the 16-bit one's complement of the one's complement sum
/// of the data taken as big-endian 16-bit words, an odd trailing byte padded with a zero byte.
/// Used by ICMPv4 (RFC 792) over the whole ICMP message with the checksum field zero.
/// </summary>
public static class InternetChecksum
{
    /// <summary>
    /// The checksum of <paramref name="data"/>, ready to be written big-endian. Over a message
    /// that already carries its checksum the result is 0, which is how a receiver verifies it
    /// (RFC 1071 §1, "(2) ... the result is checked to see if it is all 1 bits", before complement).
    /// </summary>
    public static ushort Compute(ReadOnlySpan<byte> data)
    {
        // 32-bit big-endian words summed into 64 bits cannot overflow for any datagram size
        // (2^32 words), and fold to the same 16-bit one's complement sum (RFC 1071 §2(B),
        // byte order independence and deferred carries).
        ulong sum = 0;
        var i = 0;
        for (; i + 4 <= data.Length; i += 4)
        {
            sum += BinaryPrimitives.ReadUInt32BigEndian(data[i..]);
        }

        if (i + 2 <= data.Length)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
            i += 2;
        }

        if (i < data.Length)
        {
            sum += (uint)data[i] << 8;
        }

        // Fold the carries back in (end-around carry) until 16 bits remain.
        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
