using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Patronus.Engine.Net;

namespace Patronus.Engine.Bfd.Transport;

/// <summary>
/// The sending side of one session: a UDP socket bound to the link's source address (and
/// interface) on a source port that no other session of this process uses (RFC 5881 §4: "MUST be
/// unique among all BFD sessions on the system" and the same for the session's life), sending
/// with TTL/Hop Limit 255 (RFC 5881 §5) and DSCP CS6 (network control, as routers do).
/// Sends are synchronous and non-blocking: UDP never waits for the peer. The socket is connected
/// to the peer, so the kernel keeps the route instead of looking it up for every packet (route
/// and source-address lookups were a tenth of a 1,000-session process's CPU, issue 14).
/// </summary>
public sealed class BfdSender : IDisposable
{
    private const int IpTos = 1;
    private const int Ipv6TClass = 67;
    private const int Cs6 = 0xc0;

    private static readonly Lock s_portsLock = new();
    private static readonly HashSet<int> s_ports = [];

    private readonly Socket _socket;
    private readonly SocketAddress _peer;
    private readonly bool _connected;
    private int _disposed;

    private BfdSender(Socket socket, IPEndPoint peer, int sourcePort, bool connected)
    {
        _socket = socket;
        _peer = peer.Serialize();
        _connected = connected;
        Handle = socket.SafeHandle;
        Peer = peer;
        SourcePort = sourcePort;
    }

    public IPEndPoint Peer { get; }

    public int SourcePort { get; }

    /// <summary>
    /// Whether the socket is connected to <see cref="Peer"/>: then a plain send reaches it, and
    /// the loop batches this session's packets with the others' (<see cref="IoUringSendBatch{TState}"/>);
    /// otherwise <see cref="TrySend"/> names the peer per packet.
    /// </summary>
    public bool Connected => _connected;

    /// <summary>The socket's handle, for a batched send (which must be flushed before <see cref="Dispose"/>).</summary>
    internal SafeHandle Handle { get; }

    /// <summary>
    /// Opens the socket. Null with <paramref name="failure"/> when the interface or address cannot
    /// be bound or no source port is free.
    /// </summary>
    public static BfdSender? TryOpen(IPAddress local, IPEndPoint peer, string? device, out string? failure)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(peer);
        var socket = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (device is not null && !SocketBinding.TryBindToDevice(socket, device, out failure))
            {
                socket.Dispose();
                return null;
            }

            socket.Ttl = BfdPorts.SendTtl;
            if (OperatingSystem.IsLinux())
            {
                socket.SetRawSocketOption(local.AddressFamily == AddressFamily.InterNetworkV6 ? 41 : 0,
                    local.AddressFamily == AddressFamily.InterNetworkV6 ? Ipv6TClass : IpTos, BitConverter.GetBytes(Cs6));
            }

            // A random start spreads sessions of several processes over the range; the bind is
            // the arbiter between processes, the set between sessions of this one.
            var span = BfdPorts.LastSource - BfdPorts.FirstSource + 1;
            var start = Random.Shared.Next(span);
            failure = $"no free UDP source port in {BfdPorts.FirstSource}–{BfdPorts.LastSource} on {local}";
            for (var i = 0; i < span; i++)
            {
                var port = BfdPorts.FirstSource + ((start + i) % span);
                lock (s_portsLock)
                {
                    if (!s_ports.Add(port))
                    {
                        continue;
                    }
                }

                if (SocketBinding.TryBind(socket, new IPEndPoint(local, port), out var bindFailure))
                {
                    failure = null;
                    return new BfdSender(socket, peer, port, TryConnect(socket, peer));
                }

                Release(port);
                if (!bindFailure!.Contains("already in use", StringComparison.Ordinal))
                {
                    failure = bindFailure;
                    break;
                }
            }

            socket.Dispose();
            return null;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            failure = $"cannot open a BFD socket on {local}: {ex.Message}";
            return null;
        }
    }

    /// <summary>Sends one control packet. False with the socket error when the kernel refuses it (no route, interface down …).</summary>
    public bool TrySend(ReadOnlySpan<byte> packet, out SocketError error)
    {
        try
        {
            try
            {
                Send(packet);
            }
            catch (SocketException ex) when (_connected && ex.SocketErrorCode == SocketError.ConnectionRefused)
            {
                // An ICMP port unreachable for an earlier packet (a connected socket reports it
                // on the next send, which it then does not send): the peer is not listening
                // yet or any more; this packet still goes.
                Send(packet);
            }

            error = SocketError.Success;
            return true;
        }
        catch (SocketException ex)
        {
            error = ex.SocketErrorCode;
            return false;
        }
        catch (ObjectDisposedException)
        {
            error = SocketError.Shutdown;
            return false;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _socket.Dispose();
        Release(SourcePort);
    }

    private void Send(ReadOnlySpan<byte> packet)
    {
        if (_connected)
        {
            _socket.Send(packet, SocketFlags.None);
        }
        else
        {
            _socket.SendTo(packet, SocketFlags.None, _peer);
        }
    }

    // No route to the peer yet (a link down at start): send unconnected, as the route may come.
    private static bool TryConnect(Socket socket, IPEndPoint peer)
    {
        try
        {
            socket.Connect(peer);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static void Release(int port)
    {
        lock (s_portsLock)
        {
            s_ports.Remove(port);
        }
    }
}
