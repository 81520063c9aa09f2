namespace Patronus.Engine.Routing.Kernel;

/// <summary>
/// Where <see cref="KernelRouteApplier"/> writes. Not a configuration section of its own: the
/// feature that owns the keys sets it (failover, from <c>Failover:RouteTable</c> and
/// <c>Failover:RouteMetric</c>).
/// </summary>
public sealed class KernelRouteOptions
{
    /// <summary>Kernel routing table. Default 254 (main).</summary>
    public uint Table { get; set; } = 254;

    /// <summary>Route metric (priority). Default 0.</summary>
    public uint Metric { get; set; }
}
