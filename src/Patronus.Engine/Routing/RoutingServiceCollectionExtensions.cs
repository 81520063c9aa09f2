using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Patronus.Engine.Routing.Kernel;

namespace Patronus.Engine.Routing;

/// <summary>Registers how routes leave the engine.</summary>
public static class RoutingServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="KernelRouteApplier"/> (rtnetlink) as the <see cref="IRouteApplier"/>,
    /// writing into the table and with the metric of <see cref="KernelRouteOptions"/> (configure
    /// them with <c>AddOptions&lt;KernelRouteOptions&gt;()</c>). Disposed with the container.
    /// </summary>
    public static IServiceCollection AddKernelRoutes(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<KernelRouteOptions>();
        services.TryAddSingleton<IRouteApplier>(sp =>
        {
            // rtnetlink carries table and metric as u32; the applier takes their bits as int.
            var options = sp.GetRequiredService<IOptions<KernelRouteOptions>>().Value;
            return new KernelRouteApplier(unchecked((int)options.Table), unchecked((int)options.Metric));
        });
        return services;
    }
}
