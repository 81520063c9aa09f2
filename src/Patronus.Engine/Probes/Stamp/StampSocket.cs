using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Patronus.Engine.Net;

namespace Patronus.Engine.Probes.Stamp;

/// <summary>
/// One unconnected UDP socket shared by STAMP sessions of one link (a <see cref="LocalBinding"/>)
/// and its receive loop (<see cref="DatagramReceiver"/>), pooled by <see cref="StampProbeSessionFactory"/>. Sessions send with sendto; the loop routes each reply by its source
/// address and port (<see cref="StampPeer"/>, read from the native sockaddr) and, among the
/// sessions probing that peer from this socket, by the slot in the high bits of the echoed
/// Session-Sender Sequence Number (<see cref="StampSlotTable"/>); the session matches the low bits
/// against its send ring. Sessions to one reflector therefore share a socket, up to
/// <see cref="StampSlotTable.Capacity"/> of them. Datagrams longer than <see cref="MaxDatagram"/>
/// ("too_long"), from a source no session here probes ("wrong_source"), shorter than a reply
/// ("too_short") or naming a slot no session of that source holds ("wrong_slot") are dropped,
/// counted and logged at Debug.
/// </summary>
/// <remarks>
/// Why shared: a socket per session cost ~9 KB of managed memory per path (the socket's async
/// machinery, a 2 KB buffer, a receive loop, a 4 KB ring) — 902 KB per 100 paths in the probe
/// benchmark (docs/performance.md). Why slots: routing by source alone needed a socket per session
/// to the same reflector, 353 KB per 100 paths when every path of a link probes one reflector. An
/// unconnected socket does not receive ICMP errors (Linux reports them only to connected sockets
/// unless IP_RECVERR is set), so one unreachable peer cannot disturb the others' receives; an
/// unroutable peer still fails its own sendto. A stateful reflector (RFC 8762 §4) sees the
/// sessions sharing a socket as one session with interleaved sequence ranges; only its own
/// Sequence Number, which the sender does not use, is affected.
/// </remarks>
internal sealed class StampSocket : SharedProbeSocket, IDatagramHandler
{
    /// <summary>
    /// Largest reply accepted: an unauthenticated STAMP reply is 44 octets (RFC 8762 §4.3.1), a
    /// reflector answering our 44-octet probes with symmetric size sends 44; 20 octets of slack
    /// for one that pads.
    /// </summary>
    internal const int MaxDatagram = 64;

    // Destination sockaddrs for sendto, one per thread and family: sends are synchronous, so a
    // scratch filled just before the call lets sessions hold no SocketAddress of their own.
    [ThreadStatic]
    private static SocketAddress? t_destination4;
    [ThreadStatic]
    private static SocketAddress? t_destination6;

    /// <summary>
    /// Probes queued on the socket that leave together in one sendmmsg
    /// (<see cref="FlushSends"/>); a full batch is flushed before the next probe is queued. 64:
    /// at 10,000 probes/s one monitor iteration (~1 ms) sends 10–30 on a link, so a batch rarely
    /// fills; the cap bounds how late the last probe of a batch leaves after the T1 the whole
    /// batch is stamped with (docs/health.md, "Batched sends").
    /// </summary>
    internal const int SendBatchCapacity = 64;

    private readonly double _ticksPerTimestamp;

    // The send batch: datagrams and destinations in the UdpSendBatch, and per datagram the session
    // and the monitor's sequence, to record the send and count its outcome at the flush. Null
    // where sendmmsg cannot be called (or the C library lacks it): each probe then goes alone.
    // Queue and flush run on the monitor's loop; the lock only guards against another caller.
    private readonly Lock _sendLock = new();
    private readonly StampProbeSession?[] _queuedSessions;
    private readonly uint[] _queuedSequences;
    private readonly SocketAddress _queuedName;
    private UdpSendBatch? _sendBatch;
    private bool _queuedAtOwner;

    // Per peer, its only session on this socket (always slot 0, the common case: one entry per
    // session, as small as routing by source alone was) or, from the second session to it on, a
    // StampSlotTable of its sessions by slot. Written under the pool's lock, read by the receive
    // loop without one (ConcurrentDictionary reads take no lock). Not a copy-on-write snapshot like
    // IcmpSocket's table: one link carries thousands of sessions, and copying the table per session
    // added is quadratic at start-up. One lock stripe, as the pool serializes the writers anyway.
    private readonly ConcurrentDictionary<StampPeer, object> _peers = new(concurrencyLevel: 1, capacity: 1);

