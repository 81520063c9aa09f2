using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Patronus.Engine.Net;
using Patronus.Engine.Paths;

namespace Patronus.Engine.Tunnels;

/// <summary>
/// The tunnel's UDP sockets: socket 0 listens on every address (dual-stack) and sends where the
/// kernel's routes say; each WAN link that a peer's per-path endpoint uses gets its own socket,
/// bound to the link's source address and interface (SO_BINDTODEVICE, as the probes' sockets)
/// on the same port, so a datagram for a path leaves through that path's link whatever the
/// routing table says, from the address the peer expects. All are SO_REUSEADDR so the link
/// sockets can share the listen port; the kernel delivers a datagram to the most specific one.
/// Each socket has a blocking receive thread. The array of sockets is swapped whole when the
/// steering opens one (copy on write), so the sending threads read it without a lock.
/// </summary>
public sealed partial class TunnelService
{
    private readonly Dictionary<LocalBinding, int> _viaByBinding = [];
    private readonly List<Thread> _receivers = [];
    private TunnelSocket[] _sockets = [];

    private Socket? ListenSocket => Volatile.Read(ref _sockets) is [var first, ..] ? first.Socket : null;

    private void OpenListenSocket()
    {
        var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
        try
        {
            Prepare(socket);
            socket.Bind(new IPEndPoint(IPAddress.IPv6Any, _options.ListenPort));
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        Volatile.Write(ref _sockets, [new TunnelSocket(socket, DualStack: true, "listen")]);
    }

    private static void Prepare(Socket socket)
    {
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        UdpReceiveBuffer.Request(socket, SocketBufferBytes, out _);
        socket.SendBufferSize = SocketBufferBytes;
    }

    /// <summary>
    /// The socket (its index, <see cref="TunnelEndpoint.Via"/>) for datagrams of
    /// <paramref name="family"/> on <paramref name="link"/>, opened on first use (steering loop
    /// only). 0, the listen socket, when the link socket cannot be opened (logged once per binding).
    /// </summary>
    private int Via(WanLink link, AddressFamily family, TunnelDevice device, CancellationToken stoppingToken)
    {
        var address = IPAddress.TryParse(link.SourceAddress, out var a) && a.AddressFamily == family ? a : null;
        var binding = new LocalBinding(family, ProtocolType.Udp, address, ListenPort, link.Interface);
        if (_viaByBinding.TryGetValue(binding, out var via))
        {
            return via;
        }

        var socket = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
        string? failure;
        try
        {
            Prepare(socket);
            SocketBinding.TryBind(socket, binding, out failure);
        }
        catch (SocketException ex)
        {
            failure = ex.Message;
        }

        if (failure is not null)
        {
            socket.Dispose();
            LogLinkSocketFailed(_logger, Name, link.Id, binding, failure);
            _viaByBinding[binding] = 0;
            return 0;
        }

        var sockets = Volatile.Read(ref _sockets);
        via = sockets.Length;
        Volatile.Write(ref _sockets, [.. sockets, new TunnelSocket(socket, DualStack: false, $"link {link.Id}")]);
        _viaByBinding[binding] = via;
        LogLinkSocket(_logger, Name, link.Id, binding);
        StartReceiving(via, device, stoppingToken);
        return via;
    }

    private string Name => _options.InterfaceName;

    private void StartReceiving(int via, TunnelDevice device, CancellationToken stoppingToken)
    {
        var thread = new Thread(() => ReceiveLoop(via, device, stoppingToken)) { IsBackground = true, Name = $"tunnel-udp-{via}" };
        _receivers.Add(thread);
        thread.Start();
    }

    private void CloseSockets()
    {
        foreach (var socket in Volatile.Read(ref _sockets))
        {
            socket.Socket.Dispose();
        }

        foreach (var thread in _receivers)
        {
            thread.Join(TimeSpan.FromSeconds(2));
        }
    }

    private void ReceiveLoop(int via, TunnelDevice device, CancellationToken stoppingToken)
    {
        var socket = Volatile.Read(ref _sockets)[via].Socket;
        var family = socket.AddressFamily;
        var any = new IPEndPoint(family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        var buffer = new byte[BufferSize];
        var address = new SocketAddress(family);
        var lastAddress = new SocketAddress(family);
        TunnelEndpoint? last = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var n = socket.ReceiveFrom(buffer, SocketFlags.None, address);

                // One endpoint object per distinct sender, not per datagram.
                if (last is null || !address.Equals(lastAddress))
                {
                    last = new TunnelEndpoint((IPEndPoint)any.Create(address), via);
                    address.Buffer.Span[..address.Size].CopyTo(lastAddress.Buffer.Span);
                    lastAddress.Size = address.Size;
                }

                device.OnDatagram(buffer.AsSpan(0, n), last);
            }
            catch (ObjectDisposedException)
            {
                return; // the socket closed: stopping
            }
            catch (SocketException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // a loop logs and carries on; only cancellation ends it
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogLoopError(_logger, ex);
            }
        }
    }

    void ITunnelTransport.SendDatagram(ReadOnlySpan<byte> datagram, TunnelEndpoint destination)
    {
        var sockets = Volatile.Read(ref _sockets);
        if (sockets.Length == 0)
        {
            return;
        }

        var socket = sockets[destination.Via < sockets.Length ? destination.Via : 0];

        // SendTo(IPEndPoint) serializes the address on every call: the endpoint keeps its own
        // (the same for every datagram to it; two threads racing write equal values).
        var address = destination.Serialized;
        if (address is null)
        {
            var target = socket.DualStack && destination.Family == AddressFamily.InterNetwork
                ? new IPEndPoint(destination.Address.Address.MapToIPv6(), destination.Address.Port)
                : destination.Address;
            destination.Serialized = address = target.Serialize();
        }

        try
        {
            socket.Socket.SendTo(datagram, SocketFlags.None, address);
        }
        catch (SocketException ex)
        {
            LogSendFailed(_logger, destination.Address, socket.Name, ex.SocketErrorCode);
        }
        catch (ObjectDisposedException)
        {
            // stopping
        }
    }

    private sealed record TunnelSocket(Socket Socket, bool DualStack, string Name);

    [LoggerMessage(EventId = 7056, Level = LogLevel.Information, Message = "Tunnel {Interface}: socket for link {Link} bound ({Binding})")]
    private static partial void LogLinkSocket(ILogger logger, string @interface, string link, LocalBinding binding);

    [LoggerMessage(EventId = 7057, Level = LogLevel.Warning, Message = "Tunnel {Interface}: no socket for link {Link} ({Binding}): {Error}; its datagrams follow the kernel's routes")]
    private static partial void LogLinkSocketFailed(ILogger logger, string @interface, string link, LocalBinding binding, string error);
}
