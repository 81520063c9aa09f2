using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Patronus.Engine.Net;

namespace Patronus.Engine.Probes.Stamp;

/// <summary>
/// One unconnected UDP socket shared by STAMP sessions of one link (<see cref="StampSocketBinding"/>)
/// and its one receive loop. Sessions send with sendto; the loop routes each reply by its source
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
internal sealed class StampSocket : IAsyncDisposable
{
    /// <summary>
    /// Largest reply accepted: an unauthenticated STAMP reply is 44 octets (RFC 8762 §4.3.1), a
    /// reflector answering our 44-octet probes with symmetric size sends 44; 20 octets of slack
    /// for one that pads.
    /// </summary>
    internal const int MaxDatagram = 64;

    // One octet more than accepted: .NET on Linux reports a datagram longer than the buffer as
    // the buffer's length without an error (MSG_TRUNC is not surfaced), so a full buffer means
    // an oversized datagram.
    private const int ReceiveBufferSize = MaxDatagram + 1;

    // Pause between receive failures after the first in a row, so a persistent socket error
    // (e.g. the bound device vanished) cannot spin a core. 100 ms is far below probe intervals.
    private static readonly TimeSpan s_errorBackoff = TimeSpan.FromMilliseconds(100);

    // Destination sockaddrs for sendto, one per thread and family: sends are synchronous, so a
    // scratch filled just before the call lets sessions hold no SocketAddress of their own.
    [ThreadStatic]
    private static SocketAddress? t_destination4;
    [ThreadStatic]
    private static SocketAddress? t_destination6;

    private readonly Socket _socket;
    private readonly double _ticksPerTimestamp;

    // Per peer, its only session on this socket (always slot 0, the common case: one entry per
    // session, as small as routing by source alone was) or, from the second session to it on, a
    // StampSlotTable of its sessions by slot. Written under the factory's lock, read by the receive
    // loop without one (ConcurrentDictionary reads take no lock). Not a copy-on-write snapshot like
    // IcmpSocket's table: one link carries thousands of sessions, and copying the table per session
    // added is quadratic at start-up. One lock stripe, as the factory serializes the writers anyway.
    private readonly ConcurrentDictionary<StampPeer, object> _peers = new(concurrencyLevel: 1, capacity: 1);
    private int _sessionCount;
    private Task _receiveLoop = Task.CompletedTask;
    private int _stopped;

    private StampSocket(StampProbeSessionFactory owner, Socket socket, StampSocketBinding binding, int receiveBufferBytes, TimeProvider timeProvider, ProbeMetrics metrics, ILogger logger)
    {
        Owner = owner;
        _socket = socket;
        Binding = binding;
        _ticksPerTimestamp = (double)TimeSpan.TicksPerSecond / timeProvider.TimestampFrequency;
        ReceiveBufferBytes = receiveBufferBytes;
        TimeProvider = timeProvider;
        Metrics = metrics;
        Logger = logger;
    }

    // What every session of the socket shares, kept here so that sessions stay small.
    public StampProbeSessionFactory Owner { get; }

    public StampSocketBinding Binding { get; }

    public TimeProvider TimeProvider { get; }

    public ProbeMetrics Metrics { get; }

    public ILogger Logger { get; }

    public Socket Socket => _socket;

    /// <summary>The kernel receive buffer obtained (as getsockopt reports it: on Linux twice the usable size).</summary>
    public int ReceiveBufferBytes { get; }

    /// <summary>Sessions routed by this socket; changed only under the factory's lock.</summary>
    public int SessionCount => Volatile.Read(ref _sessionCount);

    /// <summary>True once <see cref="Stop"/> closed the socket.</summary>
    public bool IsClosed => Volatile.Read(ref _stopped) != 0;

    /// <summary>Opens the socket, bound to the link's interface and source (port chosen by the kernel); the failure message names the cause.</summary>
    public static bool TryOpen(StampProbeSessionFactory owner, StampSocketBinding binding, TimeProvider timeProvider, ProbeMetrics metrics, ILogger logger, [NotNullWhen(true)] out StampSocket? socket, out string? failure)
    {
        socket = null;
        var raw = new Socket(binding.Family, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (binding.Interface is { } name && !SocketBinding.TryBindToDevice(raw, name, out failure))
            {
                raw.Dispose();
                return false;
            }

            // Bound even without a source address: .NET refuses ReceiveFrom on an unbound socket.
            var local = binding.Source ?? (binding.Family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any);
            try
            {
                raw.Bind(new IPEndPoint(local, 0));
            }
            catch (SocketException ex)
            {
                failure = ex.SocketErrorCode == SocketError.AddressNotAvailable
                    ? $"source address {local} is not on this host"
                    : $"cannot bind source address {local}: {ex.Message}";
                raw.Dispose();
                return false;
            }

            // Every reply of the link queues here: sized like the reflector's for bursts.
            var receiveBuffer = UdpReceiveBuffer.Request(raw, UdpReceiveBuffer.Requested, out _);
            socket = new StampSocket(owner, raw, binding, receiveBuffer, timeProvider, metrics, logger);
            failure = null;
            return true;
        }
        catch
        {
            raw.Dispose();
            throw;
        }
    }

