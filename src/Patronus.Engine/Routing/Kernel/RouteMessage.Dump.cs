using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Patronus.Engine.Net;

namespace Patronus.Engine.Routing.Kernel;

/// <summary>Listing routes: an RTM_GETROUTE dump request and the RTM_NEWROUTE messages that answer it.</summary>
public static partial class RouteMessage
{
    public const ushort GetRoute = 26;

    /// <summary>NLM_F_ROOT | NLM_F_MATCH: every route of the family.</summary>
    public const ushort FlagDump = 0x300;

    /// <summary>Octets of a dump request: header and rtmsg, no attributes.</summary>
    public const int DumpRequestSize = HeaderSize + RtmsgSize;

    private const ushort AttrMultipath = 9;

    /// <summary>Writes RTM_GETROUTE with NLM_F_DUMP for <paramref name="family"/> (IPv4 or IPv6).</summary>
    public static int WriteDump(Span<byte> buffer, uint sequence, AddressFamily family)
    {
        buffer[..DumpRequestSize].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, DumpRequestSize);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[4..], GetRoute);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[6..], FlagRequest | FlagDump);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[8..], sequence);
        buffer[HeaderSize] = (byte)(family == AddressFamily.InterNetworkV6 ? 10 : 2);
        return DumpRequestSize;
    }

    /// <summary>
    /// Reads one datagram of the dump that answers request <paramref name="sequence"/>, adding to
    /// <paramref name="routes"/> each route whose rtm_protocol is <paramref name="protocol"/> (the
    /// rest, possibly a full Internet table, is skipped without allocating). True when the dump is
    /// over: NLMSG_DONE (<paramref name="errno"/> 0) or NLMSG_ERROR (its errno). Messages of other
    /// requests and malformed ones are skipped; never throws.
    /// </summary>
    public static bool ReadDump(ReadOnlySpan<byte> datagram, uint sequence, byte protocol, ICollection<KernelRoute> routes, out int errno)
    {
        ArgumentNullException.ThrowIfNull(routes);
        errno = 0;
        foreach (var message in Netlink.ReadMessages(datagram))
        {
            if (message.Sequence != sequence)
            {
                continue;
            }

            if (message.Type == MessageDone)
            {
                return true;
            }

            if (message.Type == MessageError)
            {
                errno = message.Body.Length >= 4 ? -BinaryPrimitives.ReadInt32LittleEndian(message.Body) : 0;
                return true;
            }

            if (message.Type == NewRoute && TryReadRoute(message.Body, out var route) && route.Protocol == protocol)
            {
                routes.Add(route);
            }
        }

        return false;
    }

    /// <summary>Reads an rtmsg and its attributes; false for what is not a single-next-hop IPv4/IPv6 route.</summary>
    private static bool TryReadRoute(ReadOnlySpan<byte> body, out KernelRoute route)
    {
        route = default;
        if (body.Length < RtmsgSize || body[0] is not (2 or 10))
        {
            return false;
        }

        var v6 = body[0] == 10;
        var prefixLength = body[1];
        int table = body[4];
        var routeProtocol = body[5];
        IPAddress? destination = null;
        IPAddress? gateway = null;
        var metric = 0;
        var interfaceIndex = 0;
        var attributes = body[RtmsgSize..];
        while (attributes.Length >= 4)
        {
            var attrLength = BinaryPrimitives.ReadUInt16LittleEndian(attributes);
            var attrType = BinaryPrimitives.ReadUInt16LittleEndian(attributes[2..]);
            if (attrLength < 4 || attrLength > attributes.Length)
            {
                return false;
            }

            var data = attributes[4..attrLength];
            switch (attrType)
            {
                case AttrDst when data.Length == (v6 ? 16 : 4):
                    destination = new IPAddress(data);
                    break;
                case AttrGateway when data.Length == (v6 ? 16 : 4):
                    gateway = new IPAddress(data);
                    break;
                case AttrOif when data.Length >= 4:
                    interfaceIndex = BinaryPrimitives.ReadInt32LittleEndian(data);
                    break;
                case AttrPriority when data.Length >= 4:
                    metric = BinaryPrimitives.ReadInt32LittleEndian(data);
                    break;
                case AttrTable when data.Length >= 4:
                    table = BinaryPrimitives.ReadInt32LittleEndian(data);
                    break;
                case AttrMultipath:
                    return false; // Patronus installs single next hops only
            }

            attributes = attributes[Math.Min(attributes.Length, (attrLength + 3) & ~3)..];
        }

        destination ??= v6 ? IPAddress.IPv6Any : IPAddress.Any;
        if (prefixLength > (v6 ? 128 : 32))
        {
            return false;
        }

        try
        {
            route = new KernelRoute(new IPNetwork(destination, prefixLength), table, routeProtocol, metric, gateway, interfaceIndex);
            return true;
        }
        catch (ArgumentException)
        {
            return false; // host bits set past the prefix: not what a kernel sends
        }
    }
}
