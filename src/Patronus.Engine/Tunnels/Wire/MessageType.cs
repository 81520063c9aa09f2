namespace Patronus.Engine.Tunnels.Wire;

/// <summary>
/// The first octet of every WireGuard message (WireGuard whitepaper §5.4); the next three octets
/// are reserved and zero. All multi-octet integers of the protocol are little-endian.
/// </summary>
public enum MessageType : byte
{
    /// <summary>Handshake initiation, 148 octets.</summary>
    HandshakeInitiation = 1,

    /// <summary>Handshake response, 92 octets.</summary>
    HandshakeResponse = 2,

    /// <summary>Cookie reply, 64 octets.</summary>
    CookieReply = 3,

    /// <summary>Transport data, 32 octets or more.</summary>
    TransportData = 4,
}

/// <summary>The common four-octet message header: type, then three reserved zero octets.</summary>
public static class MessageHeader
{
    /// <summary>Octets of the header.</summary>
    public const int Size = 4;

    /// <summary>
    /// The message type of <paramref name="source"/>: false when it is shorter than the header,
    /// a reserved octet is not zero or the type is not 1–4.
    /// </summary>
    public static bool TryReadType(ReadOnlySpan<byte> source, out MessageType type)
    {
        type = default;
        if (source.Length < Size || source[1] != 0 || source[2] != 0 || source[3] != 0
            || source[0] is < (byte)MessageType.HandshakeInitiation or > (byte)MessageType.TransportData)
        {
            return false;
        }

        type = (MessageType)source[0];
        return true;
    }

    internal static void Write(Span<byte> destination, MessageType type)
    {
        destination[0] = (byte)type;
        destination[1] = 0;
        destination[2] = 0;
        destination[3] = 0;
    }

    internal static bool Matches(ReadOnlySpan<byte> source, MessageType type, int size) =>
        source.Length == size && TryReadType(source, out var actual) && actual == type;
}
