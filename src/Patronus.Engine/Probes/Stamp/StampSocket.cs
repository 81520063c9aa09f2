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
/// address and port (<see cref="StampPeer"/>, read from the native sockaddr) to the one session
/// probing that peer from this socket, which matches it against its send ring. Two sessions to one
/// peer never share a socket (the factory puts the second on another socket of the link's pool), so
/// routing is exact. Datagrams longer than <see cref="MaxDatagram"/> ("too_long") or from a source
/// no session here probes ("wrong_source") are dropped, counted and logged at Debug.
/// </summary>
/// <remarks>
/// Why shared: a socket per session cost ~9 KB of managed memory per path (the socket's async
/// machinery, a 2 KB buffer, a receive loop, a 4 KB ring) — 902 KB per 100 paths in the probe
/// benchmark (docs/performance.md). An unconnected socket does not receive ICMP errors (Linux
/// reports them only to connected sockets unless IP_RECVERR is set), so one unreachable peer
/// cannot disturb the others' receives; an unroutable peer still fails its own sendto.
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

    // Written under the factory's lock, read by the receive loop without one (ConcurrentDictionary
    // reads take no lock). Not a copy-on-write snapshot like IcmpSocket's table: one link carries
    // thousands of sessions, and copying the table per session added is quadratic at start-up.
    // One lock stripe, as the factory serializes the writers anyway.
    private readonly ConcurrentDictionary<StampPeer, StampProbeSession> _sessions = new(concurrencyLevel: 1, capacity: 1);
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

    /// <summary>Whether a session on this socket already probes <paramref name="peer"/>.</summary>
    public bool Has(StampPeer peer) => _sessions.ContainsKey(peer);

    /// <summary>Routes <paramref name="session"/>'s peer to it. Under the factory's lock; the peer must not be here yet.</summary>
    public void Add(StampProbeSession session)
    {
        if (!_sessions.TryAdd(session.Peer, session))
        {
            throw new InvalidOperationException($"a session to {session.Peer} is already on this socket");
        }

        Volatile.Write(ref _sessionCount, _sessionCount + 1);
    }

    /// <summary>Stops routing to <paramref name="session"/>. Under the factory's lock.</summary>
    public void Remove(StampProbeSession session)
    {
        if (_sessions.TryRemove(KeyValuePair.Create(session.Peer, session)))
        {
            Volatile.Write(ref _sessionCount, _sessionCount - 1);
        }
    }

    /// <summary>
    /// Routes one received datagram (internal for tests): to the session probing
    /// <paramref name="from"/>, or dropped. <paramref name="receivedAt"/> is monotonic.
    /// </summary>
    internal void Dispatch(ReadOnlySpan<byte> datagram, SocketAddress from, long receivedAt)
    {
        if (datagram.Length > MaxDatagram)
        {
            Drop(datagram.Length, from, "too_long");
            return;
        }

        if (!StampPeer.TryRead(from.Buffer.Span[..from.Size], Binding.Family, out var peer) || !_sessions.TryGetValue(peer, out var session))
        {
            // No session for this source: a stray or spoofed datagram, or a late reply to a closed session.
            Drop(datagram.Length, from, "wrong_source");
            return;
        }

        session.OnDatagram(datagram, receivedAt);
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
