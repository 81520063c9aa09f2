using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Patronus.Engine.Cluster;
using Patronus.Persistence;

namespace Patronus.Server.Hosting;

/// <summary>
/// The host's part of the cluster (docs/ha.md): on a PostgreSQL store the leadership comes from the
/// lease (<see cref="ClusterServiceCollectionExtensions.AddClusterLease"/>); on SQLite the engine's
/// single-node leadership stands. Either way the node id and advertised URL get their defaults here,
/// where the data directory and the listen URLs are known.
/// </summary>
internal static class ClusterSetup
{
    public static void AddPatronusCluster(IServiceCollection services, PatronusConfiguration config)
    {
        if (config.Store.Provider == StoreProvider.Postgres)
        {
            services.AddClusterLease();
            services.AddClusterRelay(); // followers' subscriptions show the leader's events (LISTEN/NOTIFY)
        }

        services.PostConfigure<ClusterOptions>(o =>
        {
            if (string.IsNullOrWhiteSpace(o.NodeId))
            {
                o.NodeId = DefaultNodeId(Environment.MachineName, config.DataDir);
            }

            if (string.IsNullOrWhiteSpace(o.AdvertisedUrl))
            {
                o.AdvertisedUrl = config.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
            }

            o.DrainDelay ??= config.Store.Provider == StoreProvider.Postgres ? ClusterOptions.DefaultClusterDrainDelay : TimeSpan.Zero;
            o.DrainMax ??= o.DrainDelay > TimeSpan.Zero
                ? (o.DrainDelay > ClusterOptions.DefaultDrainMax ? o.DrainDelay : ClusterOptions.DefaultDrainMax)
                : TimeSpan.Zero;
        });

        // A graceful stop drains first (Health.ShutdownDrain): the host's shutdown budget grows by the longest drain.
        // (DrainMax is set above whenever there is a drain, and the validator keeps it ≥ DrainDelay.)
        services.AddOptions<HostOptions>().PostConfigure<IOptions<ClusterOptions>>((host, cluster) =>
            host.ShutdownTimeout += cluster.Value.DrainMax ?? TimeSpan.Zero);
    }

    /// <summary>
    /// The host name and the first 8 hex digits of SHA-256 of the full data directory: stable across
    /// restarts, different for two instances on one host (each has its own data directory).
    /// </summary>
    public static string DefaultNodeId(string hostName, string dataDir)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(dataDir)));
        return string.Create(CultureInfo.InvariantCulture, $"{hostName.ToLowerInvariant()}-{Convert.ToHexStringLower(hash)[..8]}");
    }
}