    private StampSocket(StampProbeSessionFactory owner, LocalBinding binding, int receiveBufferBytes, TimeProvider timeProvider, ProbeMetrics metrics, ILogger logger)
        : base(binding, timeProvider, metrics, logger)
    {
        Owner = owner;
        _ticksPerTimestamp = (double)TimeSpan.TicksPerSecond / timeProvider.TimestampFrequency;
        ReceiveBufferBytes = receiveBufferBytes;
        _queuedName = new SocketAddress(binding.Family);
        _queuedSessions = new StampProbeSession?[SendBatchCapacity];
        _queuedSequences = new uint[SendBatchCapacity];
        if (UdpSendBatch.IsSupported)
        {
            _sendBatch = new UdpSendBatch(gso: false, SendBatchCapacity, StampSenderPacket.Size);
        }
    }

    /// <summary>Whether queued probes leave in one sendmmsg per flush (false: one sendto each).</summary>
    internal bool BatchesSends => Volatile.Read(ref _sendBatch) is not null;

    /// <summary>Probes queued and not yet flushed.</summary>
    internal int QueuedSends
    {
        get
        {
            lock (_sendLock)
            {
                return _sendBatch?.Count ?? 0;
            }
        }
    }

    /// <summary>The factory whose pool holds the socket; a session's disposal releases it there.</summary>
    public StampProbeSessionFactory Owner { get; }

    /// <summary>The kernel receive buffer obtained (as getsockopt reports it: on Linux twice the usable size).</summary>
    public int ReceiveBufferBytes { get; }

    /// <summary>
    /// Opens the socket, bound to the link's interface and source (port chosen by the kernel), and
    /// starts its receive loop; null with a failure message that names the cause.
    /// </summary>
    public static StampSocket? TryOpen(StampProbeSessionFactory owner, LocalBinding binding, TimeProvider timeProvider, ProbeMetrics metrics, ILogger logger, out string? failure) =>
        TryStart(new Socket(binding.Family, SocketType.Dgram, ProtocolType.Udp), binding, MaxDatagram, timeProvider, bound =>
        {
            // Every reply of the link queues here: sized like the reflector's for bursts.
            var receiveBuffer = UdpReceiveBuffer.Request(bound, UdpReceiveBuffer.Requested, out _);
            return new StampSocket(owner, binding, receiveBuffer, timeProvider, metrics, logger);
        }, out failure, batchReceive: true);

    /// <summary>
    /// A monotonic timestamp of <see cref="TimeProvider"/> in 100 ns ticks, mod 2^32 (wraps every
    /// 429 s): what a send ring slot holds. Through a double: exact to well under a tick for
    /// decades of uptime.
    /// </summary>
    public uint Ticks(long timestamp) => (uint)(long)(timestamp * _ticksPerTimestamp);

    /// <summary>Sends <paramref name="datagram"/> to <paramref name="peer"/> (with its IPv6 scope) from this socket; throws what <see cref="Socket.SendTo(ReadOnlySpan{byte}, SocketFlags, SocketAddress)"/> throws.</summary>
    public void SendTo(ReadOnlySpan<byte> datagram, StampPeer peer, uint scopeId)
    {
        var destination = Binding.Family == AddressFamily.InterNetworkV6
            ? t_destination6 ??= new SocketAddress(AddressFamily.InterNetworkV6)
            : t_destination4 ??= new SocketAddress(AddressFamily.InterNetwork);
        peer.Write(destination.Buffer.Span, Binding.Family, scopeId);
        Metrics.SendCalls(StampProbeSessionFactory.MetricProtocol, 1);
        Socket.SendTo(datagram, SocketFlags.None, destination);
    }

