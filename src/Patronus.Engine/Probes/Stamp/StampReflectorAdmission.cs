using System.Buffers.Binary;
using Patronus.Engine.Net;

namespace Patronus.Engine.Probes.Stamp;

/// <summary>
/// Which datagrams the reflector answers, decided before any reply is built. An unauthenticated
/// reflector answers whoever the source address claims to be, so a spoofed source turns it into
/// a relay (RFC 8762 §6 asks implementations to guard against exactly that kind of misuse). Two
/// cases are worse than a relay, because the answer is answered again and the exchange never
/// stops — one spoofed datagram from the reflector's own address and port, or from another
/// reflector's, measured at ~120,000 packets/s and a full core until the process was killed:
/// <list type="bullet">
/// <item><c>bad_source</c>: source port 0 or a source address that is not unicast
/// (<see cref="NativeSocketAddress.IsNotUnicast"/>): nothing legitimate sends from there.</item>
/// <item><c>reflector_port</c>: the source port is this reflector's own port, or 862, the STAMP
/// (and TWAMP-Test) reflector port of RFC 8762 §4.1: the reply would land on a reflector.</item>
/// <item><c>well_known_port</c>: another source port below 1024. Those belong to services that
/// answer datagrams (echo 7, daytime 13, chargen 19, DNS 53, NTP 123 …); a Session-Sender is a
/// client that sends from an ephemeral or configured user port (ours binds port 0, so the kernel
/// picks an ephemeral one), so such a source is a spoof aimed at bouncing our reply off that
/// service.</item>
/// <item><c>reflected_packet</c> (<see cref="IsReflectedPacket"/>): the datagram is a reflector's
/// reply, not a Session-Sender's test packet — the second hop of a loop between two reflectors,
/// dropped at the first reflector that sees it whatever ports are involved.</item>
/// </list>
/// After these, each source address is held to a token bucket (<see cref="SourceRateLimiter"/>,
/// <c>rate_limited</c>), so whatever still gets through is bounded in what it makes us send.
/// </summary>
internal static class StampReflectorAdmission
{
    /// <summary>The STAMP Session-Reflector's well-known UDP port (RFC 8762 §4.1).</summary>
    public const int StampPort = 862;

    /// <summary>Ports below this are the well-known (system) ports of RFC 6335 §6.</summary>
    public const int FirstUserPort = 1024;

    // Session-Reflector packet (RFC 8762 §4.3.1) offsets; in a Session-Sender packet (§4.2.1)
    // octets 14..43 are MBZ, and RFC 8972 uses only 14..15 (SSID) of them.
    private const int ReceiveTimestampOffset = 16;
    private const int SenderErrorEstimateOffset = 36;

    /// <summary>Null when a reply may go to <paramref name="sockaddr"/>; otherwise the drop reason (see the class comment).</summary>
    public static string? CheckSource(ReadOnlySpan<byte> sockaddr, int ownPort, out UInt128 address)
    {
        if (!NativeSocketAddress.TryRead(sockaddr, out address, out var port) || port == 0 || NativeSocketAddress.IsNotUnicast(address))
        {
            return "bad_source";
        }

        if (port == ownPort || port == StampPort)
        {
            return "reflector_port";
        }

        return port < FirstUserPort ? "well_known_port" : null;
    }

    /// <summary>
    /// True when <paramref name="datagram"/> carries what only a Session-Reflector's reply does: a
    /// Receive Timestamp (octets 16..23) and a copied Session-Sender Error Estimate with a non-zero
    /// Multiplier (octets 36..37). Both lie in the MBZ part of a Session-Sender's test packet, which
    /// the sender must zero (RFC 8762 §4.2.1), while every reflector, ours included, fills both in
    /// every reply (a real clock is never 0, and only test packets with a non-zero Multiplier are
    /// answered). Octets past 44 (padding, RFC 8972 TLVs) are not looked at.
    /// </summary>
    public static bool IsReflectedPacket(ReadOnlySpan<byte> datagram) =>
        datagram.Length >= StampSenderPacket.Size &&
        BinaryPrimitives.ReadUInt64BigEndian(datagram[ReceiveTimestampOffset..]) != 0 &&
        datagram[SenderErrorEstimateOffset + 1] != 0;
}
