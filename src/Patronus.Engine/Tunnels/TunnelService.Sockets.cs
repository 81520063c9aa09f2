using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Patronus.Engine.Net;
using Patronus.Engine.Paths;
using Patronus.Engine.Tunnels.Native;

namespace Patronus.Engine.Tunnels;

/// <summary>
/// The tunnel's UDP sockets: socket 0 listens on every address (dual-stack) and sends where the
/// kernel's routes say; each WAN link that a peer's per-path endpoint uses gets its own socket,
/// bound to the link's source address and interface (SO_BINDTODEVICE, as the probes' sockets)
/// on the same port, so a datagram for a path leaves through that path's link whatever the
/// routing table says, from the address the peer expects. All are SO_REUSEADDR so the link
/// sockets can share the listen port; the kernel delivers a datagram to the most specific one.
/// Each socket has a receive thread that reads batches with recvmmsg (and with UDP GRO, where
/// the kernel has it, runs of one sender's datagrams coalesced into one buffer). Datagrams the TUN
/// thread makes are collected and leave together (<see cref="UdpSendBatch"/>: sendmmsg, UDP GSO);
/// other threads' (handshakes, keepalives) leave one by one. The array of sockets is swapped
/// whole when the steering opens one (copy on write), so the sending threads read it without a lock.
/// </summary>
public sealed partial class TunnelService
{
    // Datagrams per recvmmsg: each slot holds up to 64 KiB (a GRO run), so fewer slots with GRO.
    private const int ReceiveSlots = 8;
    private const int ReceiveSlotsWithoutGro = 64;
    private const int SolSocket = 1;
    private const int SoSndBufForce = 32;
    private const int SolUdp = 17;
    private const int UdpGro = 104;
    private const int Eagain = 11;

    // The TUN thread's batch (null on every other thread: their datagrams leave at once).
    [ThreadStatic]
    private static UdpSendBatch? t_batch;

    // A receive thread's decrypted TCP segments, joined for the TUN device (with offloads only).
    [ThreadStatic]
    private static TunWriteBatch? t_writeBatch;

    private readonly Dictionary<LocalBinding, int> _viaByBinding = [];
    private readonly List<Thread> _receivers = [];
    private TunnelSocket[] _sockets = [];
    private bool _gso;
    private volatile bool _gro = true;
    private int _gsoFailureLogged;

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

    private void Prepare(Socket socket)
    {
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        UdpReceiveBuffer.Request(socket, SocketBufferBytes, out _);
        Span<byte> value = stackalloc byte[sizeof(int)];
        try
        {
            // SO_SNDBUFFORCE: past net.core.wmem_max (root with CAP_NET_ADMIN), like wireguard-go.
            MemoryMarshal.Write(value, SocketBufferBytes);
            socket.SetRawSocketOption(SolSocket, SoSndBufForce, value);
        }
        catch (SocketException)
        {
            socket.SendBufferSize = SocketBufferBytes;
        }

        try
        {
            MemoryMarshal.Write(value, 1);
            socket.SetRawSocketOption(SolUdp, UdpGro, value);
        }
        catch (SocketException)
        {
            _gro = false; // Linux before 5.0: one datagram per slot
        }
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
        var batch = new LinuxReceiveBatch(_gro ? ReceiveSlots : ReceiveSlotsWithoutGro, maxDatagram: ushort.MaxValue);
        var lastSource = new byte[32];
        var lastSourceLength = 0;
        TunnelEndpoint? last = null;
        var writes = _tun!.Offloads ? new TunWriteBatch() : null;
        t_writeBatch = writes;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (writes?.Flush(_tun) is > 0)
                {
                    device.DropTunWrites(1);
                }

                var n = batch.Receive(socket.SafeHandle, out var errno);
                if (n == 0)
                {
                    if (errno == Eagain)
                    {
                        socket.Poll(TimeSpan.FromMilliseconds(250), SelectMode.SelectRead);
                    }

                    continue; // or an error about one earlier datagram (a queued ICMP error): read on
                }

                for (var i = 0; i < n; i++)
                {
                    // One endpoint object per distinct sender, not per datagram.
                    var source = batch.Source(i);
                    if (last is null || !source.SequenceEqual(lastSource.AsSpan(0, lastSourceLength)))
                    {
                        if (!NativeSocketAddress.TryRead(source, out var address, out var port))
                        {
                            device.DropDatagram();
                            continue;
                        }

                        last = new TunnelEndpoint(new IPEndPoint(new IPAddress(ToBytes(address)), port), via);
                        source.CopyTo(lastSource);
                        lastSourceLength = source.Length;
                    }

                    var payload = batch.Payload(i);
                    var size = batch.SegmentSize(i);
                    if (batch.Truncated(i))
                    {
                        device.DropDatagram();
                    }
                    else if (size <= 0 || payload.Length <= size)
                    {
                        device.OnDatagram(payload, last);
                    }
                    else
                    {
                        // A GRO run: datagrams of `size` octets, the last maybe shorter.
                        for (var offset = 0; offset < payload.Length; offset += size)
                        {
                            device.OnDatagram(payload.Slice(offset, Math.Min(size, payload.Length - offset)), last);
                        }
                    }
                }
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

    private static byte[] ToBytes(UInt128 address)
    {
        var bytes = new byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(bytes, address);
        return bytes;
    }

    private void FlushBatch(UdpSendBatch batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var failed = batch.Flush(out var errno);
        if (failed > 0)
        {
            LogBatchSendFailed(_logger, Name, failed, errno);
        }

        if (batch.GsoFailure is { } failure && Interlocked.Exchange(ref _gsoFailureLogged, 1) == 0)
        {
            LogGsoOff(_logger, Name, failure);
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

        if (t_batch is { } batch)
        {
            if (batch.TryAdd(socket.Socket, address.Buffer.Span[..address.Size], datagram))
            {
                return;
            }

            FlushBatch(batch);
            if (batch.TryAdd(socket.Socket, address.Buffer.Span[..address.Size], datagram))
            {
                return;
            }
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

    [LoggerMessage(EventId = 7060, Level = LogLevel.Debug, Message = "Tunnel {Interface}: {Count} datagrams of a batch not sent: errno {Errno}")]
    private static partial void LogBatchSendFailed(ILogger logger, string @interface, int count, int errno);

    [LoggerMessage(EventId = 7061, Level = LogLevel.Warning, Message = "Tunnel {Interface}: the kernel refused a UDP GSO send ({Error}); sending one datagram a message from now on")]
    private static partial void LogGsoOff(ILogger logger, string @interface, string error);

    [LoggerMessage(EventId = 7056, Level = LogLevel.Information, Message = "Tunnel {Interface}: socket for link {Link} bound ({Binding})")]
    private static partial void LogLinkSocket(ILogger logger, string @interface, string link, LocalBinding binding);

    [LoggerMessage(EventId = 7057, Level = LogLevel.Warning, Message = "Tunnel {Interface}: no socket for link {Link} ({Binding}): {Error}; its datagrams follow the kernel's routes")]
    private static partial void LogLinkSocketFailed(ILogger logger, string @interface, string link, LocalBinding binding, string error);
}
