using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Patronus.Engine.Tests.Probes.Icmp;

/// <summary>
/// A fact that runs only when the host has IPv6 with ::1 configured on a loopback interface;
/// otherwise it is reported as skipped with the reason (never a silent pass).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class Ipv6LoopbackFactAttribute : FactAttribute
{
    public Ipv6LoopbackFactAttribute()
    {
        if (!Socket.OSSupportsIPv6)
        {
            Skip = "IPv6 is not supported on this host (Socket.OSSupportsIPv6 is false)";
        }
        else if (!HasIpv6Loopback())
        {
            Skip = "::1 is not configured on any loopback interface";
        }
    }

    private static bool HasIpv6Loopback() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(nic => nic.NetworkInterfaceType == NetworkInterfaceType.Loopback && nic.OperationalStatus != OperationalStatus.Down)
            .SelectMany(nic => nic.GetIPProperties().UnicastAddresses)
            .Any(address => address.Address.Equals(IPAddress.IPv6Loopback));
}
