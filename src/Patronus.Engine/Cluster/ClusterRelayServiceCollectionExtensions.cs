using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Patronus.Engine.Failover;
using Patronus.Engine.Health;
using Patronus.Engine.Hosting;

namespace Patronus.Engine.Cluster;

/// <summary>Registers the relay of the leader's live events to every node on a shared store.</summary>
public static class ClusterRelayServiceCollectionExtensions
{
    /// <summary>
    /// The <see cref="ClusterFeed"/> fed by <see cref="ClusterRelayService"/>, which needs an
    /// <see cref="IClusterChannel"/> and an <see cref="IClusterFeedStore"/> (Patronus.Persistence
    /// registers both for PostgreSQL). Call with <see cref="ClusterServiceCollectionExtensions.AddClusterLease"/>,
    /// before <see cref="ClusterServiceCollectionExtensions.AddCluster"/> (whose feed shows this instance alone).
    /// </summary>
    public static IServiceCollection AddClusterRelay(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(sp => new ClusterFeed(sp.GetRequiredService<ILeadership>(), sp.GetRequiredService<HealthState>(),
            sp.GetRequiredService<FailoverService>(), relayed: true));
        services.AddHostedSingleton<ClusterRelayService>();
        return services;
    }
}
