using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Health;
using Patronus.Engine.Routing;
using Patronus.Engine.Traffic;
using Patronus.Server.Hosting;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.Hosting;

/// <summary>The composition root: what <see cref="ServerApp.Build"/> hands the engine (built, not started).</summary>
public sealed class ServerAppTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Build_EngineSections_ReachTheEngine()
    {
        var config = PatronusConfiguration.Load(new CommandLineOverrides(DataDir: _dir.Path, Urls: "http://127.0.0.1:0"), new Dictionary<string, string?>
        {
            ["PATRONUS__HEALTH__INTERVAL"] = "00:00:02",
            ["PATRONUS__HEALTH__PERSISTENCE__RAWRETENTION"] = "2.00:00:00",
            ["PATRONUS__FAILOVER__KERNELROUTES"] = "false",
            ["PATRONUS__TRAFFIC__ENABLED"] = "false",
        }, out var errors);
        Assert.True(config is not null, string.Join("\n", errors));
        var clock = new FakeTimeProvider();

        await using var app = ServerApp.Build(config!, clock, l => l.SetMinimumLevel(LogLevel.None));

        Assert.Equal(TimeSpan.FromSeconds(2), app.Services.GetRequiredService<IOptions<HealthOptions>>().Value.Interval);
        Assert.Equal(TimeSpan.FromDays(2), app.Services.GetRequiredService<IOptions<HealthPersistenceOptions>>().Value.RawRetention);
        Assert.False(app.Services.GetRequiredService<IOptions<TrafficOptions>>().Value.Enabled);
        Assert.Null(app.Services.GetService<IRouteApplier>());
        Assert.Same(clock, app.Services.GetRequiredService<TimeProvider>());

        // No thread of serve waits for the console (issue 14: a burst of 10,000 log lines stalled
        // the health monitor's loop): a full queue drops lines instead of blocking the writer.
        var console = app.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue;
        Assert.Equal(ConsoleLoggerQueueFullMode.DropWrite, console.QueueFullMode);
        Assert.Equal(ServerApp.ConsoleQueueLength, console.MaxQueueLength);

        // Started in this order, stopped in reverse: the store first, the reflector after the engine.
        var hosted = app.Services.GetServices<IHostedService>().Select(s => s.GetType().Name).ToList();
        string[] order = [nameof(StoreInitializer), nameof(HealthRecorder), nameof(TrafficAccountingService), nameof(ReflectorService)];
        Assert.Equal(order, hosted.Where(order.Contains));
    }
}
