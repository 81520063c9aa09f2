using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

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
    private const int AfNetlink = 16;
    private const int SockRaw = 3;
    private const int SockCloexec = 0x80000;
    private const int NetlinkRoute = 0;
    private const int SolSocket = 1;
    private const int SoRcvTimeo = 20;
    private const int CloneNewNet = 0x40000000;
    private const int EAgain = 11;
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

        if (networkNamespacePath is null)
        {
            return new NetlinkRouteSocket(CreateSocket());
        }

        // setns changes the calling thread only: do it on a thread of our own, create the socket
        // there, and let the thread end (it never runs anything else).
        NetlinkRouteSocket? result = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var target = File.OpenHandle(networkNamespacePath);
                if (SetNs(target, CloneNewNet) != 0)
                {
                    throw new IOException($"setns({networkNamespacePath}) failed: errno {Marshal.GetLastPInvokeError()}");
                }

                result = new NetlinkRouteSocket(CreateSocket());
            }
#pragma warning disable CA1031 // handed to the opening thread
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failure = ex;
            }
        });
        thread.Start();
        thread.Join();
        return result ?? throw new IOException($"cannot open an rtnetlink socket in {networkNamespacePath}", failure);
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
        if (Send(_fd, _send, length, 0) < 0)
        {
            return Marshal.GetLastPInvokeError();
        }

        // A dump comes in datagrams of up to 32 KiB (the kernel's largest dump skb); a larger
        // buffer never truncates one. Allocated at the first dump only: start-up.
        var buffer = _dump ??= new byte[DumpBufferSize];
        while (true)
        {
            var n = Recv(_fd, buffer, buffer.Length, 0);
            if (n < 0)
            {
                return Marshal.GetLastPInvokeError();
            }

            if (RouteMessage.ReadDump(buffer.AsSpan(0, (int)n), sequence, protocol, routes, out var errno))
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
        if (Send(_fd, _send, length, 0) < 0)
        {
            return Marshal.GetLastPInvokeError();
        }

        while (true)
        {
            var n = Recv(_fd, _receive, _receive.Length, 0);
            if (n < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                return errno == EAgain ? EAgain : errno; // EAGAIN: no answer within the receive timeout
            }

            if (RouteMessage.TryReadAck(_receive.AsSpan(0, (int)n), sequence, out var result))
            {
                return result;
            }

            // An answer to an earlier request that timed out: skip it.
        }
    }

    private static SafeFileHandle CreateSocket()
    {
        var fd = Socket(AfNetlink, SockRaw | SockCloexec, NetlinkRoute);
        if (fd < 0)
        {
            throw new IOException($"socket(AF_NETLINK) failed: errno {Marshal.GetLastPInvokeError()}");
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);

        // A kernel answer takes microseconds; a second without one means something is wrong, and
        // the routing loop must not hang on it.
        Span<long> timeout = [1, 0];
        if (SetSockOpt(handle, SolSocket, SoRcvTimeo, ref MemoryMarshal.GetReference(MemoryMarshal.AsBytes(timeout)), 16) != 0)
        {
            handle.Dispose();
            throw new IOException($"setsockopt(SO_RCVTIMEO) failed: errno {Marshal.GetLastPInvokeError()}");
        }

        return handle;
    }

    public void Dispose() => _fd.Dispose();

    [DllImport("libc", EntryPoint = "socket", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Socket(int domain, int type, int protocol);

    [DllImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetSockOpt(SafeFileHandle fd, int level, int name, ref byte value, int length);

    [DllImport("libc", EntryPoint = "send", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint Send(SafeFileHandle fd, byte[] buffer, nint length, int flags);

    [DllImport("libc", EntryPoint = "recv", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint Recv(SafeFileHandle fd, byte[] buffer, nint length, int flags);

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetNs(SafeFileHandle fd, int type);

    [DllImport("libc", EntryPoint = "if_nametoindex", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern uint IfNameToIndex(string name);
}
