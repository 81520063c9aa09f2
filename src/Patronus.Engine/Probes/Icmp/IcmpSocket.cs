using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Patronus.Engine.Probes.Icmp;

/// <summary>
/// One raw ICMP socket shared by every session with the same <see cref="IcmpSocketBinding"/>,
/// and its receive loop. The kernel hands each raw ICMP socket a copy of every ICMP packet for
/// the namespace (filtered by bound address and device), so one socket per session would
/// multiply that work by the number of sessions; here each copy is parsed once and routed by
/// echo identifier to its session through an immutable snapshot of the session table
/// (copy-on-write under the factory's lock, read with <see cref="Volatile"/> on the hot path).
/// A kernel type filter (ICMP_FILTER / ICMP6_FILTER) keeps everything but echo replies out of
/// user space in the first place.
/// </summary>
internal sealed class IcmpSocket : IAsyncDisposable
{
    private const string Protocol = IcmpProbeSessionFactory.MetricProtocol;

    // The largest IP datagram without jumbograms: a reply bigger than the buffer would be
    // truncated, so the buffer takes any. One per socket, rented once.
    private const int ReceiveBufferSize = 65_535;

    // Pause between receive failures after the first in a row, so a persistent socket error
    // (e.g. the bound device vanished) cannot spin a core. 100 ms is far below probe intervals.
    private static readonly TimeSpan s_errorBackoff = TimeSpan.FromMilliseconds(100);

    // Linux socket option numbers (asm-generic/socket.h, linux/in.h, linux/icmp.h, linux/icmpv6.h).
    private const int SolSocket = 1;
    private const int SoBindToDevice = 25;
    private const int SolRaw = 255;
    private const int IcmpFilter = 1;
    private const int SolIcmpV6 = 58;
    private const int Icmp6Filter = 1;

    // IFNAMSIZ is 16 including the terminating NUL.
    private const int MaxInterfaceNameLength = 15;

    private readonly Socket _socket;
    private readonly TimeProvider _timeProvider;
    private readonly ProbeMetrics _metrics;
    private readonly ILogger _logger;
    private Dictionary<ushort, IcmpProbeSession> _sessions = [];
    private Task _receiveLoop = Task.CompletedTask;
    private int _stopped;

    private IcmpSocket(Socket socket, IcmpSocketBinding binding, TimeProvider timeProvider, ProbeMetrics metrics, ILogger logger)
    {
        _socket = socket;
        Binding = binding;
        _timeProvider = timeProvider;
        _metrics = metrics;
        _logger = logger;
    }

    public IcmpSocketBinding Binding { get; }

    public Socket Socket => _socket;

    /// <summary>Sessions routed by this socket; changed only under the factory's lock.</summary>
    public int SessionCount => Volatile.Read(ref _sessions).Count;

    /// <summary>Opens and binds the raw socket; the failure message names the cause (permission, address, interface).</summary>
    public static bool TryOpen(IcmpSocketBinding binding, TimeProvider timeProvider, ProbeMetrics metrics, ILogger logger, [NotNullWhen(true)] out IcmpSocket? socket, out string? failure)
    {
        socket = null;
        if (!TryCreateRawSocket(binding.Family, out var raw, out failure))
        {
            return false;
        }

        try
        {
            if (binding.Interface is { } name)
            {
                Span<byte> ifName = stackalloc byte[MaxInterfaceNameLength + 1];
                ifName.Clear();
                if (name.Length is 0 or > MaxInterfaceNameLength || !Ascii.IsValid(name) || name.Contains('\0', StringComparison.Ordinal))
                {
                    failure = $"interface name '{name}' is not a valid Linux interface name (1-{MaxInterfaceNameLength} ASCII characters)";
                    raw.Dispose();
                    return false;
                }

                Encoding.ASCII.GetBytes(name, ifName);
                try
                {
                    raw.SetRawSocketOption(SolSocket, SoBindToDevice, ifName[..(name.Length + 1)]);
                }
                catch (SocketException ex)
                {
                    failure = $"interface {name} cannot be bound (SO_BINDTODEVICE: {ex.Message})";
                    raw.Dispose();
                    return false;
                }
            }

            // Bound even without a source address: .NET refuses ReceiveFrom on an unbound socket.
            var local = binding.Source ?? (binding.Family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any);
            try
            {
                raw.Bind(new IPEndPoint(local, 0));
            }
            catch (SocketException ex)
            {
                failure = $"source address {local} is not usable on this host (bind: {ex.Message})";
                raw.Dispose();
                return false;
            }

            SetReplyFilter(raw, binding, logger);
        }
        catch
        {
            raw.Dispose();
            throw;
        }

        socket = new IcmpSocket(raw, binding, timeProvider, metrics, logger);
        return true;
    }