    /// <summary>Starts the receive loop (on the thread pool, so the caller's lock is not held while it runs).</summary>
    public void Start() => _receiveLoop = Task.Run(ReceiveLoopAsync);

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
        _socket.SendTo(datagram, SocketFlags.None, destination);
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

    /// <summary>Routes <paramref name="session"/>'s peer and slot to it. Under the factory's lock; the slot must be free (<see cref="TryFindSlot"/>).</summary>
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

        Volatile.Write(ref _sessionCount, _sessionCount + 1);
    }

    /// <summary>Stops routing to <paramref name="session"/> and frees its slot. Under the factory's lock.</summary>
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
            default:
                return;
        }

        Volatile.Write(ref _sessionCount, _sessionCount - 1);
    }

    /// <summary>
    /// Routes one received datagram (internal for tests): to the session probing
    /// <paramref name="from"/> with the slot the reply's Session-Sender Sequence Number names, or
    /// dropped. <paramref name="receivedAt"/> is monotonic.
    /// </summary>
    internal void Dispatch(ReadOnlySpan<byte> datagram, SocketAddress from, long receivedAt)
    {
        if (datagram.Length > MaxDatagram)
        {
            Drop(datagram.Length, from, "too_long");
            return;
        }

        if (!StampPeer.TryRead(from.Buffer.Span[..from.Size], Binding.Family, out var peer) || !_peers.TryGetValue(peer, out var entry))
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

    /// <summary>Closes the socket, which ends the receive loop (the pending receive is aborted).</summary>
    public void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            _socket.Dispose();
            Log.SocketClosed(Logger, Binding);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Stop();
        await _receiveLoop.ConfigureAwait(false);
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = GC.AllocateUninitializedArray<byte>(ReceiveBufferSize, pinned: true);
        var from = new SocketAddress(Binding.Family);
        var failuresInARow = 0;

        // Closing the socket is this loop's cancellation: it aborts the pending receive.
        while (Volatile.Read(ref _stopped) == 0)
        {
            try
            {
                if (failuresInARow > 1)
                {
                    await Task.Delay(s_errorBackoff, TimeProvider).ConfigureAwait(false);
                }

                var length = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, from, CancellationToken.None).ConfigureAwait(false);
                var receivedAt = TimeProvider.GetTimestamp();
                failuresInARow = 0;
                Dispatch(buffer.AsSpan(0, length), from, receivedAt);
            }
            catch (Exception) when (Volatile.Read(ref _stopped) != 0)
            {
                break;
            }
            catch (SocketException ex)
            {
                // E.g. ECONNREFUSED should IP_RECVERR ever be set, or the bound device going away.
                failuresInARow++;
                Log.SocketReceiveError(Logger, Binding, ex.SocketErrorCode);
            }
#pragma warning disable CA1031 // the loop must outlive any one datagram, including a throwing reply callback
            catch (Exception ex)
#pragma warning restore CA1031
            {
                // A bug in a callback, not a socket fault: no backoff.
                Log.SocketLoopError(Logger, Binding, ex);
            }
        }
    }

    private void Drop(int length, SocketAddress from, string reason)
    {
        Metrics.Dropped(StampProbeSessionFactory.MetricProtocol, reason);
        if (Logger.IsEnabled(LogLevel.Debug))
        {
            var source = Describe(from);
            Log.SocketDropped(Logger, Binding, length, source, reason);
        }
    }

    // Only called when Debug logging is on: allocates.
    private string Describe(SocketAddress from)
    {
        try
        {
            var any = new IPEndPoint(Binding.Family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
            return any.Create(from).ToString() ?? "?";
        }
#pragma warning disable CA1031 // a log detail must not kill the loop
        catch (Exception)
#pragma warning restore CA1031
        {
            return "?";
        }
    }
}
