using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Patronus.Engine.Hosting;
using Patronus.Engine.Routing;

namespace Patronus.Engine.Tunnels;

/// <summary>Registers the tunnel interface: options, metrics and <see cref="TunnelService"/> (hosted).</summary>
public static class TunnelServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="TunnelOptions"/> (section <c>Tunnels</c>, see docs/tunnels.md),
    /// <see cref="TunnelService"/> and <see cref="Sdwan.TunnelPassiveFeed"/> (the
    /// <see cref="Health.IPathPassiveSource"/> path health reads). The key file defaults to <c>tunnel.key</c> in the data
    /// directory (<c>DataDir</c>, default <c>./data</c> as the server's).
    /// </summary>
    public static IServiceCollection AddTunnels(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSectionOptions<TunnelOptions, TunnelOptionsValidator>(configuration)
            .PostConfigure(o => o.PrivateKeyFile ??= Path.Combine(
                Path.GetFullPath(configuration["DataDir"] is { Length: > 0 } dir ? dir : "./data"), TunnelKeys.PrivateKeyFileName));
        services.TryAddSingleton(sp => Carried(sp.GetRequiredService<IOptions<TunnelOptions>>().Value));
        services.TryAddSingleton<TunnelMetrics>();

        // The traffic classes (validated with the whole configuration at start): what duplicates.
        services.TryAddSingleton(_ => Sdwan.TrafficClassifier.Create(Sdwan.TrafficClassRules.Read(configuration).Classes));
        services.AddHostedSingleton<TunnelService>();

        // The tunnels' passive loss, published for path health to weigh (docs/health.md).
        services.AddHostedSingleton<Sdwan.TunnelPassiveFeed>();
        services.TryAddSingleton<Health.IPathPassiveSource>(sp => sp.GetRequiredService<Sdwan.TunnelPassiveFeed>());
        return services;
    }

    /// <summary>The peers' allowed prefixes, which failover must not route out of a WAN link (<see cref="CarriedPrefixes"/>); none while tunnels are off.</summary>
    internal static CarriedPrefixes Carried(TunnelOptions options)
    {
        if (!options.Enabled)
        {
            return CarriedPrefixes.None;
        }

        var carried = new List<(System.Net.IPNetwork, string)>();
        foreach (var peer in options.Peers)
        {
            foreach (var text in peer.AllowedIps)
            {
                if (IpPrefix.TryParse(text, out var prefix, out _)) // a malformed one fails option validation at start
                {
                    carried.Add((new System.Net.IPNetwork(prefix.Address, prefix.Length), $"tunnel peer {peer.Name}"));
                }
            }
        }

        return new CarriedPrefixes(carried);
    }
}
