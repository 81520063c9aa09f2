using System.Net;

namespace Patronus.Engine.Routing;

/// <summary>
/// One route the engine wants: traffic for <see cref="Prefix"/> leaves through a link, via its
/// gateway and interface. Owned by the failover policy that steers the prefix.
/// </summary>
/// <param name="Prefix">Destination prefix (canonical: host bits zero).</param>
/// <param name="PolicyId">The policy that installed it.</param>
/// <param name="PathId">The path chosen for it.</param>
/// <param name="LinkId">The link the path leaves through.</param>
/// <param name="Gateway">Next hop, or null for an on-link route.</param>
/// <param name="Interface">Outgoing interface, or null to let the kernel resolve the gateway.</param>
public sealed record RouteEntry(IPNetwork Prefix, string PolicyId, string PathId, string LinkId, IPAddress? Gateway, string? Interface);
