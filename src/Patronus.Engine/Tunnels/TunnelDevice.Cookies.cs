using System.Net;
using Patronus.Engine.Tunnels.Wire;

namespace Patronus.Engine.Tunnels;

public sealed partial class TunnelDevice
{
    // The handshake rate of the current one-second window and the end of the under-load state
    // (monotonic). Touched only by OnDatagram, which one receive loop calls.
    private long _handshakeWindowStart;
    private int _handshakesInWindow;
    private long _underLoadUntil;

    /// <summary>Whether the device is answering handshakes without a valid mac2 with cookie replies.</summary>
    public bool IsUnderLoad => _time.GetTimestamp() < Volatile.Read(ref _underLoadUntil);

    /// <summary>
    /// Counts a handshake message with a valid mac1 towards the load; under load, one without a
    /// valid mac2 for its source gets a cookie reply and goes no further (true): the DH work of
    /// the handshake is only done for senders that proved they receive at their address.
    /// </summary>
    private bool RequireCookie(ReadOnlySpan<byte> datagram, int mac1Offset, int mac2Offset, uint senderIndex, TunnelEndpoint from)
    {
        var now = _time.GetTimestamp();
        if (_time.GetElapsedTime(_handshakeWindowStart, now) >= TimeSpan.FromSeconds(1))
        {
            _handshakeWindowStart = now;
            _handshakesInWindow = 0;
        }

        if (++_handshakesInWindow > TunnelTiming.UnderLoadHandshakesPerSecond)
        {
            Volatile.Write(ref _underLoadUntil, now + ToTimestampTicks(TunnelTiming.UnderLoadAfterTime));
        }

        if (now >= _underLoadUntil)
        {
            return false;
        }

        Span<byte> source = stackalloc byte[18];
        var length = SourceBytes(from.Address, source);
        if (_cookieChecker.CheckMac2(datagram, mac2Offset, source[..length]))
        {
            return false;
        }

        var reply = _cookieChecker.CreateReply(datagram, mac1Offset, senderIndex, source[..length]);
        Span<byte> bytes = stackalloc byte[CookieReply.Size];
        reply.TryWrite(bytes, out _);
        _transport.SendDatagram(bytes, from);
        Drop(TunnelDropReason.CookieRequired);
        return true;
    }

    // The cookie binds the sender's address and port: the IP address octets, then the port big-endian.
    private static int SourceBytes(IPEndPoint from, Span<byte> destination)
    {
        from.Address.TryWriteBytes(destination, out var written);
        destination[written] = (byte)(from.Port >> 8);
        destination[written + 1] = (byte)from.Port;
        return written + 2;
    }
}
