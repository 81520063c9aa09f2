using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Patronus.Engine.Probes.Stamp;

/// <summary>
/// One STAMP Session-Sender towards one reflector: a thin handle on a <see cref="StampSocket"/>
/// shared with the other sessions of its link, holding the target and the send times of
/// outstanding probes.
/// <list type="bullet">
/// <item><see cref="SendAsync"/> stamps the packet with the wall clock (NTP format), records the
/// monitor's sequence and the monotonic send time in a ring indexed by sequence and sends it to the
/// reflector from the shared socket, with <see cref="Slot"/> in the high 12 bits of the Sequence
/// Number and the low 20 bits of the monitor's sequence below (<see cref="StampSlotTable"/>); no
/// allocation per probe. Sends are synchronous (UDP does not wait for the peer) and must come from
/// one caller at a time. <see cref="QueueSend"/> (what the monitor uses with Health:BatchSends) does the same for all the
/// probes of one monitor iteration on the socket at once: one sendmmsg, T1 and the ring's send
/// time taken once just before it (<see cref="StampSocket.QueueSend"/>).</item>
/// <item>The socket's receive loop routes replies from this session's reflector (address and
/// port) that echo its slot to <see cref="OnReply"/>, which matches the low 20 bits of the
/// Session-Sender Sequence Number against the ring (a reply to a sequence the ring no longer holds
/// is unmatched), delivers the monitor's full 32-bit sequence kept in the ring, and reports
/// RTT = (monotonic now − monotonic send) − (T3 − T2), subtracting the reflector hold time only
/// when 0 ≤ hold &lt; RTT (a reflector with a broken clock cannot produce a negative RTT).</item>
/// <item>Replies that carry a zero error-estimate Multiplier (RFC 4656 §4.1.2) or match no probe
/// are dropped and counted ("stamp", reason); the socket drops and counts oversized and short
/// datagrams, those from a source no session probes and those naming a slot no session holds.</item>
/// <item>A send the kernel refuses (no route, interface down) returns false and is counted; the
/// first of a run is logged at Warning, the recovery at Information.</item>
/// </list>
/// Disposing stops the routing to this session and frees its slot; the last session of a socket
/// closes it. Kept small (344 octets with its ring, measured with dotnet-gcdump; the slot fits in
/// what was padding) because there is one per probe target: what the sessions of a link share
/// (clock, metrics, logger, factory) lives on the socket.
/// </summary>
internal sealed class StampProbeSession : IProbeSession
{
    /// <summary>
    /// Probes that can still be matched (8 octets each, 256 per session). A probe times out after
    /// at most HealthOptions.MaxTimeout (default 1 s) and a target is probed at most every
    /// HealthOptions.FastInterval (default 100 ms), so with the defaults at most 10 probes await a
    /// reply at once; 32 slots hold 3.2 s of fast probing (32 s at the normal 1/s) and cover a 1 s
    /// timeout for fast intervals down to 31.25 ms. A reply older than 32 probes is unmatched, which
    /// costs nothing the monitor uses: it is past its probe's timeout and would count as late.
    /// 64 slots (6.4 s) cost 25 KB more per 100 paths, which left the benchmark at the edge of its
    /// 200 KB bar (docs/performance.md).
    /// </summary>
    internal const int RingSize = 32;

    private const string Protocol = StampProbeSessionFactory.MetricProtocol;

    private readonly string _pathId;
    private readonly int _targetIndex;
    private readonly IPEndPoint _remote;
    private readonly uint _scopeId;
    private readonly Action<ProbeReply> _onReply;

    // 2 octets, in what was padding: the session stays 344 octets.
    private readonly ushort _slot;
    private Ring _ring;
    private bool _sendFailing;
    private int _disposed;

