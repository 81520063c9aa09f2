using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Patronus.Engine.Probes.Stamp;

/// <summary>
/// Opens STAMP Session-Sender sessions (RFC 8762 §4.2, unauthenticated): one UDP socket per target,
/// bound to the target's interface (SO_BINDTODEVICE) and source address when given, connected to
/// <see cref="ProbeTarget.Remote"/> (which carries the port; 862 by default is the caller's choice).
/// </summary>
public sealed class StampProbeSessionFactory : IProbeSessionFactory
{
    // Linux: SOL_SOCKET = 1, SO_BINDTODEVICE = 25; interface names are at most IFNAMSIZ − 1 = 15 octets.
    private const int SolSocket = 1;
    private const int SoBindToDevice = 25;
    private const int MaxInterfaceNameLength = 15;
    private const int EPerm = 1;
    private const int ENoDev = 19;

    private readonly TimeProvider _timeProvider;
    private readonly ProbeMetrics _metrics;
    private readonly ILogger _logger;

    public StampProbeSessionFactory(TimeProvider timeProvider, ProbeMetrics metrics, ILogger<StampProbeSessionFactory> logger)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(logger);
        _timeProvider = timeProvider;
        _metrics = metrics;
        _logger = logger;
    }

    public ProbeProtocol Protocol => ProbeProtocol.Stamp;

    public bool TryCreate(ProbeTarget target, Action<ProbeReply> onReply, out IProbeSession? session, out string? failure)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(onReply);
        session = null;
        var remote = target.Remote;
        if (target.SourceAddress is { } source && source.AddressFamily != remote.AddressFamily)
        {
            failure = $"source address {source} and target {remote} are not the same address family";
            return false;
        }

        var socket = new Socket(remote.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (target.Interface is { } name && !TryBindToDevice(socket, name, out failure))
            {
                socket.Dispose();
                return false;
            }

            if (target.SourceAddress is { } address && !TryBind(socket, address, out failure))
            {
                socket.Dispose();
                return false;
            }

            try
            {
                socket.Connect(remote);
            }
            catch (SocketException ex)
            {
                failure = $"cannot reach {remote}{Via(target)}: {ex.Message}";
                socket.Dispose();
                return false;
            }

            session = new StampProbeSession(socket, target, onReply, _timeProvider, _metrics, _logger);
            failure = null;
            return true;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static bool TryBindToDevice(Socket socket, string name, out string? failure)
    {
        if (!OperatingSystem.IsLinux())
        {
            failure = $"binding to interface {name} (SO_BINDTODEVICE) is supported on Linux only";
            return false;
        }

        if (name.Length is 0 or > MaxInterfaceNameLength || !Ascii.IsValid(name) || name.Contains('\0', StringComparison.Ordinal))
        {
            failure = $"'{name}' is not a valid interface name (1–{MaxInterfaceNameLength} ASCII characters)";
            return false;
        }

        Span<byte> value = stackalloc byte[MaxInterfaceNameLength + 1];
        value.Clear();
        var length = Encoding.ASCII.GetBytes(name, value);
        try
        {
            socket.SetRawSocketOption(SolSocket, SoBindToDevice, value[..(length + 1)]);
            failure = null;
            return true;
        }
        catch (SocketException ex)
        {
            failure = ex.NativeErrorCode switch
            {
                ENoDev => $"interface {name} does not exist",
                EPerm => $"binding to interface {name} needs CAP_NET_RAW (run as root or grant the capability)",
                _ when ex.SocketErrorCode == SocketError.AccessDenied => $"binding to interface {name} needs CAP_NET_RAW (run as root or grant the capability)",
                _ => $"cannot bind to interface {name}: {ex.Message}",
            };
            return false;
        }
    }

    private static bool TryBind(Socket socket, IPAddress address, out string? failure)
    {
        try
        {
            socket.Bind(new IPEndPoint(address, 0));
            failure = null;
            return true;
        }
        catch (SocketException ex)
        {
            failure = ex.SocketErrorCode == SocketError.AddressNotAvailable
                ? $"source address {address} is not on this host"
                : $"cannot bind source address {address}: {ex.Message}";
            return false;
        }
    }

    private static string Via(ProbeTarget target) => target.Interface is null ? "" : $" via {target.Interface}";
}
