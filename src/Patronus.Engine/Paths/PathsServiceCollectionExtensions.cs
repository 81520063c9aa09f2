using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Patronus.Engine.Paths;

/// <summary>Registers the topology: sites, links and paths.</summary>
public static class PathsServiceCollectionExtensions
{
    /// <summary>Adds <see cref="TopologyService"/>, over the registered <see cref="ITopologyStore"/>.</summary>
    public static IServiceCollection AddPaths(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<TopologyService>();
        return services;
    }
}