    /// <summary>Creates a raw ICMP (IPv4) or ICMPv6 socket; false with "need root or CAP_NET_RAW" when the kernel refuses for lack of privilege.</summary>
    internal static bool TryCreateRawSocket(AddressFamily family, [NotNullWhen(true)] out Socket? socket, out string? failure)
    {
        try
        {
            socket = new Socket(family, SocketType.Raw, family == AddressFamily.InterNetworkV6 ? ProtocolType.IcmpV6 : ProtocolType.Icmp);
            failure = null;
            return true;
        }
        catch (SocketException ex)
        {
            socket = null;
            failure = ex.SocketErrorCode == SocketError.AccessDenied
                ? $"ICMP probes need root or CAP_NET_RAW (raw socket: {ex.Message})"
                : $"ICMP probes cannot open a raw socket ({ex.Message})";
            return false;
        }
    }

    /// <summary>Starts the receive loop (on the thread pool, so the caller's lock is not held while it runs).</summary>
    public void Start() => _receiveLoop = Task.Run(ReceiveLoopAsync);

    public void Add(IcmpProbeSession session) =>
        Volatile.Write(ref _sessions, new Dictionary<ushort, IcmpProbeSession>(_sessions) { [session.Identifier] = session });

    public void Remove(ushort identifier)
    {
        var next = new Dictionary<ushort, IcmpProbeSession>(_sessions);
        next.Remove(identifier);
        Volatile.Write(ref _sessions, next);
    }

    /// <summary>
    /// Classifies a received datagram (a whole IPv4 packet for IPv4, an ICMPv6 message for IPv6,
    /// as Linux raw sockets deliver them). True for a well-formed Patronus echo reply; otherwise
    /// false with the metric's drop reason. Pure, and never throws on any input.
    /// </summary>
    internal static bool TryParseReply(ReadOnlySpan<byte> datagram, AddressFamily family, out IcmpEchoPacket packet, out string dropReason)
    {
        var v6 = family == AddressFamily.InterNetworkV6;
        var icmp = datagram;
        packet = default;
        if (!v6 && !IcmpEchoPacket.TryGetIcmpFromIPv4(datagram, out icmp))
        {
            dropReason = "bad_ip_header";
            return false;
        }

        if (!IcmpEchoPacket.TryRead(icmp, out packet))
        {
            dropReason = "too_short";
            return false;
        }

        if (packet.Type != (v6 ? IcmpEchoPacket.EchoReplyV6 : IcmpEchoPacket.EchoReplyV4) || packet.Code != 0)
        {
            dropReason = "not_echo_reply";
            return false;
        }

        // The kernel verifies ICMPv6 checksums before raw delivery (it needs the pseudo-header);
        // ICMPv4 reaches raw sockets before icmp_rcv checks it, so it is checked here.
        if (!v6 && !IcmpEchoPacket.IsIcmpV4ChecksumValid(icmp))
        {
            dropReason = "bad_checksum";
            return false;
        }

        // Another pinger on the host (ping, another tool) with the same identifier.
        if (packet.Magic != IcmpEchoPacket.PatronusMagic)
        {
            dropReason = "bad_magic";
            return false;
        }

        if (packet.Sequence != (ushort)packet.FullSequence)
        {
            dropReason = "bad_sequence";
            return false;
        }

        dropReason = "";
        return true;
    }