    public StampProbeSession(StampSocket socket, StampPeer peer, int slot, ProbeTarget target, IPEndPoint remote, Action<ProbeReply> onReply)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, StampSlotTable.Capacity);
        Socket = socket;
        Peer = peer;
        _slot = (ushort)slot;
        _pathId = target.PathId;
        _targetIndex = target.TargetIndex;
        _remote = remote;
        _scopeId = remote.AddressFamily == AddressFamily.InterNetworkV6 ? (uint)remote.Address.ScopeId : 0;
        _onReply = onReply;
    }

    /// <summary>The shared socket this session sends from and is routed by.</summary>
    public StampSocket Socket { get; }

    /// <summary>The reflector's address and port, the first routing key on <see cref="Socket"/>.</summary>
    public StampPeer Peer { get; }

    /// <summary>This session's slot among the sessions to <see cref="Peer"/> on <see cref="Socket"/>, the second routing key (sent in the high bits of the sequence).</summary>
    public int Slot => _slot;

    /// <summary>The IPv6 scope of <see cref="Peer"/> (0 for IPv4), for the destination sockaddr.</summary>
    public uint ScopeId => _scopeId;

    public ValueTask<bool> SendAsync(uint sequence, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        return ValueTask.FromResult(Volatile.Read(ref _disposed) == 0 && SendNow(sequence));
    }

    /// <summary>
    /// Queues the probe on the shared socket; it leaves with the others of the monitor's iteration
    /// in one sendmmsg at <see cref="StampProbeSessionFactory.FlushSends"/>, stamped (T1 and the
    /// send record) just before it. Counted and logged like <see cref="SendAsync"/> at the flush.
    /// </summary>
    public void QueueSend(uint sequence)
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            Socket.QueueSend(this, sequence);
        }
    }

    /// <summary>Sends probe <paramref name="sequence"/> alone with sendto, stamped just before; false when the kernel refused it (counted and logged) or the socket is closed.</summary>
    internal bool SendNow(uint sequence)
    {
        var time = Socket.TimeProvider;
        Span<byte> packet = stackalloc byte[StampSenderPacket.Size];
        var now = NtpTimestamp.FromDateTimeOffset(time.GetUtcNow());
        new StampSenderPacket(StampSlotTable.ToWire(Slot, sequence), now, ErrorEstimate.Unsynchronized).TryWrite(packet, out _);

        // Recorded before the send so that a reply cannot overtake its record.
        Record(sequence, Socket.Ticks(time.GetTimestamp()));
        try
        {
            Socket.SendTo(packet, Peer, _scopeId);
            Completed(sequence, SocketError.Success);
            return true;
        }
        catch (SocketException ex)
        {
            Completed(sequence, ex.SocketErrorCode);
            return false;
        }
        catch (ObjectDisposedException)
        {
            // The factory was disposed under us.
            return false;
        }
    }

    /// <summary>
    /// The outcome of probe <paramref name="sequence"/>'s send (alone or in a batch): counted; a
    /// refused one logged at Debug, the first of a run at Warning, the recovery at Information.
    /// </summary>
    internal void Completed(uint sequence, SocketError error)
    {
        if (error == SocketError.Success)
        {
            Socket.Metrics.Sent(Protocol);
            if (_sendFailing)
            {
                _sendFailing = false;
                Log.SessionSendRecovered(Socket.Logger, _pathId, _targetIndex, _remote);
            }

            return;
        }

        Socket.Metrics.SendFailed(Protocol);
        Log.SessionSendFailed(Socket.Logger, _pathId, _targetIndex, _remote, sequence, error);
        if (!_sendFailing)
        {
            _sendFailing = true;
            Log.SessionSendFailing(Socket.Logger, _pathId, _targetIndex, _remote, error);
        }
    }

    /// <summary>Stops the routing to this session; closes the shared socket if this was its last session.</summary>
    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref _disposed, 1) == 0 ? Socket.Owner.ReleaseAsync(this) : ValueTask.CompletedTask;

    /// <summary>
    /// Handles one reply from this session's reflector naming its slot, <paramref name="length"/>
    /// octets on the wire (on the socket's receive loop). <paramref name="receivedAt"/> is monotonic.
    /// </summary>
    internal void OnReply(in StampReflectorPacket reply, int length, long receivedAt)
    {
        if (!reply.ErrorEstimate.IsValid)
        {
            Drop(length, "zero_multiplier");
            return;
        }

        if (!TryMatch(reply.SenderSequence, out var sequence, out var sentTicks))
        {
            Drop(length, "unmatched");
            return;
        }

        // 32-bit difference: exact across the wrap of the 32-bit tick counter (±214 s). Never
        // negative: a kernel receive timestamp mapped onto the monotonic clock may land a few
        // microseconds before a send stamped just before sendto.
        var rtt = TimeSpan.FromTicks(Math.Max(0, (int)(Socket.Ticks(receivedAt) - sentTicks)));
        if (reply.TryGetHoldTime(out var hold) && hold >= TimeSpan.Zero && hold < rtt)
        {
            rtt -= hold;
        }

        Socket.Metrics.Reply(Protocol);

        // A reply being routed while DisposeAsync runs is counted but no longer delivered.
        if (Volatile.Read(ref _disposed) == 0)
        {
            _onReply(new ProbeReply(sequence, rtt));
        }
    }

    private void Drop(int length, string reason)
    {
        Socket.Metrics.Dropped(Protocol, reason);
        Log.SessionDropped(Socket.Logger, _pathId, _targetIndex, _remote, length, reason);
    }

    // The ring is written by the sender and read by the receive loop without a lock. A ring slot
    // is one 64-bit word — the monitor's full 32-bit sequence in the high half, the send time in
    // the low half (100 ns ticks of the monotonic clock, mod 2^32, i.e. 429 s, far past any probe
    // timeout) — written and read atomically, so a reader never sees one probe's sequence with
    // another's time. Only the low 20 bits of the sequence travel (the high 12 name the session's
    // slot), so a reply matches the record whose low 20 bits equal its echoed ones, and the full
    // sequence comes from the record. The index, sequence mod 32, is the same for the full and the
    // 20-bit sequence (32 divides 2^20), so the wrap of the 20 bits needs no care; a reply would
    // have to come back 2^20 probes late to alias a recorded one. 0 means empty: a record that
    // would be 0 (sequence 0 sent at tick 0 mod 2^32) is stored as tick 1, 100 ns off.
    internal void Record(uint sequence, uint sentTicks)
    {
        var value = ((ulong)sequence << 32) | sentTicks;
        Volatile.Write(ref _ring[(int)(sequence % RingSize)], value == 0 ? 1 : value);
    }

    private bool TryMatch(uint wireSequence, out uint sequence, out uint sentTicks)
    {
        var value = Volatile.Read(ref _ring[(int)(wireSequence % RingSize)]);
        sequence = (uint)(value >> 32);
        sentTicks = (uint)value;
        return value != 0 && ((sequence ^ wireSequence) & StampSlotTable.SequenceMask) == 0;
    }

    [InlineArray(RingSize)]
    private struct Ring
    {
        private ulong _slot;
    }
}
