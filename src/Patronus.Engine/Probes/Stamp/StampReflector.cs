using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Patronus.Engine.Net;

namespace Patronus.Engine.Probes.Stamp;

/// <summary>
/// A STAMP Session-Reflector (RFC 8762 §4.3), unauthenticated mode, on one UDP socket. No hosting
/// dependency: the server (or the <c>patronus reflector</c> command) owns its lifetime.
/// <list type="bullet">
/// <item>Stateless (RFC 8762 §4): the reflector Sequence Number is a copy of the Session-Sender's,
/// so it keeps no per-sender state; senders measure round-trip loss only.</item>
/// <item>Receive Timestamp T2 is read from the <see cref="TimeProvider"/> wall clock when the
/// datagram is taken from the socket; Timestamp T3 is T2 plus the monotonic time elapsed until
/// just before the system call that sends the reply, so the hold time T3 − T2 is exact even if the
/// wall clock steps and covers the reply's wait in its batch.</item>
/// <item>Replies are batched (64-bit Linux): those to the datagrams read in one go leave together
/// in one sendmmsg at the end of the read (<see cref="IDatagramHandler.OnBatchEnd"/>), at most
/// <see cref="ReplyBatchCapacity"/> per call, each from the address its test packet was sent to
/// (its own IP_PKTINFO); a reply longer than 1,472 octets goes alone. One system call per burst
/// instead of one per reply.</item>
/// <item>Session-Sender TTL: on 64-bit Linux the received IPv4 TTL / IPv6 Hop Limit, read with
/// recvmsg ancillary data (IP_RECVTTL, IPV6_RECVHOPLIMIT); elsewhere, or if the kernel refuses the
/// options, 0 (see <see cref="ReportsTtl"/>). On Linux the reply also leaves from the address the
/// test packet was sent to (IP_PKTINFO), which matters when bound to a wildcard address.</item>
/// <item>Symmetric size (RFC 8762 §4): a test packet longer than 44 octets is answered with a
/// packet of the same length, the octets past 44 zeroed.</item>
/// <item>Test packets shorter than 44 octets or whose error-estimate Multiplier is 0 (RFC 4656
/// §4.1.2) are dropped, counted in <see cref="ProbeMetrics.Dropped"/> ("reflector", reason) and
/// logged at Debug. Non-zero MBZ octets are ignored (RFC 8762: MUST be ignored on receipt),
/// unless they make the datagram a reflector's reply.</item>
/// <item>Never answered, so that no spoofed datagram can start a loop between reflectors or
/// bounce replies off a service (<see cref="StampReflectorAdmission"/>): sources on this
/// reflector's port, on 862 or on another port below 1024, non-unicast sources, and datagrams
/// that are themselves a reflector's reply. Each source address is then held to a token bucket
/// (<see cref="StampReflectorOptions"/>). Each is a drop reason of the same metric.</item>
/// <item>The socket asks for a 4 MiB kernel receive buffer (SO_RCVBUFFORCE as root, past
/// net.core.rmem_max; see <see cref="UdpReceiveBuffer"/>) and logs what it got at Information:
/// with the 208 KiB default a single reflector answering 10,000 senders at 1 probe/s overflowed
/// (241 datagrams/s dropped by the kernel, ~2 % of probes, in the probe benchmark).</item>
/// </list>
/// The receive loop (<see cref="DatagramReceiver"/>) catches and logs per datagram and goes on;
/// only <see cref="DisposeAsync"/> ends it, within a datagram even while a flood keeps the
/// socket's queue full.
/// </summary>
public sealed class StampReflector : IAsyncDisposable, IDatagramHandler
{
    /// <summary>Largest UDP payload; the buffer is allocated once, so no datagram is ever truncated.</summary>
    private const int MaxDatagram = 65_535;

    /// <summary>
    /// Replies collected per sendmmsg: those to one received batch (up to
    /// <see cref="DatagramReceiver.MaxBatch"/> datagrams read in one go) leave together at its end,
    /// a full batch before the next reply is added. 64 bounds how long the last reply of a batch
    /// leaves after its T3 (docs/health.md, "Batched sends").
    /// </summary>
    internal const int ReplyBatchCapacity = 64;

    /// <summary>
    /// The longest reply that goes in a batch: a test packet that fills a 1,500-octet IPv4 MTU
    /// (symmetric size). Longer ones, rare, are sent alone after the batch before them.
    /// </summary>
    private const int ReplySlotSize = 1_472;

    private readonly TimeProvider _timeProvider;
    private readonly ProbeMetrics _metrics;
    private readonly ILogger _logger;
    private readonly SourceRateLimiter _limiter;
    private DatagramReceiver? _receiver;
    private int _disposed;

    // Replies waiting for the end of the received batch, with each one's receive time (T2, and on
    // the monotonic clock) to stamp T3 just before the sendmmsg. Null where sendmmsg cannot be
    // called: each reply goes at once. Only the receive loop touches them.
    private UdpSendBatch? _replies;
    private readonly NtpTimestamp[] _replyT2 = new NtpTimestamp[ReplyBatchCapacity];
    private readonly long[] _replyT2Monotonic = new long[ReplyBatchCapacity];

