using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Patronus.Engine.Hosting;
using Patronus.Engine.Routing;
using Patronus.Engine.Routing.Kernel;

namespace Patronus.Engine.Failover;

/// <summary>Registers failover: policies, the decision loop, its events and the routes it installs.</summary>
public static class FailoverServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="FailoverOptions"/> (section <c>Failover</c>) from <paramref name="configuration"/>,
    /// <see cref="FailoverPolicyService"/>, <see cref="FailoverMetrics"/>, the
    /// <see cref="FailoverEventRecorder"/> and the <see cref="FailoverService"/> loop, and — unless
    /// <c>Failover:KernelRoutes</c> is false — kernel routes (<see cref="RoutingServiceCollectionExtensions.AddKernelRoutes"/>)
    /// in <c>Failover:RouteTable</c> with <c>Failover:RouteMetric</c>. Needs the topology, path
    /// health and the failover store; uses BFD when it is added.
    /// </summary>
    public static IServiceCollection AddFailover(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSectionOptions<FailoverOptions, FailoverOptionsValidator>(configuration);
        services.TryAddSingleton<FailoverPolicyService>();
        services.TryAddSingleton<FailoverMetrics>();
        services.AddHostedSingleton<FailoverEventRecorder>(); // registered first: stops last, after the last event

        // Decided here, not per resolve: without an applier the loop keeps its route table to
        // itself. A value that is not a boolean is reported by option validation at start.
        var kernelRoutes = configuration.GetSection(FailoverOptions.Section)[nameof(FailoverOptions.KernelRoutes)];
        if (!bool.TryParse(kernelRoutes, out var enabled) || enabled)
        {
            services.AddKernelRoutes();
            services.AddOptions<KernelRouteOptions>().Configure<IOptions<FailoverOptions>>((routes, failover) =>
            {
                // Both validated to 1–4294967295 and 0–4294967295.
                routes.Table = (uint)failover.Value.RouteTable;
                routes.Metric = (uint)failover.Value.RouteMetric;
            });
        }

        services.AddEngineLoop<FailoverService>();
        return services;
    }
}
