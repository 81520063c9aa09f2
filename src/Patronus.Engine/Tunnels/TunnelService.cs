using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Patronus.Engine.Failover;
using Patronus.Engine.Health;
using Patronus.Engine.Net;
using Patronus.Engine.Paths;
using Patronus.Engine.Tunnels.Native;
using Patronus.Engine.Tunnels.Noise;

namespace Patronus.Engine.Tunnels;

/// <summary>
/// Runs the tunnel interface of <see cref="TunnelOptions"/>: opens the TUN device (root only;
/// otherwise tunnels stay off with one log line), binds the UDP listen socket (dual-stack) and one
/// socket per WAN link that a peer's per-path endpoint uses (TunnelService.Sockets.cs), and runs
/// loops around one <see cref="TunnelDevice"/>: TUN reads, socket receives (each on its own thread,
/// blocking), the timer tick on the <see cref="TimeProvider"/>, and the path steering, which
/// wakes on changes of the topology, the paths' health and the failover route table
/// (TunnelService.Steering.cs).
/// </summary>
public sealed partial class TunnelService : BackgroundService, ITunnelTransport
{
    // Large enough for any datagram, and any TUN read: a TSO super-packet (64 KiB) behind its virtio_net_hdr.
    private const int BufferSize = 65_536 + VirtioNetHeader.Size;

    // TUN reads handled before the batch of datagrams they made is flushed: bounded so that a
    // steady stream still leaves every ~64 packets (latency), large enough to fill a sendmmsg.
    private const int TunReadsPerFlush = 64;

    // wireguard-go asks for 7 MiB socket buffers: bursts at gigabit rates outrun a default buffer.
    private const int SocketBufferBytes = 7 << 20;

    private readonly TunnelOptions _options;
    private readonly TunnelMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<TunnelService> _logger;
    private readonly bool _isRoot;
    private readonly TopologyService? _topology;
    private readonly HealthState? _health;
    private readonly FailoverService? _failover;
    private TunDevice? _tun;
    private volatile TunnelDevice? _device;
    private readonly Sdwan.TrafficClassifier? _classes;

    public TunnelService(
        IOptions<TunnelOptions> options, TunnelMetrics metrics, TopologyService topology, HealthState health, FailoverService failover,
        TimeProvider time, ILogger<TunnelService> logger, Sdwan.TrafficClassifier classes)
        : this(options, metrics, time, logger, Environment.IsPrivilegedProcess, topology, health, failover, classes)
    {
    }

    internal TunnelService(
        IOptions<TunnelOptions> options, TunnelMetrics metrics, TimeProvider time, ILogger<TunnelService> logger, bool isRoot,
        TopologyService? topology = null, HealthState? health = null, FailoverService? failover = null, Sdwan.TrafficClassifier? classes = null)
    {
        _classes = classes;
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _isRoot = isRoot;
        _topology = topology;
        _health = health;
        _failover = failover;
    }

    /// <summary>True when the configuration turns tunnels on (<see cref="TunnelOptions.Enabled"/>), whether or not they run.</summary>
    public bool Enabled => _options.Enabled;

    /// <summary>The running device, null while tunnels are off.</summary>
    public TunnelDevice? Device => _device;

    /// <summary>The bound UDP port, 0 while tunnels are off.</summary>
    public int ListenPort => ListenSocket?.LocalEndPoint is IPEndPoint local ? local.Port : 0;

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            return;
        }

        if (!_isRoot || !OperatingSystem.IsLinux())
        {
            LogNotRoot(_logger, _options.InterfaceName);
            return;
        }

        _steerToken = stoppingToken;
        if (!TryStart(out var device))
        {
            return;
        }

        var tunThread = new Thread(() => TunLoop(device, stoppingToken)) { IsBackground = true, Name = "tunnel-tun" };
        tunThread.Start();
        StartReceiving(0, device, stoppingToken);
        var steering = SteerLoopAsync(device, stoppingToken);
        try
        {
            using var timer = new PeriodicTimer(TunnelTiming.TickInterval, _time);
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    device.Tick();
                }
