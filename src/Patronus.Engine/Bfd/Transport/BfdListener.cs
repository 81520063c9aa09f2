using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Patronus.Engine.Net;
using Patronus.Engine.Probes.Stamp;

namespace Patronus.Engine.Bfd.Transport;

/// <summary>
/// Receives control packets for one local address on 3784 (single hop) or 4784 (multihop),
/// with the received TTL (IP_RECVTTL / IPV6_RECVHOPLIMIT through recvmsg), and hands each to
/// <c>onPacket</c> as a <see cref="BfdInbound"/> in a pooled buffer. Bound to the address, not the
/// wildcard, so that several instances (or a router daemon) on other addresses of the same host
/// coexist. Oversized datagrams are dropped here and reported to <c>onDropped</c>.
/// </summary>
public sealed partial class BfdListener : IAsyncDisposable
{
    // Largest valid control packet: 24 octets + a 28-octet SHA1 section. Anything longer is
    // not BFD; a larger buffer lets the truncation flag tell us so.
    private const int BufferSize = 128;

    private readonly Socket _socket;
    private readonly LinuxDatagram _native;
    private readonly Action<BfdInbound> _onPacket;
    private readonly Action<string> _onDropped;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly BfdAddress _local;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private readonly Lock _receiveLock = new();
    private int _disposed;

    private BfdListener(Socket socket, LinuxDatagram native, bool multihop, Action<BfdInbound> onPacket, Action<string> onDropped, TimeProvider time, ILogger logger)
    {
        _socket = socket;
        _native = native;
        Multihop = multihop;
        _onPacket = onPacket;
        _onDropped = onDropped;
        _time = time;
        _logger = logger;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _local = BfdAddress.From(LocalEndPoint.Address);
    }

    public IPEndPoint LocalEndPoint { get; }

    public bool Multihop { get; }

    /// <summary>Binds and starts receiving. Null with <paramref name="failure"/> when the address cannot be bound.</summary>
    public static BfdListener? TryStart(IPAddress local, bool multihop, string? device, Action<BfdInbound> onPacket, Action<string> onDropped,
        TimeProvider time, ILogger logger, out string? failure, int? port = null)
    {
        ArgumentNullException.ThrowIfNull(local);
        if (!LinuxDatagram.IsSupported)
        {
            failure = "BFD needs Linux (64-bit) to read the received TTL";
            return null;
        }

        var socket = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.ReceiveBufferSize = 1 << 20;
            if ((device is not null && !SocketBinding.TryBindToDevice(socket, device, out failure)) ||
                !SocketBinding.TryBind(socket, new IPEndPoint(local, port ?? (multihop ? BfdPorts.Multihop : BfdPorts.SingleHop)), out failure))
            {
                socket.Dispose();
                return null;
            }

            var native = LinuxDatagram.TryCreate(socket, BufferSize, out failure);
            if (native is null)
            {
                socket.Dispose();
                failure = $"cannot read the received TTL on {local}: {failure}";
                return null;
            }

            var listener = new BfdListener(socket, native, multihop, onPacket, onDropped, time, logger);
            listener._loop = listener.RunAsync(listener._stop.Token);
            return listener;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            failure = $"cannot open a BFD socket on {local}: {ex.Message}";
            return null;
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        var peek = new byte[1];
        var peekAddress = new SocketAddress(_socket.AddressFamily);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                // Wait in .NET's socket engine (epoll) without taking the datagram, then drain
                // with non-blocking recvmsg, which also yields the TTL.
                await _socket.ReceiveFromAsync(peek, SocketFlags.Peek, peekAddress, cancellationToken).ConfigureAwait(false);
                while (PausedForTest)
                {
                    await Task.Delay(5, cancellationToken).ConfigureAwait(false);
                }

                Drain();
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (SocketException ex)
            {
                // An ICMP error queued on the socket, about one datagram: go back to waiting.
                LogReceiveError(_logger, LocalEndPoint, ex.SocketErrorCode);
            }
            catch (ObjectDisposedException)
            {
                break;
            }
        }
    }

    /// <summary>
    /// Reads every datagram queued in the socket now, on the caller's thread, and hands each to
    /// <c>onPacket</c>; returns how many. The session loop calls it before declaring a session
    /// down: when the process was starved, the peer's packets may be sitting in the kernel
    /// unread, and expiring the detection timer first would be a false Down (seen in the
    /// 1,000-session benchmark). Safe against the receive loop: both read under one lock.
    /// </summary>
    public int Drain()
    {
        var count = 0;
        lock (_receiveLock)
        {
            while (Volatile.Read(ref _disposed) == 0 && _native.TryReceive(out var length, out var ttl, out var truncated, out _))
            {
                count++;
                var receivedAt = _time.GetTimestamp();
                if (truncated)
                {
                    _onDropped("too_long");
                    continue;
                }

                if (!BfdAddress.TryRead(_native.PeerAddress, out var peer, out var peerPort))
                {
                    _onDropped("bad_source");
                    continue;
                }

                var buffer = ArrayPool<byte>.Shared.Rent(length);
                _native.Buffer.AsSpan(0, length).CopyTo(buffer);
                _onPacket(new BfdInbound(buffer, length, ttl, peer, peerPort, _local, Multihop, receivedAt));
            }
        }

        return count;
    }

    /// <summary>Tests: hold the receive loop (datagrams stay queued in the kernel), as a starved thread pool would.</summary>
    internal bool PausedForTest { get; set; }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _socket.Dispose();
        _stop.Dispose();
    }

    [LoggerMessage(EventId = 4100, Level = LogLevel.Debug, Message = "BFD listener {Local}: receive error {Error}")]
    private static partial void LogReceiveError(ILogger logger, IPEndPoint local, SocketError error);
}