    /// <summary>Closes the socket, which ends the receive loop (the pending receive is aborted).</summary>
    public void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            _socket.Dispose();
            Log.SocketClosed(_logger, Binding);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Stop();
        await _receiveLoop.ConfigureAwait(false);
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize);
        var from = new SocketAddress(Binding.Family);
        var failuresInARow = 0;
        try
        {
            // Closing the socket is this loop's cancellation: it aborts the pending receive.
            while (Volatile.Read(ref _stopped) == 0)
            {
                try
                {
                    if (failuresInARow > 1)
                    {
                        await Task.Delay(s_errorBackoff, _timeProvider).ConfigureAwait(false);
                    }

                    var received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, from, CancellationToken.None).ConfigureAwait(false);
                    var receivedAt = _timeProvider.GetTimestamp();
                    failuresInARow = 0;
                    Dispatch(buffer.AsSpan(0, received), SourceAddressBytes(from, Binding.Family), receivedAt);
                }
                catch (Exception) when (Volatile.Read(ref _stopped) != 0)
                {
                    break;
                }
                catch (SocketException ex)
                {
                    failuresInARow++;
                    Log.ReceiveFailed(_logger, Binding, ex);
                }
#pragma warning disable CA1031 // The loop must survive anything one datagram or one reply callback does.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    // A bug in a callback, not a socket fault: no backoff.
                    Log.ReceiveFailed(_logger, Binding, ex);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Dispatch(ReadOnlySpan<byte> datagram, ReadOnlySpan<byte> source, long receivedAt)
    {
        if (TryParseReply(datagram, Binding.Family, out var packet, out var reason))
        {
            var sessions = Volatile.Read(ref _sessions);
            if (!sessions.TryGetValue(packet.Identifier, out var session))
            {
                reason = "unmatched";
            }
            else if (!session.IsFrom(source))
            {
                // Same identifier, another host: a reply to a different pinger, or spoofed.
                reason = "wrong_source";
            }
            else if (!session.TryComplete(packet.FullSequence, receivedAt))
            {
                reason = "unmatched";
            }
            else
            {
                return;
            }
        }

        _metrics.Dropped(Protocol, reason);
        Log.Dropped(_logger, Binding, reason);
    }

    // The address inside a sockaddr_in (bytes 4..8) or sockaddr_in6 (bytes 8..24); empty if short.
    private static ReadOnlySpan<byte> SourceAddressBytes(SocketAddress address, AddressFamily family)
    {
        var (offset, length) = family == AddressFamily.InterNetworkV6 ? (8, 16) : (4, 4);
        var bytes = address.Buffer.Span;
        return address.Size >= offset + length && bytes.Length >= offset + length ? bytes.Slice(offset, length) : default;
    }

    // Lets only echo replies through to user space. Linux semantics: a set bit blocks that type.
    // IPv4 ICMP_FILTER is one 32-bit mask over types 0-31; ICMP6_FILTER is 256 bits (8 words).
    private static void SetReplyFilter(Socket socket, IcmpSocketBinding binding, ILogger logger)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            if (binding.Family == AddressFamily.InterNetworkV6)
            {
                Span<byte> filter = stackalloc byte[32];
                filter.Fill(0xFF);
                var word = IcmpEchoPacket.EchoReplyV6 >> 5;
                WriteNativeUInt32(filter[(word * 4)..], ~(1u << (IcmpEchoPacket.EchoReplyV6 & 31)));
                socket.SetRawSocketOption(SolIcmpV6, Icmp6Filter, filter);
            }
            else
            {
                Span<byte> filter = stackalloc byte[4];
                WriteNativeUInt32(filter, ~(1u << IcmpEchoPacket.EchoReplyV4));
                socket.SetRawSocketOption(SolRaw, IcmpFilter, filter);
            }
        }
        catch (SocketException ex)
        {
            // Not fatal: the receive loop classifies and drops what the filter would have.
            Log.FilterNotSet(logger, binding, ex.SocketErrorCode);
        }
    }

    private static void WriteNativeUInt32(Span<byte> destination, uint value)
    {
        if (BitConverter.IsLittleEndian)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(destination, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, value);
        }
    }
}
