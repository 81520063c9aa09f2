using System.Net;

namespace Patronus.Engine.Routing.Kernel;

/// <summary>A route as the kernel reports it in a dump (RTM_NEWROUTE), with what deleting exactly it takes.</summary>
/// <param name="Prefix">Destination (RTA_DST and rtm_dst_len; 0/0 for a default route).</param>
/// <param name="Table">Routing table (RTA_TABLE, else rtm_table).</param>
/// <param name="Protocol">rtm_protocol: who installed it (<see cref="RouteMessage.Protocol"/> for Patronus).</param>
/// <param name="Metric">RTA_PRIORITY (0 when absent; IPv6 stores 1024 for a route added with 0).</param>
/// <param name="Gateway">RTA_GATEWAY, or null.</param>
/// <param name="InterfaceIndex">RTA_OIF, or 0.</param>
public readonly record struct KernelRoute(IPNetwork Prefix, int Table, byte Protocol, int Metric, IPAddress? Gateway, int InterfaceIndex);
