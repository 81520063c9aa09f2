using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Patronus.Engine.Net;

namespace Patronus.Engine.Bfd.Transport;

/// <summary>
/// Receives control packets for one local address on 3784 (single hop) or 4784 (multihop),
/// with the received TTL (IP_RECVTTL / IPV6_RECVHOPLIMIT through recvmsg), and hands each to
/// <c>onPacket</c> as a <see cref="BfdInbound"/> in a pooled buffer. Bound to the address, not the
/// wildcard, so that several instances (or a router daemon) on other addresses of the same host
/// coexist. Oversized datagrams are dropped here and reported to <c>onDropped</c>.
/// </summary>
public sealed partial class BfdListener : IAsyncDisposable, IDatagramHandler
{
    // Largest valid control packet: 24 octets + a 28-octet SHA1 section. Anything longer is
    // not BFD; reading up to 128 octets lets the truncation flag tell us so.
    private const int MaxDatagram = 128;

    // A 1 MiB kernel queue: a burst from many peers waits there while the session loop is busy.
    private const int ReceiveBufferBytes = 1 << 20;

    private readonly Action<BfdInbound> _onPacket;
    private readonly Action<string> _onDropped;
    private readonly ILogger _logger;
    private readonly BfdAddress _local;
    private DatagramReceiver? _receiver;
    private int _disposed;

    private BfdListener(IPEndPoint local, bool multihop, Action<BfdInbound> onPacket, Action<string> onDropped, ILogger logger)
    {
        Multihop = multihop;
        _onPacket = onPacket;
        _onDropped = onDropped;
        _logger = logger;
        LocalEndPoint = local;
        _local = BfdAddress.From(LocalEndPoint.Address);
    }

    public IPEndPoint LocalEndPoint { get; }

    public bool Multihop { get; }

    /// <summary>Tests: hold the receive loop (datagrams stay queued in the kernel), as a starved thread pool would.</summary>
    internal bool PausedForTest
    {
        get => _receiver!.PausedForTest;
        set => _receiver!.PausedForTest = value;
    }

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
            socket.ReceiveBufferSize = ReceiveBufferBytes;
            var binding = new LocalBinding(local.AddressFamily, ProtocolType.Udp, local, port ?? (multihop ? BfdPorts.Multihop : BfdPorts.SingleHop), device);
            if (!SocketBinding.TryBind(socket, binding, out failure))
            {
                socket.Dispose();
                return null;
            }

            var listener = new BfdListener((IPEndPoint)socket.LocalEndPoint!, multihop, onPacket, onDropped, logger);
            listener._receiver = DatagramReceiver.Start(socket, listener, new DatagramReceiverOptions(MaxDatagram, ReadAncillary: true), time, out failure);
            if (!listener._receiver.ReadsAncillary)
            {
                listener._receiver.Stop();
                failure = $"cannot read the received TTL on {local}: {failure}";
                return null;
            }

            return listener;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            failure = $"cannot open a BFD socket on {local}: {ex.Message}";
            return null;
        }
    }

    /// <summary>
    /// Reads every datagram queued in the socket now, on the caller's thread, and hands each to
    /// <c>onPacket</c>; returns how many. The session loop calls it before declaring a session
    /// down: when the process was starved, the peer's packets may be sitting in the kernel
    /// unread, and expiring the detection timer first would be a false Down (seen in the
    /// 1,000-session benchmark). Safe against the receive loop (<see cref="DatagramReceiver.Drain"/>).
    /// </summary>
    public int Drain() => Volatile.Read(ref _disposed) == 0 ? _receiver!.Drain() : 0;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _receiver!.DisposeAsync().ConfigureAwait(false);
    }

    void IDatagramHandler.OnDatagram(ref ReceivedDatagram datagram)
    {
        if (datagram.Truncated)
        {
            _onDropped("too_long");
            return;
        }

        if (!BfdAddress.TryRead(datagram.Source, out var peer, out var peerPort))
        {
            _onDropped("bad_source");
            return;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(datagram.Payload.Length);
        datagram.Payload.CopyTo(buffer);
        _onPacket(new BfdInbound(buffer, datagram.Payload.Length, datagram.Ttl, peer, peerPort, _local, Multihop, datagram.ReceivedAt));
    }

    // An ICMP error queued on the socket, about one datagram: the loop goes back to waiting.
    void IDatagramHandler.OnReceiveError(SocketException exception) => LogReceiveError(_logger, LocalEndPoint, exception.SocketErrorCode);

    void IDatagramHandler.OnLoopError(Exception exception) => LogLoopError(_logger, LocalEndPoint, exception);

    [LoggerMessage(EventId = 4100, Level = LogLevel.Debug, Message = "BFD listener {Local}: receive error {Error}")]
    private static partial void LogReceiveError(ILogger logger, IPEndPoint local, SocketError error);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "BFD listener {Local}: receive loop error; continuing")]
    private static partial void LogLoopError(ILogger logger, IPEndPoint local, Exception exception);
}
