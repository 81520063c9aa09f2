using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Patronus.Engine.Net;

namespace Patronus.Engine.Routing.Kernel;

/// <summary>
/// An rtnetlink socket (AF_NETLINK / NETLINK_ROUTE) that replaces, deletes and lists routes in
/// the kernel, one request at a time, each acknowledged (NLM_F_ACK) so every outcome is known: the
/// caller's table tells the truth about what is installed. Linux only; needs CAP_NET_ADMIN.
/// Optionally opened inside another network namespace (the socket stays bound to the namespace it
/// was created in), which is how the lab drives a namespace's routing table from outside.
/// Not thread-safe: one owner (the routing loop).
/// </summary>
public sealed class NetlinkRouteSocket : IDisposable
{
    private const int NetlinkRoute = 0;
    private const int DumpBufferSize = 64 * 1024;

    private readonly SafeFileHandle _fd;
    private readonly byte[] _send = new byte[RouteMessage.MaxSize];
    private readonly byte[] _receive = new byte[8192];
    private byte[]? _dump;
    private uint _sequence;

    private NetlinkRouteSocket(SafeFileHandle fd) => _fd = fd;

    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>Opens the socket in this process's namespace, or in the one at <paramref name="networkNamespacePath"/> (e.g. /run/netns/NAME).</summary>
    public static NetlinkRouteSocket Open(string? networkNamespacePath = null)
    {
        if (!IsSupported)
        {
            throw new PlatformNotSupportedException("kernel routes need Linux (rtnetlink)");
        }

        return new NetlinkRouteSocket(Netlink.OpenSocket(NetlinkRoute, networkNamespacePath));
    }

    /// <summary>Replaces (or creates) the route; 0 on success, else the kernel's errno.</summary>
    public int Replace(IPNetwork prefix, IPAddress? gateway, int interfaceIndex, int table = RouteMessage.MainTable, int metric = 0, byte protocol = RouteMessage.Protocol) =>
        Request(RouteMessage.NewRoute, prefix, gateway, interfaceIndex, table, metric, protocol);

    /// <summary>Deletes the route; 0 on success, ESRCH (3) when it was not there, else the kernel's errno.</summary>
    public int Delete(IPNetwork prefix, IPAddress? gateway, int interfaceIndex, int table = RouteMessage.MainTable, int metric = 0, byte protocol = RouteMessage.Protocol) =>
        Request(RouteMessage.DeleteRoute, prefix, gateway, interfaceIndex, table, metric, protocol);

    /// <summary>
    /// Adds to <paramref name="routes"/> the <paramref name="family"/> routes of every table whose
    /// rtm_protocol is <paramref name="protocol"/>; 0 on success, else the kernel's errno (EAGAIN:
    /// no answer within the receive timeout).
    /// </summary>
    public int Dump(AddressFamily family, byte protocol, ICollection<KernelRoute> routes)
    {
        var sequence = ++_sequence;
        var length = RouteMessage.WriteDump(_send, sequence, family);
        if (Netlink.Send(_fd, _send, length) is var sendError and not 0)
        {
            return sendError;
        }

        // A dump comes in datagrams of up to 32 KiB (the kernel's largest dump skb); a larger
        // buffer never truncates one. Allocated at the first dump only: start-up.
        var buffer = _dump ??= new byte[DumpBufferSize];
        while (true)
        {
            var n = Netlink.Receive(_fd, buffer);
            if (n < 0)
            {
                return -n;
            }

            if (RouteMessage.ReadDump(buffer.AsSpan(0, n), sequence, protocol, routes, out var errno))
            {
                return errno;
            }
        }
    }

    /// <summary>The interface index of <paramref name="name"/>, or 0 when there is none.</summary>
    public static int InterfaceIndex(string name) => (int)IfNameToIndex(name);

    private int Request(ushort type, IPNetwork prefix, IPAddress? gateway, int interfaceIndex, int table, int metric, byte protocol)
    {
        var sequence = ++_sequence;
        var length = RouteMessage.Write(_send, type, sequence, prefix, gateway, interfaceIndex, table, metric, protocol);
        if (Netlink.Send(_fd, _send, length) is var sendError and not 0)
        {
            return sendError;
        }

        while (true)
        {
            var n = Netlink.Receive(_fd, _receive);
            if (n < 0)
            {
                return -n; // EAGAIN (11): no answer within the receive timeout
            }

            if (RouteMessage.TryReadAck(_receive.AsSpan(0, n), sequence, out var result))
            {
                return result;
            }

            // An answer to an earlier request that timed out: skip it.
        }
    }

    public void Dispose() => _fd.Dispose();

    [DllImport("libc", EntryPoint = "if_nametoindex", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern uint IfNameToIndex(string name);
}
