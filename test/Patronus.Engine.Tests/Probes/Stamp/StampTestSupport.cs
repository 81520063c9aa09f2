using System.Net;
using System.Net.Sockets;
using Patronus.Engine.Probes.Stamp;

namespace Patronus.Engine.Tests.Probes.Stamp;

internal static class ProbeTargets
{
    public static Patronus.Engine.Probes.ProbeTarget For(System.Net.IPEndPoint remote, System.Net.IPAddress? source = null, string? device = null) =>
        new("test-path", 0, remote, source, device);
}

/// <summary>A plain UDP socket on loopback standing in for a reflector, so a test chooses what comes back.</summary>
internal static class FakeStampReflector
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(5);

    public static Socket Open()
    {
        var fake = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        fake.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return fake;
    }

    /// <summary>The next probe the fake receives (as sent on the wire) and who sent it.</summary>
    public static async Task<(StampSenderPacket Probe, EndPoint Sender)> ReceiveProbeAsync(Socket fake)
    {
        var buffer = new byte[128];
        using var cts = new CancellationTokenSource(s_timeout);
        var received = await fake.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), cts.Token);
        Assert.True(StampSenderPacket.TryRead(buffer.AsSpan(0, received.ReceivedBytes), out var probe));
        return (probe, received.RemoteEndPoint);
    }

    /// <summary>
    /// A reply to <paramref name="probe"/> with no hold time, echoing its sequence as a reflector
    /// does unless <paramref name="senderSequence"/> says otherwise.
    /// </summary>
    public static byte[] Reply(StampSenderPacket probe, int length = StampReflectorPacket.Size, uint? senderSequence = null)
    {
        var now = NtpTimestamp.FromDateTimeOffset(DateTimeOffset.UtcNow);
        var echoed = senderSequence ?? probe.Sequence;
        var bytes = new byte[length];
        new StampReflectorPacket(echoed, now, ErrorEstimate.Unsynchronized, now, echoed, probe.Timestamp, probe.ErrorEstimate, 64)
            .TryWrite(bytes, out _);
        return bytes;
    }
}
