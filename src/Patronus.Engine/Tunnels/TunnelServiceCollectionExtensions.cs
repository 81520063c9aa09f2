using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Patronus.Engine.Hosting;

namespace Patronus.Engine.Tunnels;

/// <summary>Registers the tunnel interface: options, metrics and <see cref="TunnelService"/> (hosted).</summary>
public static class TunnelServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="TunnelOptions"/> (section <c>Tunnels</c>, see docs/tunnels.md) and
    /// <see cref="TunnelService"/>. The key file defaults to <c>tunnel.key</c> in the data
    /// directory (<c>DataDir</c>, default <c>./data</c> as the server's).
    /// </summary>
    public static IServiceCollection AddTunnels(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSectionOptions<TunnelOptions, TunnelOptionsValidator>(configuration)
            .PostConfigure(o => o.PrivateKeyFile ??= Path.Combine(
                Path.GetFullPath(configuration["DataDir"] is { Length: > 0 } dir ? dir : "./data"), TunnelKeys.PrivateKeyFileName));
        services.TryAddSingleton<TunnelMetrics>();
        services.AddHostedSingleton<TunnelService>();
        return services;
    }
}
