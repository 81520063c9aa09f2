using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Tunnels;

namespace Patronus.Engine.Tests.Tunnels;

public class TunnelServiceTests
{
    [Fact]
    public async Task Start_EnabledWithoutRoot_TunnelsOffWithOneLogLine()
    {
        var logger = new FakeLogger<TunnelService>();
        using var metrics = new TunnelMetrics();
        using var service = new TunnelService(Options.Create(new TunnelOptions { Enabled = true }), metrics, new FakeTimeProvider(), logger, isRoot: false);

        await service.StartAsync(CancellationToken.None);
        await service.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(10));

        var record = Assert.Single(logger.Collector.GetSnapshot());
        Assert.Equal(7050, record.Id.Id);
        Assert.Contains("needs root", record.Message, StringComparison.Ordinal);
        Assert.Null(service.Device);
        Assert.Equal(0, service.ListenPort);
    }

    [Fact]
    public async Task Start_Disabled_DoesNothingAndLogsNothing()
    {
        var logger = new FakeLogger<TunnelService>();
        using var metrics = new TunnelMetrics();
        using var service = new TunnelService(Options.Create(new TunnelOptions()), metrics, new FakeTimeProvider(), logger, isRoot: true);

        await service.StartAsync(CancellationToken.None);
        await service.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Empty(logger.Collector.GetSnapshot());
        Assert.Null(service.Device);
    }
}
