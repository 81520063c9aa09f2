using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Bfd;
using Patronus.Engine.Cluster;
using Patronus.Engine.Failover;
using Patronus.Engine.Health;
using Patronus.Engine.Hosting;
using Patronus.Engine.Loops;
using Patronus.Engine.Probes;
using Patronus.Engine.Routing;
using Patronus.Engine.Routing.Kernel;
using Patronus.Engine.Traffic;
using Patronus.Engine.Tunnels;
using Patronus.Persistence;

namespace Patronus.Engine.Tests.Hosting;

/// <summary>
/// The engine as <c>serve</c> composes it (<see cref="EngineServiceCollectionExtensions.AddPatronusEngine"/>),
/// over a real SQLite store in a temporary directory, on a fake clock.
/// </summary>
public sealed class EngineServiceCollectionExtensionsTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("patronus-engine-");
    private readonly FakeTimeProvider _clock = new();

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task AddPatronusEngine_Defaults_ResolvesEveryHostedServiceInStartOrder()
    {
        await using var provider = Build(SectionOptions.Configuration());

        // Hosts start these in this order and stop them in reverse: the recorders stop after the
        // loops that feed them.
        Assert.Equal(
            [typeof(ClusterStateSizeService), typeof(HealthRecorder), typeof(HealthRollupService), typeof(PathHealthMonitor), typeof(BfdService),
             typeof(FailoverEventRecorder), typeof(FailoverService), typeof(TrafficAccountingService), typeof(TunnelService),
             typeof(Patronus.Engine.Tunnels.Sdwan.TunnelPassiveFeed)],
            provider.GetServices<IHostedService>().Select(s => s.GetType()));
        Assert.Equal(["health_monitor", "bfd", "failover"], provider.GetServices<IEngineLoop>().Select(l => l.LoopName));
        Assert.Same(provider.GetRequiredService<PathHealthMonitor>(), provider.GetServices<IEngineLoop>().First());
        Assert.Same(provider.GetRequiredService<BfdService>(), provider.GetRequiredService<IPathLivenessSource>());
        Assert.Same(provider.GetRequiredService<Patronus.Engine.Tunnels.Sdwan.TunnelPassiveFeed>(), provider.GetRequiredService<IPathPassiveSource>());
        Assert.Same(provider.GetRequiredService<HealthRecorder>(), provider.GetRequiredService<IHealthSink>());
        Assert.Same(provider.GetRequiredService<TrafficAccountingService>(), provider.GetRequiredService<ITrafficSource>());
        Assert.Same(_clock, provider.GetRequiredService<TimeProvider>());
        Assert.IsType<KernelRouteApplier>(provider.GetRequiredService<IRouteApplier>());
        provider.GetRequiredService<IStartupValidator>().Validate();
    }

    [Fact]
    public async Task AddPatronusEngine_Twice_RegistersEachServiceOnce()
    {
        var configuration = SectionOptions.Configuration();

        await using var provider = Services().AddPatronusEngine(configuration).AddPatronusEngine(configuration).BuildServiceProvider();

        Assert.Equal(10, provider.GetServices<IHostedService>().Count());
        Assert.Equal(3, provider.GetServices<IEngineLoop>().Count());
        Assert.Equal(2, provider.GetServices<IProbeSessionFactory>().Count());
        Assert.Single(provider.GetServices<IValidateOptions<HealthOptions>>());
        provider.GetRequiredService<IStartupValidator>().Validate();
    }

    [Fact]
    public async Task AddPatronusEngine_NoTimeProvider_SystemClock()
    {
        await using var provider = new ServiceCollection().AddPatronusEngine(SectionOptions.Configuration()).BuildServiceProvider();

        Assert.Same(TimeProvider.System, provider.GetRequiredService<TimeProvider>());
    }

    [Theory]
    [InlineData("false", false)]
    [InlineData("False", false)]
    [InlineData("true", true)]
    [InlineData(null, true)]
    public async Task AddPatronusEngine_KernelRoutes_ApplierOnlyWhenOn(string? kernelRoutes, bool registered)
    {
        await using var provider = Build(SectionOptions.Configuration(("Failover:KernelRoutes", kernelRoutes)));

        Assert.Equal(registered, provider.GetService<IRouteApplier>() is KernelRouteApplier);
        Assert.NotNull(provider.GetRequiredService<FailoverService>());
    }

    [Fact]
    public async Task AddPatronusEngine_RouteTableAndMetric_FromFailoverSection()
    {
        await using var provider = Build(SectionOptions.Configuration(("Failover:RouteTable", "4294967295"), ("Failover:RouteMetric", "100")));

        var routes = provider.GetRequiredService<IOptions<KernelRouteOptions>>().Value;
        Assert.Equal((uint.MaxValue, 100u), (routes.Table, routes.Metric));
    }

    [Theory]
    [InlineData("Health:MinTimeout", "00:00:02", "Health:MinTimeout: 00:00:02 is greater than MaxTimeout 00:00:01")]
    [InlineData("Health:Persistence:MinuteRetention", "01:00:00", "Health:Persistence: MinuteRetention (01:00:00) must be at least RawRetention (1.00:00:00)")]
    [InlineData("Failover:RouteRetry", "00:00:00", "Failover: FlapWindow and RouteRetry must be positive, FlapHold not negative")]
    [InlineData("Traffic:ReadInterval", "00:00:00.001", "Traffic:ReadInterval: The field ReadInterval must be between 00:00:00.1000000 and 01:00:00.")]
    public async Task AddPatronusEngine_BadOption_StartupValidationNamesKey(string key, string value, string message)
    {
        await using var provider = Build(SectionOptions.Configuration((key, value)));

        var ex = Assert.Throws<OptionsValidationException>(provider.GetRequiredService<IStartupValidator>().Validate);
        Assert.Equal(message, Assert.Single(ex.Failures));
    }

    private ServiceProvider Build(IConfiguration configuration) =>
        Services().AddPatronusEngine(configuration).BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

    /// <summary>What the host brings: the clock, logging and the store's ports.</summary>
    private IServiceCollection Services()
    {
        Assert.True(StoreLocation.TryParse("sqlite:" + Path.Combine(_dir.FullName, "patronus.db"), _dir.FullName, out var location, out var error), error);
        return new ServiceCollection()
            .AddSingleton<TimeProvider>(_clock)
            .AddLogging()
            .AddPatronusPersistence(location!);
    }
}