    /// <summary>
    /// Queues probe <paramref name="sequence"/> of <paramref name="session"/> (one of this
    /// socket's) for the next <see cref="FlushSends"/>: written now except for its Timestamp (T1),
    /// which the flush writes, with the send record, just before the sendmmsg. A full batch is
    /// flushed first. Without sendmmsg the probe is sent now (<see cref="StampProbeSession.SendAsync"/>).
    /// </summary>
    public void QueueSend(StampProbeSession session, uint sequence)
    {
        var register = false;
        lock (_sendLock)
        {
            if (_sendBatch is not { } batch)
            {
                session.SendNow(sequence);
                return;
            }

            if (batch.Count == batch.Capacity)
            {
                FlushLocked();
                if (_sendBatch is null)
                {
                    session.SendNow(sequence);
                    return;
                }
            }

            Span<byte> packet = stackalloc byte[StampSenderPacket.Size];
            new StampSenderPacket(StampSlotTable.ToWire(session.Slot, sequence), default, ErrorEstimate.Unsynchronized).TryWrite(packet, out _);
            session.Peer.Write(_queuedName.Buffer.Span, Binding.Family, session.ScopeId);
            var index = batch.Count;
            batch.TryAdd(Socket, _queuedName.Buffer.Span[.._queuedName.Size], packet);
            _queuedSessions[index] = session;
            _queuedSequences[index] = sequence;
            if (!_queuedAtOwner)
            {
                _queuedAtOwner = register = true;
            }
        }

        // Outside the socket's lock: the factory's flush takes its own lock, then each socket's.
        if (register)
        {
            Owner.SendsQueued(this);
        }
    }

    /// <summary>
    /// Sends every queued probe in one sendmmsg (more only past a partial send or a refused
    /// datagram, which is skipped) and hands each session the outcome of its probe: counted, and
    /// a refused one logged as <see cref="StampProbeSession.SendAsync"/> would. Returns how many
    /// the kernel took. Once the socket is closed the queue is dropped (its sessions are gone).
    /// </summary>
    public int FlushSends()
    {
        lock (_sendLock)
        {
            // The factory took this socket off its list: the next probe queued puts it back.
            _queuedAtOwner = false;
            return FlushLocked();
        }
    }

    private int FlushLocked()
    {
        if (_sendBatch is not { } batch || batch.Count == 0)
        {
            return 0;
        }

        // T1 once for the batch, just before the system call: the kernel takes the datagrams in
        // order, so the i-th leaves up to i datagrams' worth of sendmmsg after its T1 (a few µs
        // each here; docs/health.md, "Batched sends"). Recorded before the send so that a reply
        // cannot overtake its record.
        var count = batch.Count;
        var t1 = NtpTimestamp.FromDateTimeOffset(TimeProvider.GetUtcNow());
        var sentTicks = Ticks(TimeProvider.GetTimestamp());
        for (var i = 0; i < count; i++)
        {
            StampSenderPacket.WriteTimestamp(batch.Datagram(i), t1);
            _queuedSessions[i]!.Record(_queuedSequences[i], sentTicks);
        }

        try
        {
            batch.Flush(out _);
        }
        catch (ObjectDisposedException)
        {
            // Closed under us (its last session left, or the factory was disposed).
            Array.Clear(_queuedSessions, 0, count);
            return 0;
        }
        catch (EntryPointNotFoundException)
        {
            // A C library without sendmmsg: from now on each probe goes alone, these too.
            _sendBatch = null;
            var sentAlone = 0;
            for (var i = 0; i < count; i++)
            {
                sentAlone += _queuedSessions[i]!.SendNow(_queuedSequences[i]) ? 1 : 0;
            }

            Array.Clear(_queuedSessions, 0, count);
            return sentAlone;
        }

        Metrics.SendCalls(StampProbeSessionFactory.MetricProtocol, batch.Calls);
        var sent = 0;
        for (var i = 0; i < count; i++)
        {
            var errno = batch.Error(i);
            if (errno == 0)
            {
                sent++;
            }

            _queuedSessions[i]!.Completed(_queuedSequences[i], errno == 0 ? SocketError.Success : UdpSendBatch.ToSocketError(errno));
            _queuedSessions[i] = null;
        }

        return sent;
    }

    /// <summary>
    /// The slot a new session to <paramref name="peer"/> would take on this socket (the lowest
    /// free); false when all <see cref="StampSlotTable.Capacity"/> are taken. Under the factory's
    /// lock; <see cref="Add"/> takes it.
    /// </summary>
    public bool TryFindSlot(StampPeer peer, out int slot)
    {
        switch (_peers.GetValueOrDefault(peer))
        {
            case StampSlotTable table:
                return table.TryFindFree(out slot);
            case StampProbeSession only:
                slot = only.Slot == 0 ? 1 : 0;
                return true;
            default:
                slot = 0;
                return true;
        }
    }

