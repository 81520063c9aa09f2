using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Patronus.Engine.Hosting;

namespace Patronus.Engine.Traffic;

/// <summary>Registers traffic accounting: the service (hosted), its <see cref="ITrafficSource"/> and its metrics.</summary>
public static class TrafficServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="TrafficOptions"/> (section <c>Traffic</c>, see docs/traffic.md) from
    /// <paramref name="configuration"/> and <see cref="TrafficAccountingService"/> as a hosted
    /// service and as the <see cref="ITrafficSource"/>. Needs <see cref="Failover.FailoverPolicyService"/>,
    /// <see cref="Paths.TopologyService"/> and a <see cref="TimeProvider"/> registered.
    /// </summary>
    public static IServiceCollection AddTraffic(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSectionOptions<TrafficOptions, TrafficOptionsValidator>(configuration);
        services.TryAddSingleton<TrafficMetrics>();
        services.AddHostedSingleton<TrafficAccountingService>();
        services.TryAddSingleton<ITrafficSource>(sp => sp.GetRequiredService<TrafficAccountingService>());
        return services;
    }
}
