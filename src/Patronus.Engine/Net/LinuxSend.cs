using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Patronus.Engine.Net;

/// <summary>
/// <c>send(2)</c> on a connected socket, with the errno as the result instead of an exception:
/// the per-packet path of <see cref="IoUringSendBatch{TState}"/> where io_uring is not used.
/// Linux.
/// </summary>
internal static class LinuxSend
{
    private const int Ebadf = 9;

    /// <summary>Sends <paramref name="packet"/>; 0, or the errno the kernel refused it with (EBADF for a closed handle).</summary>
    public static int Send(SafeHandle socket, ReadOnlySpan<byte> packet, int flags)
    {
        try
        {
            return SendNative(socket, ref MemoryMarshal.GetReference(packet), packet.Length, flags) < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
        catch (ObjectDisposedException)
        {
            return Ebadf;
        }
    }

    /// <summary>Sends <paramref name="packet"/> on a raw descriptor the caller keeps open; 0 or the errno.</summary>
    public static int Send(int fd, ReadOnlySpan<byte> packet, int flags) =>
        SendNative(fd, ref MemoryMarshal.GetReference(packet), packet.Length, flags) < 0 ? Marshal.GetLastPInvokeError() : 0;

    /// <summary>The <see cref="SocketError"/> .NET reports for a send's Linux <paramref name="errno"/> (the ones a UDP send meets; others: <see cref="SocketError.SocketError"/>).</summary>
    public static SocketError ToSocketError(int errno) => errno switch
    {
        0 => SocketError.Success,
        1 or 13 => SocketError.AccessDenied,        // EPERM (a firewall rule), EACCES
        9 => SocketError.Shutdown,                  // EBADF: the socket was closed, as ObjectDisposedException today
        11 => SocketError.WouldBlock,               // EAGAIN: the socket's send buffer is full
        22 => SocketError.InvalidArgument,
        90 => SocketError.MessageSize,
        99 => SocketError.AddressNotAvailable,
        100 => SocketError.NetworkDown,
        101 => SocketError.NetworkUnreachable,
        105 => SocketError.NoBufferSpaceAvailable,
        111 => SocketError.ConnectionRefused,
        113 => SocketError.HostUnreachable,
        _ => SocketError.SocketError,
    };

    [DllImport("libc", EntryPoint = "send", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint SendNative(SafeHandle socket, ref byte buffer, nint length, int flags);

    [DllImport("libc", EntryPoint = "send", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint SendNative(int fd, ref byte buffer, nint length, int flags);
}