    private StampReflector(IPEndPoint local, int receiveBufferBytes, StampReflectorOptions options, TimeProvider timeProvider, ProbeMetrics metrics, ILogger logger)
    {
        _limiter = new SourceRateLimiter(options.PerSourceRate, options.PerSourceBurst, timeProvider.TimestampFrequency);
        ReceiveBufferBytes = receiveBufferBytes;
        _replies = UdpSendBatch.IsSupported ? new UdpSendBatch(gso: false, ReplyBatchCapacity, ReplySlotSize) : null;
        _timeProvider = timeProvider;
        _metrics = metrics;
        _logger = logger;
        LocalEndPoint = local;
    }

    /// <summary>The bound endpoint (with the kernel's port when started on port 0).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The kernel receive buffer obtained (as getsockopt reports it: on Linux twice the usable size).</summary>
    internal int ReceiveBufferBytes { get; }

    /// <summary>True when Session-Sender TTL carries the received TTL/Hop Limit; false when it is always 0.</summary>
    public bool ReportsTtl => _receiver!.ReadsAncillary;

    /// <summary>
    /// Binds <paramref name="listen"/> (IPv4 or IPv6; <c>[::]</c> also accepts IPv4) and starts
    /// reflecting, with the limits of <paramref name="options"/> (the defaults when null).
    /// </summary>
    /// <exception cref="SocketException">The bind failed (address in use, not on this host, or a port below 1024 without privilege).</exception>
    public static StampReflector Start(IPEndPoint listen, TimeProvider timeProvider, ProbeMetrics metrics, ILogger logger, StampReflectorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(listen);
        options ??= new StampReflectorOptions();
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(logger);

        var socket = new Socket(listen.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (listen.AddressFamily == AddressFamily.InterNetworkV6 && listen.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(listen);
            var receiveBuffer = UdpReceiveBuffer.Request(socket, UdpReceiveBuffer.Requested, out var forced);
            var reflector = new StampReflector((IPEndPoint)socket.LocalEndPoint!, receiveBuffer, options, timeProvider, metrics, logger);
            reflector._receiver = DatagramReceiver.Start(socket, reflector, new DatagramReceiverOptions(MaxDatagram, ReadAncillary: true), timeProvider, out var noTtl);
            if (noTtl is not null && LinuxDatagram.IsSupported)
            {
                Log.ReflectorNoTtl(logger, noTtl);
            }

            Log.ReflectorStarted(logger, reflector.LocalEndPoint, reflector.ReportsTtl);
            Log.ReflectorReceiveBuffer(logger, reflector.LocalEndPoint, receiveBuffer, UdpReceiveBuffer.Requested, forced);
            return reflector;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Builds the reply to <paramref name="length"/> octets of test packet in
    /// <paramref name="buffer"/>, in place. False with a drop reason when the test packet is not
    /// answered. <paramref name="t2"/> and <paramref name="t2Monotonic"/> are the receive time.
    /// The source is not looked at: see <see cref="Admit"/>.
    /// </summary>
    internal bool TryReflect(Span<byte> buffer, int length, NtpTimestamp t2, long t2Monotonic, byte ttl, out string? dropReason)
    {
        dropReason = CheckPacket(buffer[..length]);
        if (dropReason is not null)
        {
            return false;
        }

        Reflect(buffer, length, t2, t2Monotonic, ttl);
        return true;
    }

    /// <summary>
    /// Null when the test packet in <paramref name="buffer"/> from <paramref name="source"/> (a
    /// native sockaddr) is to be answered at monotonic time <paramref name="now"/>; otherwise the
    /// drop reason. In this order: the source (<see cref="StampReflectorAdmission.CheckSource"/>),
    /// the packet, then the source's token bucket, so that only what would be answered spends a token.
    /// </summary>
    internal string? Admit(ReadOnlySpan<byte> source, ReadOnlySpan<byte> buffer, long now)
    {
        return StampReflectorAdmission.CheckSource(source, LocalEndPoint.Port, out var address)
            ?? CheckPacket(buffer)
            ?? (_limiter.TryTake(address, now) ? null : "rate_limited");
    }

    private static string? CheckPacket(ReadOnlySpan<byte> packet)
    {
        if (!StampSenderPacket.TryRead(packet, out var request))
        {
            return "too_short";
        }

        if (!request.ErrorEstimate.IsValid)
        {
            return "zero_multiplier";
        }

        return StampReflectorAdmission.IsReflectedPacket(packet) ? "reflected_packet" : null;
    }

    private void Reflect(Span<byte> buffer, int length, NtpTimestamp t2, long t2Monotonic, byte ttl)
    {
        StampSenderPacket.TryRead(buffer[..length], out var request);
        var t3 = T3(t2, t2Monotonic, _timeProvider.GetTimestamp());
        var reply = new StampReflectorPacket(
            Sequence: request.Sequence,
            Timestamp: t3,
            ErrorEstimate: ErrorEstimate.Unsynchronized,
            ReceiveTimestamp: t2,
            SenderSequence: request.Sequence,
            SenderTimestamp: request.Timestamp,
            SenderErrorEstimate: request.ErrorEstimate,
            SenderTtl: ttl);
        reply.TryWrite(buffer, out var written);
        buffer[written..length].Clear();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _receiver!.DisposeAsync().ConfigureAwait(false);
        Log.ReflectorStopped(_logger, LocalEndPoint);
    }

    /// <summary>T3: T2 plus the monotonic time from receipt to <paramref name="now"/>, so the hold time is exact even if the wall clock steps.</summary>
    private NtpTimestamp T3(NtpTimestamp t2, long t2Monotonic, long now) =>
        new(t2.Value + ToNtpUnits(_timeProvider.GetElapsedTime(t2Monotonic, now)));

    void IDatagramHandler.OnDatagram(ref ReceivedDatagram datagram)
    {
        var t2 = NtpTimestamp.FromDateTimeOffset(_timeProvider.GetUtcNow());
        var t2Monotonic = datagram.ReceivedAt;
        var length = datagram.Payload.Length;
        if (datagram.Truncated)
        {
            Dropped(length, datagram.Source, "too_long");
            return;
        }

        if (Admit(datagram.Source, datagram.Payload, t2Monotonic) is { } reason)
        {
            Dropped(length, datagram.Source, reason);
            return;
        }

        Reflect(datagram.Payload, length, t2, t2Monotonic, datagram.Ttl);
        var replyLength = Math.Max(length, StampReflectorPacket.Size);
        if (_replies is { } batch)
        {
            if (batch.Count == batch.Capacity)
            {
                FlushReplies();
            }

            var index = batch.Count;
            if (batch.TryAdd(datagram.Socket, datagram.Source, datagram.Payload[..replyLength], datagram.ReplyControl))
            {
                _replyT2[index] = t2;
                _replyT2Monotonic[index] = t2Monotonic;
                return;
            }

            // Too long for a slot: the replies before it go first, then it alone.
            FlushReplies();
        }

        _metrics.SendCalls("reflector", 1);
        if (datagram.TryReply(replyLength, out var errno))
        {
            _metrics.Reflected();
        }
        else
        {
            SendFailed(datagram.Source, errno);
        }
    }

    void IDatagramHandler.OnBatchEnd() => FlushReplies();

    /// <summary>
    /// Sends the collected replies in one sendmmsg, each stamped T3 just before it (the hold time
    /// T3 − T2 then covers the whole wait in this reflector, batch included, which the sender
    /// subtracts from its round trip); counts each as reflected or, refused by the kernel, as a
    /// send failure.
    /// </summary>
    private void FlushReplies()
    {
        if (_replies is not { } batch || batch.Count == 0)
        {
            return;
        }

        var count = batch.Count;
        var now = _timeProvider.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            StampReflectorPacket.WriteTimestamp(batch.Datagram(i), T3(_replyT2[i], _replyT2Monotonic[i], now));
        }

        try
        {
            batch.Flush(out _);
        }
        catch (ObjectDisposedException)
        {
            return; // stopped under us
        }
        catch (EntryPointNotFoundException)
        {
            // A C library without sendmmsg: these replies are lost, the next ones go one by one.
            _replies = null;
            for (var i = 0; i < count; i++)
            {
                SendFailed(batch.Name(i), errno: 38); // ENOSYS
            }

            return;
        }

        _metrics.SendCalls("reflector", batch.Calls);
        var reflected = 0;
        for (var i = 0; i < count; i++)
        {
            if (batch.Error(i) is var errno && errno == 0)
            {
                reflected++;
            }
            else
            {
                SendFailed(batch.Name(i), errno);
            }
        }

        _metrics.Reflected(reflected);
    }

    void IDatagramHandler.OnReceiveError(SocketException exception)
    {
        // ICMP errors queued on the socket, or an oversized datagram: about one peer only.
        if (exception.SocketErrorCode is not (SocketError.ConnectionRefused or SocketError.ConnectionReset or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.MessageSize))
        {
            Log.ReflectorLoopError(_logger, exception);
        }
    }

    void IDatagramHandler.OnLoopError(Exception exception) => Log.ReflectorLoopError(_logger, exception);

    private static ulong ToNtpUnits(TimeSpan elapsed) =>
        elapsed <= TimeSpan.Zero ? 0 : (ulong)(elapsed.Ticks / TimeSpan.TicksPerSecond << 32) + (ulong)((elapsed.Ticks % TimeSpan.TicksPerSecond << 32) / TimeSpan.TicksPerSecond);

    private void Dropped(int length, ReadOnlySpan<byte> peer, string reason)
    {
        _metrics.Dropped("reflector", reason);
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            var source = NativeSocketAddress.Describe(peer, LocalEndPoint.AddressFamily);
            Log.ReflectorDropped(_logger, length, source, reason);
        }
    }

    private void SendFailed(ReadOnlySpan<byte> peer, int errno)
    {
        _metrics.SendFailed("reflector");
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            var destination = NativeSocketAddress.Describe(peer, LocalEndPoint.AddressFamily);
            Log.ReflectorSendFailed(_logger, destination, errno);
        }
    }
}
