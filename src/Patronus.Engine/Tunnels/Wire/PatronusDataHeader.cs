using System.Buffers.Binary;

namespace Patronus.Engine.Tunnels.Wire;

/// <summary>Flags of a <see cref="PatronusDataHeader"/>; the other five bits are reserved and zero.</summary>
[Flags]
public enum PatronusDataFeatures : byte
{
    /// <summary>None set: an uncompressed packet, no echo, sent on one path.</summary>
    None = 0,

    /// <summary>The payload is one LZ4 block that decompresses to exactly the original size.</summary>
    Compressed = 0x01,

    /// <summary>The echo block (echoed timestamp, hold time, echo path) follows the base header.</summary>
    Echo = 0x02,

    /// <summary>The packet was sent on more than one path; the packet sequence names its copies.</summary>
    Duplicated = 0x04,
}

/// <summary>
/// The header of a Patronus-to-Patronus data message (docs/tunnels.md, "Patronus-to-Patronus data
/// message"): the plaintext of a WireGuard transport message (type 4) between two Patronus peers
/// starts with it, so it is encrypted, authenticated and replay-checked by the transport message
/// it rides in, and a plain WireGuard peer that got one by mistake drops it as a non-IP packet
/// (first nibble 0xF) instead of delivering garbage. Integers are big-endian.
/// <code>
///  0               1               2               3
/// +---------------+---------------+---------------+---------------+
/// | 0xF1 (v1)     | flags         | path id       | echo path id  |
/// +---------------+---------------+---------------+---------------+
/// | path sequence (u32): per sending path, +1 a message            |  4
/// | packet sequence (u32): per peer, for duplicated packets only   |  8
/// | send timestamp (u32): sender's monotonic clock, microseconds   | 12
/// | original size (u16)           | payload size (u16)            | 16
/// +---------------------------------------------------------------+ 20
/// | echoed timestamp (u32)        only with flag Echo             | 20
/// | echo hold (u32): microseconds from its arrival to this send   | 24
/// +---------------------------------------------------------------+ 28
/// | payload (payload size octets), then padding to the AEAD's 16   |
/// </code>
/// Rules (a message breaking one is malformed): reserved flag bits zero; echo path id and the
/// echo block only with <see cref="PatronusDataFeatures.Echo"/>; packet sequence zero unless
/// <see cref="PatronusDataFeatures.Duplicated"/>; original size at least 1; uncompressed, payload
/// size equals original size; compressed, 1 ≤ payload size &lt; original size (compression is
/// used only when it shrinks the packet); the payload fits in what follows the header.
/// </summary>
/// <param name="Flags">What the message carries.</param>
/// <param name="PathId">The sender's id of the path it sent this copy on.</param>
/// <param name="EchoPathId">The path id the echoed timestamp arrived with (Echo only).</param>
/// <param name="PathSequence">The sender's sequence number on <paramref name="PathId"/>.</param>
/// <param name="PacketSequence">The per-peer sequence shared by every copy of a duplicated packet.</param>
/// <param name="SendTimestamp">The sender's monotonic clock at sending, microseconds modulo 2^32.</param>
/// <param name="OriginalSize">Octets of the IP packet (after decompression).</param>
/// <param name="PayloadSize">Octets of the payload on the wire.</param>
/// <param name="EchoTimestamp">A send timestamp the sender received from us (Echo only).</param>
/// <param name="EchoHold">Microseconds the sender held <paramref name="EchoTimestamp"/> before this send (Echo only).</param>
public readonly record struct PatronusDataHeader(
    PatronusDataFeatures Flags,
    byte PathId,
    byte EchoPathId,
    uint PathSequence,
    uint PacketSequence,
    uint SendTimestamp,
    ushort OriginalSize,
    ushort PayloadSize,
    uint EchoTimestamp = 0,
    uint EchoHold = 0)
{
    /// <summary>The first octet of version 1: nibble 0xF (no IP version) then the version.</summary>
    public const byte Marker = 0xF1;

    /// <summary>Octets of the header without the echo block.</summary>
    public const int BaseSize = 20;

    /// <summary>Octets of the header with the echo block: the most a message adds to a packet.</summary>
    public const int MaxSize = 28;

    private const PatronusDataFeatures KnownFlags = PatronusDataFeatures.Compressed | PatronusDataFeatures.Echo | PatronusDataFeatures.Duplicated;

    /// <summary>Octets this header takes: <see cref="BaseSize"/>, or <see cref="MaxSize"/> with an echo.</summary>
    public int Size => (Flags & PatronusDataFeatures.Echo) != 0 ? MaxSize : BaseSize;

    /// <summary>
    /// Whether a decrypted transport payload is a Patronus data message rather than an IP packet
    /// (first nibble 0xF; an IP packet's is 4 or 6). Any version: <see cref="TryRead"/> checks it.
    /// </summary>
    public static bool IsPatronusMessage(ReadOnlySpan<byte> plaintext) => !plaintext.IsEmpty && plaintext[0] >> 4 == 0xF;

    /// <summary>
    /// Reads the header at the start of a decrypted payload and hands out the payload (compressed
    /// or not) as a slice of <paramref name="source"/>, without the padding after it; false when
    /// the message is truncated, of another version, or breaks a rule of the layout.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out PatronusDataHeader header, out ReadOnlySpan<byte> payload)
    {
        header = default;
        payload = default;
        if (source.Length < BaseSize || source[0] != Marker)
        {
            return false;
        }

        var flags = (PatronusDataFeatures)source[1];
        var size = (flags & PatronusDataFeatures.Echo) != 0 ? MaxSize : BaseSize;
        if (source.Length < size)
        {
            return false;
        }

        var candidate = new PatronusDataHeader(
            flags,
            source[2],
            source[3],
            BinaryPrimitives.ReadUInt32BigEndian(source[4..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[12..]),
            BinaryPrimitives.ReadUInt16BigEndian(source[16..]),
            BinaryPrimitives.ReadUInt16BigEndian(source[18..]),
            size == MaxSize ? BinaryPrimitives.ReadUInt32BigEndian(source[20..]) : 0,
            size == MaxSize ? BinaryPrimitives.ReadUInt32BigEndian(source[24..]) : 0);
        if (!candidate.IsValid() || candidate.PayloadSize > source.Length - size)
        {
            return false;
        }

        header = candidate;
        payload = source.Slice(size, candidate.PayloadSize);
        return true;
    }

    /// <summary>
    /// Writes the header (the payload goes right after it, <see cref="Size"/> octets in, written by
    /// the caller in place); false when <paramref name="destination"/> is shorter or the header
    /// breaks a rule of the layout, so a bug on the sending side cannot put a malformed message on the wire.
    /// </summary>
    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        var size = Size;
        if (destination.Length < size || !IsValid())
        {
            return false;
        }

        destination[0] = Marker;
        destination[1] = (byte)Flags;
        destination[2] = PathId;
        destination[3] = EchoPathId;
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], PathSequence);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], PacketSequence);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], SendTimestamp);
        BinaryPrimitives.WriteUInt16BigEndian(destination[16..], OriginalSize);
        BinaryPrimitives.WriteUInt16BigEndian(destination[18..], PayloadSize);
        if (size == MaxSize)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[20..], EchoTimestamp);
            BinaryPrimitives.WriteUInt32BigEndian(destination[24..], EchoHold);
        }

        written = size;
        return true;
    }

    private bool IsValid()
    {
        var echo = (Flags & PatronusDataFeatures.Echo) != 0;
        return (Flags & ~KnownFlags) == 0
            && (echo || (EchoPathId == 0 && EchoTimestamp == 0 && EchoHold == 0))
            && ((Flags & PatronusDataFeatures.Duplicated) != 0 || PacketSequence == 0)
            && OriginalSize >= 1
            && ((Flags & PatronusDataFeatures.Compressed) != 0
                ? PayloadSize >= 1 && PayloadSize < OriginalSize
                : PayloadSize == OriginalSize);
    }
}
