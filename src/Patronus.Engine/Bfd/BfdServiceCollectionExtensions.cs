using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Patronus.Engine.Health;
using Patronus.Engine.Hosting;

namespace Patronus.Engine.Bfd;

/// <summary>Registers BFD: one loop for every path's session.</summary>
public static class BfdServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="BfdMetrics"/> and the <see cref="BfdService"/> loop, which is also the
    /// <see cref="IPathLivenessSource"/> path health reads; failover subscribes to its changes.
    /// Needs the topology.
    /// </summary>
    public static IServiceCollection AddBfd(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<BfdMetrics>();
        services.AddEngineLoop<BfdService>();
        services.TryAddSingleton<IPathLivenessSource>(sp => sp.GetRequiredService<BfdService>());
        return services;
    }
}
