using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Patronus.Engine.Traffic;

/// <summary>Registers traffic accounting: the service (hosted), its <see cref="ITrafficSource"/> and its metrics.</summary>
public static class TrafficServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="TrafficAccountingService"/> as a hosted service and as the
    /// <see cref="ITrafficSource"/>. Needs <see cref="Failover.FailoverPolicyService"/>,
    /// <see cref="Paths.TopologyService"/> and a <see cref="TimeProvider"/> registered.
    /// </summary>
    public static IServiceCollection AddTraffic(this IServiceCollection services, TrafficOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        services.TryAddSingleton(Options.Create(options));
        services.TryAddSingleton(sp => new TrafficMetrics(sp.GetService<IMeterFactory>()));
        services.TryAddSingleton<TrafficAccountingService>();
        services.TryAddSingleton<ITrafficSource>(sp => sp.GetRequiredService<TrafficAccountingService>());
        services.AddHostedService(sp => sp.GetRequiredService<TrafficAccountingService>());
        return services;
    }
}
