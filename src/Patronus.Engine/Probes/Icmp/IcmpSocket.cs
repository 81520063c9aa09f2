using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Patronus.Engine.Net;

namespace Patronus.Engine.Probes.Icmp;

/// <summary>
/// One raw ICMP socket shared by every session with the same <see cref="LocalBinding"/> and its
/// receive loop (<see cref="DatagramReceiver"/>), pooled by <see cref="IcmpProbeSessionFactory"/>.
/// The kernel hands each raw ICMP socket a copy of every ICMP packet for the namespace (filtered
/// by bound address and device), so one socket per session would multiply that work by the
/// number of sessions; here each copy is parsed once and routed by echo identifier to its session
/// through an immutable snapshot of the session table (copy-on-write under the pool's lock, read
/// with <see cref="Volatile"/> on the hot path).
/// A kernel type filter (ICMP_FILTER / ICMP6_FILTER) keeps everything but echo replies out of
/// user space in the first place.
/// </summary>
internal sealed class IcmpSocket : SharedProbeSocket, IDatagramHandler
{
    private const string Protocol = IcmpProbeSessionFactory.MetricProtocol;

    // A Patronus echo reply is 16 octets of ICMP behind at most 60 of IPv4 header. Anything
    // longer is another pinger's (every raw ICMP socket on the host sees every echo reply) and is
    // dropped as too_long without being read whole. One buffer per socket, and there is a socket
    // per link: 64 KB each (the largest IP datagram) was 64 MB of heap at 1,000 links.
    internal const int MaxDatagram = 512;

    // Linux socket option numbers (linux/in.h, linux/icmp.h, linux/icmpv6.h).
    private const int SolRaw = 255;
    private const int IcmpFilter = 1;
    private const int SolIcmpV6 = 58;
    private const int Icmp6Filter = 1;

    private Dictionary<ushort, IcmpProbeSession> _sessions = [];

    private IcmpSocket(LocalBinding binding, TimeProvider timeProvider, ProbeMetrics metrics, ILogger logger)
        : base(binding, timeProvider, metrics, logger)
    {
    }

    /// <summary>Opens and binds the raw socket and starts its receive loop; null with a failure message naming the cause (permission, address, interface).</summary>
    public static IcmpSocket? TryOpen(LocalBinding binding, TimeProvider timeProvider, ProbeMetrics metrics, ILogger logger, out string? failure)
    {
        if (!TryCreateRawSocket(binding.Family, out var raw, out failure))
        {
            return null;
        }

        return TryStart(raw, binding, MaxDatagram, timeProvider, bound =>
        {
            SetReplyFilter(bound, binding, logger);
            return new IcmpSocket(binding, timeProvider, metrics, logger);
        }, out failure);
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

    void IDatagramHandler.OnDatagram(ref ReceivedDatagram datagram)
    {
        if (datagram.Truncated)
        {
            Metrics.Dropped(Protocol, "too_long");
            Log.Dropped(Logger, Binding, "too_long");
            return;
        }

        Dispatch(datagram.Payload, SourceAddressBytes(datagram.Source, Binding.Family), datagram.ReceivedAt);
    }

    void IDatagramHandler.OnReceiveError(SocketException exception) => Log.ReceiveFailed(Logger, Binding, exception);

    // A bug in a reply callback, not a socket fault.
    void IDatagramHandler.OnLoopError(Exception exception) => Log.ReceiveFailed(Logger, Binding, exception);

    protected override void LogClosed() => Log.SocketClosed(Logger, Binding);

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

        Metrics.Dropped(Protocol, reason);
        Log.Dropped(Logger, Binding, reason);
    }

    // The address inside a sockaddr_in (bytes 4..8) or sockaddr_in6 (bytes 8..24); empty if short.
    private static ReadOnlySpan<byte> SourceAddressBytes(ReadOnlySpan<byte> sockaddr, AddressFamily family)
    {
        var (offset, length) = family == AddressFamily.InterNetworkV6 ? (8, 16) : (4, 4);
        return sockaddr.Length >= offset + length ? sockaddr.Slice(offset, length) : default;
    }

    // Lets only echo replies through to user space. Linux semantics: a set bit blocks that type.
    // IPv4 ICMP_FILTER is one 32-bit mask over types 0-31; ICMP6_FILTER is 256 bits (8 words).
    private static void SetReplyFilter(Socket socket, LocalBinding binding, ILogger logger)
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