    /// <summary>Routes <paramref name="session"/>'s peer and slot to it. Under the pool's lock; the slot must be free (<see cref="TryFindSlot"/>).</summary>
    public void Add(StampProbeSession session)
    {
        switch (_peers.GetValueOrDefault(session.Peer))
        {
            case StampSlotTable table:
                table.Add(session);
                break;
            case StampProbeSession only:
                // The second session to this peer: from now on the peer's sessions are told apart by slot.
                var created = new StampSlotTable(only);
                created.Add(session);
                _peers[session.Peer] = created;
                break;
            default:
                if (session.Slot != 0)
                {
                    throw new InvalidOperationException($"the first session to {session.Peer} on this socket takes slot 0, not {session.Slot}");
                }

                _peers[session.Peer] = session;
                break;
        }
    }

    /// <summary>Stops routing to <paramref name="session"/> and frees its slot. Under the pool's lock.</summary>
    public void Remove(StampProbeSession session)
    {
        switch (_peers.GetValueOrDefault(session.Peer))
        {
            case StampSlotTable table when table.Remove(session):
                if (table.Count == 0)
                {
                    _peers.TryRemove(session.Peer, out _);
                }

                break;
            case StampProbeSession only when ReferenceEquals(only, session):
                _peers.TryRemove(session.Peer, out _);
                break;
        }
    }

    /// <summary>
    /// Routes one received datagram (internal for tests): to the session probing
    /// <paramref name="from"/> with the slot the reply's Session-Sender Sequence Number names, or
    /// dropped. <paramref name="receivedAt"/> is monotonic.
    /// </summary>
    internal void Dispatch(ReadOnlySpan<byte> datagram, ReadOnlySpan<byte> from, long receivedAt)
    {
        if (datagram.Length > MaxDatagram)
        {
            Drop(datagram.Length, from, "too_long");
            return;
        }

        if (!StampPeer.TryRead(from, Binding.Family, out var peer) || !_peers.TryGetValue(peer, out var entry))
        {
            // No session for this source: a stray or spoofed datagram, or a late reply to a closed session.
            Drop(datagram.Length, from, "wrong_source");
            return;
        }

        if (!StampReflectorPacket.TryRead(datagram, out var reply))
        {
            Drop(datagram.Length, from, "too_short");
            return;
        }

        var slot = StampSlotTable.SlotOf(reply.SenderSequence);
        var session = entry switch
        {
            StampSlotTable table => table[slot],
            StampProbeSession only when only.Slot == slot => only,
            _ => null,
        };

        if (session is null)
        {
            // A late reply to a closed session of this peer, or a reflector that does not echo the
            // sender's sequence as RFC 8762 §4.3.1 requires.
            Drop(datagram.Length, from, "wrong_slot");
            return;
        }

        session.OnReply(reply, datagram.Length, receivedAt);
    }

    void IDatagramHandler.OnDatagram(ref ReceivedDatagram datagram)
    {
        if (datagram.Truncated)
        {
            Drop(datagram.Payload.Length, datagram.Source, "too_long");
            return;
        }

        Dispatch(datagram.Payload, datagram.Source, datagram.ReceivedAt);
    }

    // E.g. ECONNREFUSED should IP_RECVERR ever be set, or the bound device going away.
    void IDatagramHandler.OnReceiveError(SocketException exception) => Log.SocketReceiveError(Logger, Binding, exception.SocketErrorCode);

    // A bug in a reply callback, not a socket fault.
    void IDatagramHandler.OnLoopError(Exception exception) => Log.SocketLoopError(Logger, Binding, exception);

    protected override void LogClosed() => Log.SocketClosed(Logger, Binding);

    private void Drop(int length, ReadOnlySpan<byte> from, string reason)
    {
        Metrics.Dropped(StampProbeSessionFactory.MetricProtocol, reason);
        if (Logger.IsEnabled(LogLevel.Debug))
        {
            var source = NativeSocketAddress.Describe(from, Binding.Family);
            Log.SocketDropped(Logger, Binding, length, source, reason);
        }
    }
}
