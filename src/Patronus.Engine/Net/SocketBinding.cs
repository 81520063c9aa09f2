using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Patronus.Engine.Net;

/// <summary>
/// Binding a socket to a link: its interface (SO_BINDTODEVICE, so packets leave through it whatever
/// the routing table says) and its source address. Failures are values with a message an operator
/// can act on, never exceptions. Every socket of the engine is bound here: the probes' shared
/// sockets, the reflector, the BFD listeners and senders.
/// </summary>
internal static class SocketBinding
{
    /// <summary>Linux IFNAMSIZ is 16 including the terminating NUL.</summary>
    public const int MaxInterfaceNameLength = 15;

    private const int SolSocket = 1;
    private const int SoBindToDevice = 25;
    private const int ENoDev = 19;
    private const int EPerm = 1;

    /// <summary>
    /// Binds <paramref name="socket"/> to <paramref name="binding"/>'s interface, when it names one,
    /// then to its address and port (the family's wildcard when it names no address: .NET refuses
    /// ReceiveFrom on an unbound socket). On failure the caller disposes the socket.
    /// </summary>
    public static bool TryBind(Socket socket, LocalBinding binding, out string? failure) =>
        (binding.Interface is not { } device || TryBindToDevice(socket, device, out failure)) &&
        TryBind(socket, binding.LocalEndPoint, out failure);

    public static bool TryBindToDevice(Socket socket, string name, out string? failure)
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
                ENoDev => $"interface {name} does not exist (SO_BINDTODEVICE)",
                EPerm => $"binding to interface {name} (SO_BINDTODEVICE) needs CAP_NET_RAW (run as root or grant the capability)",
                _ when ex.SocketErrorCode == SocketError.AccessDenied => $"binding to interface {name} (SO_BINDTODEVICE) needs CAP_NET_RAW (run as root or grant the capability)",
                _ => $"cannot bind to interface {name} (SO_BINDTODEVICE): {ex.Message}",
            };
            return false;
        }
    }

    public static bool TryBind(Socket socket, IPEndPoint local, out string? failure)
    {
        try
        {
            socket.Bind(local);
            failure = null;
            return true;
        }
        catch (SocketException ex)
        {
            failure = ex.SocketErrorCode switch
            {
                SocketError.AddressNotAvailable => $"address {local.Address} is not on this host",
                SocketError.AddressAlreadyInUse => $"{local} is already in use",
                SocketError.AccessDenied => $"binding {local} needs privilege",
                _ => $"cannot bind {local}: {ex.Message}",
            };
            return false;
        }
    }
}
