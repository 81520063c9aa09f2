using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Patronus.TestSupport;

/// <summary>
/// Sends one datagram over and over, as fast as one thread can, from its own socket until
/// disposed — or for <see cref="MaxDuration"/> at most, so that a test that fails cannot leave a
/// flood running. A dedicated thread, not the thread pool, so that a starved pool cannot slow it.
/// A UDP flood is connected, so that it stops by itself once its target's port is closed (the
/// kernel's port unreachable surfaces as ECONNREFUSED): a socket of another test that happens to
/// bind that port number next must not receive it.
/// </summary>
public sealed class DatagramFlood : IDisposable
{
    /// <summary>Longest a flood runs, whatever the test does.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromSeconds(20);

    private readonly Socket _socket;
    private readonly Thread _thread;
    private volatile bool _stop;
    private long _sent;

    private DatagramFlood(Socket socket, EndPoint destination, byte[] datagram)
    {
        _socket = socket;
        _thread = new Thread(() => Run(destination, datagram)) { IsBackground = true, Name = "test flood" };
    }

    /// <summary>Datagrams sent so far.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>UDP from an ephemeral port on <paramref name="destination"/>'s loopback family.</summary>
    public static DatagramFlood Udp(IPEndPoint destination, byte[] datagram)
    {
        var socket = new Socket(destination.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(destination.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0));
        socket.Connect(destination);
        return Start(socket, destination, datagram);
    }

    /// <summary>Raw ICMP (IPv4): <paramref name="message"/> is the ICMP message; needs root.</summary>
    public static DatagramFlood Icmp(IPAddress destination, byte[] message) =>
        Start(new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Icmp), new IPEndPoint(destination, 0), message);

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        _socket.Dispose();
    }

    private static DatagramFlood Start(Socket socket, EndPoint destination, byte[] datagram)
    {
        var flood = new DatagramFlood(socket, destination, datagram);
        flood._thread.Start();
        return flood;
    }

    private void Run(EndPoint destination, byte[] datagram)
    {
        var started = Stopwatch.GetTimestamp();
        while (!_stop && Stopwatch.GetElapsedTime(started) < MaxDuration)
        {
            try
            {
                if (_socket.Connected)
                {
                    _socket.Send(datagram);
                }
                else
                {
                    _socket.SendTo(datagram, destination);
                }

                Interlocked.Increment(ref _sent);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
            {
                return;
            }
            catch (SocketException)
            {
                // ENOBUFS and the like: the flood goes on.
            }
        }
    }
}
