using Patronus.Engine.Traffic;

namespace Patronus.Server.Hosting;

/// <summary>Wires traffic accounting (src/Patronus.Engine/Traffic) into <c>serve</c>.</summary>
public static class TrafficRegistration
{
    /// <summary>
    /// Adds the accounting service and <see cref="ITrafficSource"/> with the <c>Traffic</c> section
    /// of <paramref name="config"/> (defaults when absent): see docs/traffic.md.
    /// </summary>
    public static IServiceCollection AddPatronusTraffic(this IServiceCollection services, PatronusConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return services.AddTraffic(config.Traffic ?? new TrafficOptions());
    }
}
