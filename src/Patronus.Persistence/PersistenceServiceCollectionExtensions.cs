using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Patronus.Engine.Cluster;
using Patronus.Engine.Failover;
using Patronus.Engine.Health;
using Patronus.Engine.Paths;
using Patronus.Persistence.Idempotency;
using Patronus.Persistence.Security;

namespace Patronus.Persistence;

/// <summary>Registers the store.</summary>
public static class PersistenceServiceCollectionExtensions
{
    /// <summary>
    /// Registers one store for <paramref name="location"/> (SQLite or PostgreSQL, created on first
    /// use, disposed with the container) and exposes it as each storage port —
    /// <see cref="IPatronusDatabase"/>, <see cref="ITopologyStore"/>, <see cref="IHealthHistoryStore"/>,
    /// <see cref="IFailoverStore"/>, <see cref="IUserStore"/>, <see cref="IAuditStore"/>,
    /// <see cref="ISecretStore"/>, <see cref="IClusterStore"/>, <see cref="IIdempotencyStore"/>, <see cref="IClusterFeedStore"/> — each measured by <see cref="StoreMetrics"/>. Leader-only writes are fenced with the registered <see cref="ILeadership"/> when
    /// there is one. On PostgreSQL also the <see cref="IClusterChannel"/> (<c>LISTEN/NOTIFY</c>) of the cluster relay. Uses the registered
    /// <see cref="TimeProvider"/> (the system clock when there is none).
    /// </summary>
    public static IServiceCollection AddPatronusPersistence(this IServiceCollection services, StoreLocation location)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(location);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new StoreMetrics(sp.GetService<IMeterFactory>()));
        services.TryAddSingleton(sp => SqlStore.Create(location, sp.GetRequiredService<TimeProvider>(), sp.GetService<ILoggerFactory>(), sp.GetService<ILeadership>()));
        Port<IPatronusDatabase>(services);
        Port<ITopologyStore>(services);
        Port<IHealthHistoryStore>(services);
        Port<IFailoverStore>(services);
        Port<IUserStore>(services);
        Port<IAuditStore>(services);
        Port<ISecretStore>(services);
        Port<IClusterStore>(services);
        Port<IIdempotencyStore>(services);
        Port<IClusterFeedStore>(services);
        if (location.Provider == StoreProvider.Postgres)
        {
            services.TryAddSingleton<IClusterChannel>(_ => new PostgresClusterChannel(location));
        }

        return services;
    }

    private static void Port<TPort>(IServiceCollection services)
        where TPort : class =>
        services.TryAddSingleton(sp => sp.GetRequiredService<StoreMetrics>().Instrument<TPort>((TPort)(object)sp.GetRequiredService<SqlStore>()));
}
