using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Patronus.Engine.Hosting;

namespace Patronus.Engine.Health;

/// <summary>Registers path health: the monitor loop, the shared state, history persistence and rollups.</summary>
public static class HealthServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="HealthOptions"/> (section <c>Health</c>) and <see cref="HealthPersistenceOptions"/>
    /// (<c>Health:Persistence</c>) from <paramref name="configuration"/>, <see cref="HealthState"/>,
    /// <see cref="HealthRecorder"/> (the <see cref="IHealthSink"/>), <see cref="HealthRollupService"/>
    /// and the <see cref="PathHealthMonitor"/> loop. Needs the topology, the probes, the history
    /// store and, when BFD is added, uses it as the <see cref="IPathLivenessSource"/>.
    /// </summary>
    public static IServiceCollection AddHealth(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSectionOptions<HealthOptions, HealthOptionsValidator>(configuration);
        services.AddSectionOptions<HealthPersistenceOptions, HealthPersistenceOptionsValidator>(configuration);
        services.TryAddSingleton<HealthState>();
        services.TryAddSingleton<HealthMetrics>();

        // The recorder before the monitor: hosted services stop in reverse order, so the monitor
        // has taken its last sample before the recorder writes what is queued and stops.
        services.AddHostedSingleton<HealthRecorder>();
        services.TryAddSingleton<IHealthSink>(sp => sp.GetRequiredService<HealthRecorder>());
        services.AddHostedService<HealthRollupService>();
        services.AddEngineLoop<PathHealthMonitor>();
        return services;
    }
}
