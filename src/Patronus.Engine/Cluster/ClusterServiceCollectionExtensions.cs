using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Patronus.Engine.Hosting;

namespace Patronus.Engine.Cluster;

/// <summary>Registers the cluster: who leads, and (on a shared store) membership and the leader lease.</summary>
public static class ClusterServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="ClusterOptions"/> (section <c>Cluster</c>), <see cref="ClusterMetrics"/>, <see cref="ClusterReader"/> (needs an
    /// <see cref="IClusterStore"/>) and the
    /// <see cref="ClusterFeed"/> (the live view the APIs show), <see cref="ClusterStateSizeService"/> and the
    /// <see cref="ILeadership"/> every leader-only feature consults: unless
    /// <see cref="AddClusterLease"/> came first, the single-node one (always leader, term 1).
    /// </summary>
    public static IServiceCollection AddCluster(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSectionOptions<ClusterOptions, ClusterOptionsValidator>(configuration);
        services.TryAddSingleton(sp => Leadership.SingleNode(NodeIdOf(sp), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<ILeadership>(sp => sp.GetRequiredService<Leadership>());
        services.TryAddSingleton<ClusterMetrics>();
        services.TryAddSingleton<ClusterReader>();
        services.TryAddSingleton(sp => new ClusterFeed(sp.GetRequiredService<ILeadership>(), sp.GetRequiredService<Health.HealthState>(),
            sp.GetRequiredService<Failover.FailoverService>()));
        services.AddHostedSingleton<ClusterStateSizeService>();
        return services;
    }

    /// <summary>
    /// For a store several instances share: the leadership comes from the lease
    /// (<see cref="ClusterService"/>, which needs an <see cref="IClusterStore"/>). Call before
    /// <see cref="AddCluster"/> and before the features, so that the cluster service starts first and
    /// stops last — after the recorders have written what they hold under the lease.
    /// </summary>
    public static IServiceCollection AddClusterLease(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(sp => new Leadership(NodeIdOf(sp), sp.GetRequiredService<TimeProvider>()));
        services.AddHostedSingleton<ClusterService>();
        return services;
    }

    private static string NodeIdOf(IServiceProvider sp)
    {
        var id = sp.GetRequiredService<IOptions<ClusterOptions>>().Value.NodeId;
        return string.IsNullOrWhiteSpace(id) ? Environment.MachineName : id;
    }
}
