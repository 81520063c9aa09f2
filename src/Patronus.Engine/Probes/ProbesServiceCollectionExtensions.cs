using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Patronus.Engine.Probes.Icmp;
using Patronus.Engine.Probes.Stamp;

namespace Patronus.Engine.Probes;

/// <summary>Registers probing: STAMP and ICMP sessions and their metrics.</summary>
public static class ProbesServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="ProbeMetrics"/> and one <see cref="IProbeSessionFactory"/> per probe kind
    /// (<see cref="StampProbeSessionFactory"/>, <see cref="IcmpProbeSessionFactory"/>): the health
    /// monitor picks the one each path's <c>Probe</c> names.
    /// </summary>
    public static IServiceCollection AddProbes(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<ProbeMetrics>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IProbeSessionFactory, StampProbeSessionFactory>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IProbeSessionFactory, IcmpProbeSessionFactory>());
        return services;
    }
}