#pragma warning disable CA1031 // a loop logs and carries on; only cancellation ends it
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    LogLoopError(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
        finally
        {
            await steering.ConfigureAwait(false);
            RemoveRoutes(device.Name);
            CloseSockets();
            tunThread.Join(TimeSpan.FromSeconds(2));
            _metrics.Observe(null);
            device.Dispose();
            _tun?.Dispose();
            _device = null;
        }
    }

    private bool TryStart(out TunnelDevice device)
    {
        device = null!;
        byte[] privateKey;
        try
        {
            privateKey = new byte[TunnelKeys.KeySize];
            if (_options.PrivateKey is null || !TunnelKeys.TryDecode(_options.PrivateKey, privateKey))
            {
                privateKey = TunnelKeys.ReadOrCreatePrivateKeyFile(_options.PrivateKeyFile!, out var created);
                LogKeyFile(_logger, _options.PrivateKeyFile!, created);
            }

            var configured = _options.Addresses.Select(a => Parse(a)).ToList();
            _tun = TunDevice.Open(_options.InterfaceName, offloads: true, out var offloadError);
            _tun.Configure(_options.Mtu, configured);
            OpenListenSocket();
            _gso = UdpSendBatch.KernelHasGso(ListenSocket!);
            LogOffloads(_logger, _tun.Name, _tun.Offloads, offloadError ?? "-", _gso, _gro);
        }
        catch (Exception ex) when (ex is IOException or SocketException or System.ComponentModel.Win32Exception or UnauthorizedAccessException)
        {
            LogStartFailed(_logger, _options.InterfaceName, ex.Message);
            CloseSockets();
            _tun?.Dispose();
            return false;
        }

        var identity = new NoiseIdentity(privateKey);
        Array.Clear(privateKey);
        device = new TunnelDevice(_tun.Name, identity, _options.Peers, _options.Mtu, this, _time, _metrics, _logger, _classes);
        _device = device;
        _metrics.Observe(device);
        InstallRoutes(_tun.Name);
        WatchSteeringInputs();
        Steer(device);
        var publicKey = Convert.ToBase64String(identity.PublicKey);
        var port = ListenPort;
        LogStarted(_logger, _tun.Name, publicKey, port, _options.Peers.Count);
        return true;
    }

    private static (IPAddress Address, int PrefixLength) Parse(string text)
    {
        // The address itself, not the network: IpPrefix clears host bits.
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var address = IPAddress.Parse(slash < 0 ? text : text[..slash]);
        var length = slash < 0 ? (address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128) : int.Parse(text[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        return (address, length);
    }

    private void TunLoop(TunnelDevice device, CancellationToken stoppingToken)
    {
        var buffer = new byte[BufferSize];
        var segment = new byte[BufferSize];
        var batch = new UdpSendBatch(_gso);
        t_batch = batch;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Wait for one packet, take what queued meanwhile (up to a bound), then send the
                // datagrams they made together.
                var n = _tun!.Read(buffer, timeoutMilliseconds: 250);
                for (var reads = 0; n > 0; n = ++reads < TunReadsPerFlush ? _tun.TryRead(buffer) : 0)
                {
                    OnTunRead(device, buffer.AsSpan(0, n), segment);
                }

                FlushBatch(batch);
            }
#pragma warning disable CA1031 // a loop logs and carries on; only cancellation ends it
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogLoopError(_logger, ex);
                stoppingToken.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(100));
            }
        }
    }

    /// <summary>One TUN read: a plain packet, or (with offloads) a header and a packet that may be a TSO super-packet to cut into segments.</summary>
    private void OnTunRead(TunnelDevice device, ReadOnlySpan<byte> read, byte[] segment)
    {
        if (!_tun!.Offloads)
        {
            device.OnTunPacket(read);
            return;
        }

        if (!VirtioNetHeader.TryRead(read, out var header))
        {
            device.DropTunPacket();
            return;
        }

        var packet = read[VirtioNetHeader.Size..];
        var count = header.SegmentCount(packet);
        if (count == 0)
        {
            device.DropTunPacket();
            return;
        }

        if (count == 1 && !header.NeedsChecksum)
        {
            device.OnTunPacket(packet);
            return;
        }

        for (var i = 0; i < count; i++)
        {
            var length = header.Segment(packet, i, segment);
            if (length == 0)
            {
                device.DropTunPacket();
                continue;
            }

            device.OnTunPacket(segment.AsSpan(0, length));
        }
    }

    bool ITunnelTransport.WritePacket(ReadOnlySpan<byte> packet)
    {
        if (t_writeBatch is { } batch && _tun is { } tun)
        {
            // Joined with its neighbours and written at the end of the receive batch; a refusal is counted then.
            if (batch.Add(packet, tun) is > 0 and var failed)
            {
                _device?.DropTunWrites(failed);
            }

            return true;
        }

        return _tun?.Write(packet) ?? false;
    }

    [LoggerMessage(EventId = 7059, Level = LogLevel.Information, Message = "Tunnel {Interface} fast path: TUN offloads (TSO, checksum) {TunOffloads} ({TunOffloadError}), UDP GSO {Gso}, UDP GRO {Gro}")]
    private static partial void LogOffloads(ILogger logger, string @interface, bool tunOffloads, string tunOffloadError, bool gso, bool gro);

    [LoggerMessage(EventId = 7050, Level = LogLevel.Information, Message = "Tunnels are off: interface {Interface} needs root (a TUN device); everything else runs")]
    private static partial void LogNotRoot(ILogger logger, string @interface);

    [LoggerMessage(EventId = 7051, Level = LogLevel.Error, Message = "Tunnel {Interface} cannot start: {Error}; tunnels are off, everything else runs")]
    private static partial void LogStartFailed(ILogger logger, string @interface, string error);

    [LoggerMessage(EventId = 7052, Level = LogLevel.Information, Message = "Tunnel {Interface} up: public key {PublicKey}, UDP port {Port}, {Peers} peers")]
    private static partial void LogStarted(ILogger logger, string @interface, string publicKey, int port, int peers);

    [LoggerMessage(EventId = 7053, Level = LogLevel.Information, Message = "Tunnel private key file {File} (created now: {Created})")]
    private static partial void LogKeyFile(ILogger logger, string file, bool created);

    [LoggerMessage(EventId = 7054, Level = LogLevel.Error, Message = "Tunnel loop iteration failed; continuing")]
    private static partial void LogLoopError(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 7055, Level = LogLevel.Debug, Message = "Tunnel send to {Destination} through the {Socket} socket failed: {Error}")]
    private static partial void LogSendFailed(ILogger logger, IPEndPoint destination, string socket, SocketError error);
}
