using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Patronus.Engine.Probes.Stamp;

/// <summary>
/// One STAMP Session-Sender towards one reflector, owning a connected UDP socket.
/// <list type="bullet">
/// <item><see cref="SendAsync"/> stamps the packet with the wall clock (NTP format) and records
/// the monotonic send time in a ring indexed by sequence; no allocation per probe. Sends are
/// synchronous (UDP does not wait for the peer) and must come from one caller at a time.</item>
/// <item>The receive loop matches a reply by its Session-Sender Sequence Number against the ring
/// (a reply to a sequence the ring no longer holds is unmatched) and reports
/// RTT = (monotonic now − monotonic send) − (T3 − T2), subtracting the reflector hold time only
/// when 0 ≤ hold &lt; RTT (a reflector with a broken clock cannot produce a negative RTT).</item>
/// <item>Datagrams that are short, carry a zero error-estimate Multiplier (RFC 4656 §4.1.2), come
/// from another source, or match no probe are dropped and counted ("stamp", reason).</item>
/// <item>An ICMP port unreachable makes Linux fail the next receive (ECONNREFUSED) or send on a
/// connected socket: the receive loop logs and continues; that send returns false.</item>
/// </list>
/// </summary>
internal sealed class StampProbeSession : IProbeSession
{
    // Probes that can still be matched. At 10 probes/s this is 25 s of probes, far beyond any
    // probe timeout; a reply older than that is not worth an RTT sample.
    private const int RingSize = 256;
    private const int ReceiveBufferSize = 2048;

    private static readonly TimeSpan s_errorBackoff = TimeSpan.FromMilliseconds(100);

    private readonly Socket _socket;
    private readonly ProbeTarget _target;
    private readonly SocketAddress _remote;
    private readonly Action<ProbeReply> _onReply;
    private readonly TimeProvider _timeProvider;
    private readonly ProbeMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Slot[] _ring = new Slot[RingSize];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _disposed;

    public StampProbeSession(Socket socket, ProbeTarget target, Action<ProbeReply> onReply, TimeProvider timeProvider, ProbeMetrics metrics, ILogger logger)
    {
        _socket = socket;
        _target = target;
        _remote = target.Remote.Serialize();
        _onReply = onReply;
        _timeProvider = timeProvider;
        _metrics = metrics;
        _logger = logger;
        _loop = ReceiveLoopAsync(_stop.Token);
    }

    public ValueTask<bool> SendAsync(uint sequence, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        Span<byte> packet = stackalloc byte[StampSenderPacket.Size];
        var now = NtpTimestamp.FromDateTimeOffset(_timeProvider.GetUtcNow());
        new StampSenderPacket(sequence, now, ErrorEstimate.Unsynchronized).TryWrite(packet, out _);

        // Recorded before the send so that a reply cannot overtake its record.
        Record(sequence, _timeProvider.GetTimestamp());
        try
        {
            _socket.Send(packet);
            _metrics.Sent("stamp");
            return ValueTask.FromResult(true);
        }
        catch (SocketException ex)
        {
            _metrics.SendFailed("stamp");
            Log.SessionSendFailed(_logger, _target.PathId, _target.TargetIndex, _target.Remote, sequence, ex.SocketErrorCode);
            return ValueTask.FromResult(false);
        }
        catch (ObjectDisposedException)
        {
            return ValueTask.FromResult(false);
        }
    }

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

    /// <summary>Handles one received datagram (internal for tests). <paramref name="receivedAt"/> is monotonic.</summary>
    internal void OnDatagram(ReadOnlySpan<byte> datagram, SocketAddress from, long receivedAt)
    {
        if (!SameEndpoint(from, _remote))
        {
            Drop(datagram.Length, "wrong_source");
            return;
        }

        if (!StampReflectorPacket.TryRead(datagram, out var reply))
        {
            Drop(datagram.Length, "too_short");
            return;
        }

        if (!reply.ErrorEstimate.IsValid)
        {
            Drop(datagram.Length, "zero_multiplier");
            return;
        }

        if (!TryMatch(reply.SenderSequence, out var sentAt))
        {
            Drop(datagram.Length, "unmatched");
            return;
        }

        var rtt = _timeProvider.GetElapsedTime(sentAt, receivedAt);
        if (reply.TryGetHoldTime(out var hold) && hold >= TimeSpan.Zero && hold < rtt)
        {
            rtt -= hold;
        }

        _metrics.Reply("stamp");
        _onReply(new ProbeReply(reply.SenderSequence, rtt));
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        var buffer = GC.AllocateUninitializedArray<byte>(ReceiveBufferSize);
        var from = new SocketAddress(_socket.AddressFamily);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var length = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, from, cancellationToken).ConfigureAwait(false);
                OnDatagram(buffer.AsSpan(0, length), from, _timeProvider.GetTimestamp());
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset
                or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.MessageSize)
            {
                // The path reported an error (ICMP) or a datagram was oversized: not fatal.
                Log.SessionReceiveError(_logger, _target.PathId, _target.TargetIndex, _target.Remote, ex.SocketErrorCode);
            }
#pragma warning disable CA1031 // the loop must outlive any one datagram, including a throwing callback
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.SessionLoopError(_logger, _target.PathId, _target.TargetIndex, _target.Remote, ex);
                try
                {
                    await Task.Delay(s_errorBackoff, _timeProvider, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
    }

    private void Drop(int length, string reason)
    {
        _metrics.Dropped("stamp", reason);
        Log.SessionDropped(_logger, _target.PathId, _target.TargetIndex, _target.Remote, length, reason);
    }

    // The ring is written by the sender and read by the receive loop without a lock: a per-slot
    // version is odd while the slot is being written (a seqlock), and a reader that sees it change
    // treats the reply as unmatched.
    private void Record(uint sequence, long sentAt)
    {
        ref var slot = ref _ring[sequence % RingSize];
        Interlocked.Increment(ref slot.Version);
        slot.Sequence = sequence;
        slot.SentAt = sentAt;
        Interlocked.Increment(ref slot.Version);
    }

    private bool TryMatch(uint sequence, out long sentAt)
    {
        ref var slot = ref _ring[sequence % RingSize];
        var before = Volatile.Read(ref slot.Version);
        var recorded = slot.Sequence;
        sentAt = slot.SentAt;
        Interlocked.MemoryBarrier();
        var after = Volatile.Read(ref slot.Version);
        return before != 0 && (before & 1) == 0 && before == after && recorded == sequence;
    }

    // The kernel only delivers the connected peer's datagrams; this is the belt to its braces.
    // Compares family, port and address of two native sockaddrs (IPv6 flow label and scope left
    // out: the flow label differs per packet).
    private static bool SameEndpoint(SocketAddress a, SocketAddress b)
    {
        if (a.Family != b.Family || a.Size < 8 || b.Size < 8)
        {
            return false;
        }

        var x = a.Buffer.Span;
        var y = b.Buffer.Span;
        return a.Family == AddressFamily.InterNetworkV6
            ? a.Size >= 24 && b.Size >= 24 && x.Slice(2, 2).SequenceEqual(y.Slice(2, 2)) && x.Slice(8, 16).SequenceEqual(y.Slice(8, 16))
            : x.Slice(2, 6).SequenceEqual(y.Slice(2, 6));
    }

    private struct Slot
    {
        public int Version;
        public uint Sequence;
        public long SentAt;
    }
}
