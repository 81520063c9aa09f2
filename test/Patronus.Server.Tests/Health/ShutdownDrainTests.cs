using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Cluster;
using Patronus.Server.Health;
using Patronus.Server.Tests.TestSupport;
using Patronus.TestSupport;

namespace Patronus.Server.Tests.Health;

/// <summary>A graceful stop goes unready first and keeps serving for the drain delay (<see cref="ShutdownDrain"/>, docs/ha.md).</summary>
public sealed class ShutdownDrainTests
{
    private static ShutdownDrain Drain(TimeSpan? delay, TimeProvider time) =>
        new(Options.Create(new ClusterOptions { DrainDelay = delay }), time, NullLogger<ShutdownDrain>.Instance);

    [Fact]
    public async Task StoppingAsync_WithDelay_DrainingAtOnceAndDoneOnlyAfterTheDelay()
    {
        var time = new FakeTimeProvider();
        var drain = Drain(TimeSpan.FromSeconds(2), time);
        Assert.False(drain.Draining);

        var stopping = drain.StoppingAsync(CancellationToken.None);

        Assert.True(drain.Draining);
        time.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.False(stopping.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await stopping.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task StoppingAsync_NoDelayOrBudgetGone_DoneAtOnceStillDraining()
    {
        var time = new FakeTimeProvider();
        var none = Drain(TimeSpan.Zero, time);
        await none.StoppingAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(none.Draining);

        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Drain(TimeSpan.FromSeconds(2), time).StoppingAsync(cancelled.Token).WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task GracefulStop_ReadyTurns503AtOnceWhileTheApiStillAnswers_StopWaitsOutTheDrain()
    {
        var delay = TimeSpan.FromSeconds(3);
        await using var server = await RunningServer.StartAsync(environment: new() { ["PATRONUS__CLUSTER__DRAINDELAY"] = "00:00:03" });
        using var ready = await server.Anonymous.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

        var clock = Stopwatch.StartNew();
        var stop = server.StopAsync();

        // Before the drain the listener closed at once: the ready check saw a refused connection, never a 503.
        await Poll.AssertAsync(async () =>
        {
            using var check = await server.Anonymous.GetAsync("/health/ready");
            return check.StatusCode == HttpStatusCode.ServiceUnavailable;
        }, delay, "/health/ready answers 503 while stopping");
        using var api = await server.Client.GetAsync("/api/v1/sites");
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        Assert.False(stop.IsCompleted, $"stopped after {clock.ElapsedMilliseconds} ms, before its drain of {delay}");

        await stop;
        Assert.True(clock.Elapsed >= delay - TimeSpan.FromMilliseconds(50), $"stopped after {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task DrainDelay_UnsetOnSqlite_ZeroAndShutdownBudgetUnchanged_SetDelay_AddedToTheBudget()
    {
        await using var single = await RunningServer.StartAsync(createAdmin: false);
        Assert.Equal(TimeSpan.Zero, single.Services.GetRequiredService<IOptions<ClusterOptions>>().Value.DrainDelay);
        Assert.Equal(Patronus.Server.Hosting.ServerApp.ShutdownTimeout, single.Services.GetRequiredService<IOptions<Microsoft.Extensions.Hosting.HostOptions>>().Value.ShutdownTimeout);

        await using var draining = await RunningServer.StartAsync(environment: new() { ["PATRONUS__CLUSTER__DRAINDELAY"] = "00:00:03" }, createAdmin: false);
        Assert.Equal(Patronus.Server.Hosting.ServerApp.ShutdownTimeout + TimeSpan.FromSeconds(3),
            draining.Services.GetRequiredService<IOptions<Microsoft.Extensions.Hosting.HostOptions>>().Value.ShutdownTimeout);
    }
}
