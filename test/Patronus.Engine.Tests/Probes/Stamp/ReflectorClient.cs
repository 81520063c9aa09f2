using System.Net;
using System.Net.Sockets;

namespace Patronus.Engine.Tests.Probes.Stamp;

/// <summary>A plain UDP client of a reflector, for tests that write the test packets themselves.</summary>
internal static class ReflectorClient
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(5);

    public static Socket Connected(IPEndPoint remote)
    {
        var client = new Socket(remote.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        client.Connect(remote);
        return client;
    }

    /// <summary>The next datagram <paramref name="client"/> receives; fails the test after 5 s.</summary>
    public static async Task<byte[]> ReceiveAsync(Socket client)
    {
        var buffer = new byte[2048];
        using var cts = new CancellationTokenSource(s_timeout);
        var n = await client.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
        return buffer[..n];
    }
}
