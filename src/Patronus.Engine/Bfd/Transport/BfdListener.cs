using System.Net;
using System.Net.Sockets;
using Patronus.Engine.Net;

namespace Patronus.Engine.Bfd.Transport;

/// <summary>
/// The receiving socket of the control packets for one local address on 3784 (single hop) or
/// 4784 (multihop), asking the kernel for the received TTL (IP_RECVTTL / IPV6_RECVHOPLIMIT) and
/// its receive timestamp (SO_TIMESTAMPNS). It has no loop of its own: the session loop's thread
/// waits on every listener at once (<see cref="LinuxEpoll"/>) and reads them in batches
/// (<see cref="LinuxReceiveBatch"/>). Bound to the address, not the wildcard, so that several
/// instances (or a router daemon) on other addresses of the same host coexist, and so that a
/// link's interface binding (SO_BINDTODEVICE) holds for its sessions.
/// </summary>
public sealed class BfdListener : IAsyncDisposable
{
    /// <summary>
    /// Largest valid control packet: 24 octets + a 28-octet SHA1 section. Anything longer is not
    /// BFD; reading up to 128 octets lets the truncation flag tell us so.
    /// </summary>
    public const int MaxDatagram = 128;

    // A 1 MiB kernel queue: a burst from many peers waits there while the session loop is busy.
    private const int ReceiveBufferBytes = 1 << 20;

    private readonly Socket _socket;
    private readonly LinuxEpoll? _epoll;
    private bool _paused;
    private int _disposed;

    private BfdListener(Socket socket, bool multihop, LinuxEpoll? epoll, ulong id)
    {
        _socket = socket;
        _epoll = epoll;
        Id = id;
        Multihop = multihop;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        Local = BfdAddress.From(LocalEndPoint.Address);
    }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The listener's address (every datagram read here was sent to it).</summary>
    public BfdAddress Local { get; }

    public bool Multihop { get; }

    /// <summary>What the loop's epoll set reports for this socket.</summary>
    public ulong Id { get; }

    /// <summary>The loop's clock when a read last found the queue empty (loop-owned; <see cref="BfdArrival"/>).</summary>
    internal long EmptyAt { get; set; }

    /// <summary>True once disposed: a late event for it is ignored.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>
    /// Tests: stop (or resume) the loop's readiness reports for this socket, as a starved loop
    /// would: datagrams stay queued in the kernel, and only a drain before a Detection Time
    /// expiry reads them.
    /// </summary>
    internal bool PausedForTest
    {
        get => _paused;
        set
        {
            _paused = value;
            _epoll?.SetReading(_socket.SafeHandle, Id, !value);
        }
    }

    /// <summary>
    /// Binds, enables the ancillary data and registers the socket with <paramref name="epoll"/>
    /// under <paramref name="id"/>. Null with <paramref name="failure"/> when the address cannot be
    /// bound or the kernel refuses an option.
    /// </summary>
    internal static BfdListener? TryStart(IPAddress local, bool multihop, string? device, LinuxEpoll epoll, ulong id, out string? failure, int? port = null)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(epoll);
        if (!LinuxReceiveBatch.IsSupported)
        {
            failure = "BFD needs Linux (64-bit) to read the received TTL";
            return null;
        }

        var socket = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.ReceiveBufferSize = ReceiveBufferBytes;
            var binding = new LocalBinding(local.AddressFamily, ProtocolType.Udp, local, port ?? (multihop ? BfdPorts.Multihop : BfdPorts.SingleHop), device);
            if (!SocketBinding.TryBind(socket, binding, out failure))
            {
                socket.Dispose();
                return null;
            }

            LinuxReceiveBatch.Enable(socket);
            socket.Blocking = false;
            if (!epoll.TryAdd(socket.SafeHandle, id, out var errno))
            {
                socket.Dispose();
                failure = $"cannot watch the BFD socket on {local}: errno {errno}";
                return null;
            }

            failure = null;
            return new BfdListener(socket, multihop, epoll, id);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            failure = $"cannot open a BFD socket on {local}: {ex.Message}";
            return null;
        }
    }

    /// <summary>One recvmmsg into <paramref name="batch"/>: how many datagrams (0 when none was queued or the socket is closed).</summary>
    internal int Receive(LinuxReceiveBatch batch, out int errno)
    {
        if (IsDisposed)
        {
            errno = 9;
            return 0;
        }

        try
        {
            return batch.Receive(_socket.SafeHandle, out errno);
        }
        catch (ObjectDisposedException)
        {
            errno = 9;
            return 0;
        }
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _socket.Dispose(); // closing the last descriptor removes it from the epoll set
        }

        return ValueTask.CompletedTask;
    }
}
