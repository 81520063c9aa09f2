using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Patronus.Engine.Net;

namespace Patronus.Engine.Routing.Kernel;

/// <summary>
/// rtnetlink route messages (rtnetlink(7)): <c>nlmsghdr</c> + <c>rtmsg</c> + attributes, host byte
/// order except addresses. Only what replacing and deleting a unicast route needs.
/// <code>
/// nlmsghdr: len u32 | type u16 | flags u16 | seq u32 | pid u32          (16)
/// rtmsg:    family u8 | dst_len u8 | src_len u8 | tos u8 | table u8 |
///           protocol u8 | scope u8 | type u8 | flags u32                  (12)
/// rtattr:   len u16 | type u16 | data, padded to 4
/// </code>
/// </summary>
public static partial class RouteMessage
{
    public const ushort NewRoute = 24;
    public const ushort DeleteRoute = 25;
    public const ushort MessageError = 2;
    public const ushort MessageDone = 3;

    public const ushort FlagRequest = 0x1;
    public const ushort FlagAck = 0x4;
    public const ushort FlagReplace = 0x100;
    public const ushort FlagCreate = 0x400;

    /// <summary>The main table (RT_TABLE_MAIN).</summary>
    public const int MainTable = 254;

    /// <summary>
    /// rtm_protocol of our routes: a value outside those iproute2 names (/etc/iproute2/rt_protos),
    /// so <c>ip route show proto 250</c> lists exactly the routes Patronus installed.
    /// </summary>
    public const byte Protocol = 250;

    /// <summary>
    /// rtm_protocol of the routes a tunnel installs for its peers' allowed prefixes
    /// (<c>ip route show proto 251</c>): apart from failover's, so neither one's sweep of routes an
    /// earlier run left behind deletes the other's.
    /// </summary>
    public const byte TunnelProtocol = 251;

    private const int HeaderSize = 16;
    private const int RtmsgSize = 12;
    private const ushort AttrDst = 1;
    private const ushort AttrOif = 4;
    private const ushort AttrGateway = 5;
    private const ushort AttrPriority = 6;
    private const ushort AttrTable = 15;
    private const byte ScopeUniverse = 0;
    private const byte ScopeLink = 253;
    private const byte ScopeNowhere = 255;
    private const byte TypeUnicast = 1;
    private const byte CompatTable = 252;

    /// <summary>Largest message written: header, rtmsg, four attributes of at most 20 octets.</summary>
    public const int MaxSize = HeaderSize + RtmsgSize + (4 * 20) + 8;

    /// <summary>
    /// Writes RTM_NEWROUTE with NLM_F_CREATE|NLM_F_REPLACE (one atomic replace: the old next hop
    /// is never deleted first) or RTM_DELROUTE, with NLM_F_ACK so the kernel answers every request.
    /// </summary>
    public static int Write(Span<byte> buffer, ushort type, uint sequence, IPNetwork prefix, IPAddress? gateway, int interfaceIndex, int table, int metric, byte protocol = Protocol)
    {
        var v6 = prefix.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6;
        var flags = (ushort)(FlagRequest | FlagAck | (type == NewRoute ? FlagCreate | FlagReplace : 0));
        buffer[..MaxSize].Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[4..], type);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[6..], flags);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[8..], sequence);
        var rt = buffer[HeaderSize..];
        rt[0] = (byte)(v6 ? 10 : 2); // AF_INET6 / AF_INET
        rt[1] = (byte)prefix.PrefixLength;
        rt[4] = table < 256 ? (byte)table : CompatTable;
        rt[5] = protocol;
        // A delete matches any scope (RT_SCOPE_NOWHERE); a new route is on-link without a gateway.
        rt[6] = type == DeleteRoute ? ScopeNowhere : gateway is null ? ScopeLink : ScopeUniverse;
        rt[7] = TypeUnicast;
        var offset = HeaderSize + RtmsgSize;
        offset += WriteAddress(buffer[offset..], AttrDst, prefix.BaseAddress);
        if (gateway is not null)
        {
            offset += WriteAddress(buffer[offset..], AttrGateway, gateway);
        }

        if (interfaceIndex > 0)
        {
            offset += WriteUInt32(buffer[offset..], AttrOif, (uint)interfaceIndex);
        }

        offset += WriteUInt32(buffer[offset..], AttrTable, (uint)table);
        offset += WriteUInt32(buffer[offset..], AttrPriority, (uint)metric);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, (uint)offset);
        return offset;
    }

    /// <summary>
    /// Reads the kernel's answer to request <paramref name="sequence"/>: true with
    /// <paramref name="errno"/> (0 = success) when the datagram holds its NLMSG_ERROR ack.
    /// </summary>
    public static bool TryReadAck(ReadOnlySpan<byte> datagram, uint sequence, out int errno)
    {
        errno = 0;
        foreach (var message in Netlink.ReadMessages(datagram))
        {
            if (message.Type == MessageError && message.Sequence == sequence && message.Body.Length >= 4)
            {
                errno = -BinaryPrimitives.ReadInt32LittleEndian(message.Body);
                return true;
            }
        }

        return false;
    }

    private static int WriteAddress(Span<byte> buffer, ushort type, IPAddress address)
    {
        address.TryWriteBytes(buffer[4..], out var written);
        return WriteHeader(buffer, type, written);
    }

    private static int WriteUInt32(Span<byte> buffer, ushort type, uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[4..], value);
        return WriteHeader(buffer, type, 4);
    }

    private static int WriteHeader(Span<byte> buffer, ushort type, int dataLength)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(buffer, (ushort)(4 + dataLength));
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[2..], type);
        return (4 + dataLength + 3) & ~3;
    }
}
