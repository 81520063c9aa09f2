using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Patronus.Engine.Bfd;
using Patronus.Engine.Cluster;
using Patronus.Engine.Failover;
using Patronus.Engine.Health;
using Patronus.Engine.Loops;
using Patronus.Engine.Paths;
using Patronus.Engine.Probes;
using Patronus.Engine.Traffic;
using Patronus.Engine.Tunnels;

namespace Patronus.Engine.Hosting;

/// <summary>Composes the engine from its features, each of which registers itself (<c>Add&lt;Feature&gt;</c>).</summary>
public static class EngineServiceCollectionExtensions
{
    /// <summary>
    /// Adds every engine feature — who leads (<see cref="ClusterServiceCollectionExtensions.AddCluster"/>: the single
    /// instance unless the host added the lease first), topology, probes, path health, BFD, failover (with kernel routes
    /// unless <c>Failover:KernelRoutes</c> is false) and traffic accounting — with their options
    /// bound from <paramref name="configuration"/> and validated at start. The storage ports
    /// (<c>AddPatronusPersistence</c>), logging and, optionally, an <see cref="IMeterFactory"/> come
    /// from the host; <see cref="TimeProvider.System"/> is the clock unless one is registered first.
    /// Hosted services start in the order they are added here and stop in reverse.
    /// </summary>
    public static IServiceCollection AddPatronusEngine(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(TimeProvider.System);
        return services
            .AddCluster(configuration)
            .AddPaths()
            .AddProbes()
            .AddHealth(configuration)
            .AddBfd()
            .AddFailover(configuration)
            .AddTraffic(configuration)
            .AddTunnels(configuration);
    }

    /// <summary>
    /// Options of one section, the one way the engine registers them: bound from
    /// <paramref name="configuration"/>, checked by <typeparamref name="TValidator"/> (ranges and
    /// cross-field rules, each failure naming its key) when the host starts.
    /// </summary>
    internal static OptionsBuilder<TOptions> AddSectionOptions<TOptions, TValidator>(this IServiceCollection services, IConfiguration configuration)
        where TOptions : class
        where TValidator : OptionsSectionValidator<TOptions>, new()
    {
        var validator = new TValidator();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>>(validator));
        return services.AddOptions<TOptions>().Bind(configuration.GetSection(validator.Section)).ValidateOnStart();
    }

    /// <summary>
    /// One loop instance that is a hosted service and an <see cref="IEngineLoop"/> (readiness and
    /// the loop gauges read its heartbeat), plus whatever else it is resolved as by the caller.
    /// </summary>
    internal static IServiceCollection AddEngineLoop<TLoop>(this IServiceCollection services)
        where TLoop : class, IHostedService, IEngineLoop
    {
        services.AddHostedSingleton<TLoop>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEngineLoop, TLoop>(sp => sp.GetRequiredService<TLoop>()));
        return services;
    }

    /// <summary>
    /// One instance that is a hosted service and is resolved as itself (and, by the caller, as
    /// the ports it serves), started in the order of this call among the hosted services.
    /// </summary>
    internal static IServiceCollection AddHostedSingleton<TService>(this IServiceCollection services)
        where TService : class, IHostedService
    {
        services.TryAddSingleton<TService>();
        services.AddHostedService(sp => sp.GetRequiredService<TService>());
        return services;
    }
}
