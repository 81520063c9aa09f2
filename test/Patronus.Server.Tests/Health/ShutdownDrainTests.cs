using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Http;
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
    private static ShutdownDrain Drain(TimeSpan? delay, TimeProvider time, TimeSpan? max = null) =>
        new(Options.Create(new ClusterOptions { DrainDelay = delay, DrainMax = max }), time, NullLogger<ShutdownDrain>.Instance);

    private static readonly PathString Api = "/api/v1/sites";

    /// <summary>
    /// Runs a fake-time test off xUnit's synchronization context. On that context the drain's
    /// continuation after a fake timer fires is queued to the thread pool instead of running inside
    /// <c>Advance</c>; when the pool is slow (the full suite), the test advances on, the drain reads
    /// the clock late and arms its next timer past the test's last <c>Advance</c>, and never ends
    /// (a stalled pool reproduces it every time). Off the context it runs inside <c>Advance</c>.
    /// </summary>
    private static Task OnFakeTime(Func<Task> test) => Task.Run(test);

    [Fact]
    public Task StoppingAsync_RequestsStillArrivingAfterTheDelay_DrainGoesOnUntil250msWithoutOne() => OnFakeTime(async () =>
    {
        var time = new FakeTimeProvider();
        var drain = Drain(TimeSpan.FromSeconds(2), time, TimeSpan.FromSeconds(5));
        drain.RequestStarted(Api); // before the stop: does not count
        var stopping = drain.StoppingAsync(CancellationToken.None);

        time.Advance(TimeSpan.FromMilliseconds(1900));
        drain.RequestStarted(Api);
        time.Advance(TimeSpan.FromMilliseconds(100)); // the delay is over, but a request began 100 ms ago
        Assert.False(stopping.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(100));
        drain.RequestStarted(Api);
        drain.RequestStarted("/health/ready"); // health checks do not postpone the end
        time.Advance(TimeSpan.FromMilliseconds(249));
        Assert.False(stopping.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await stopping.WaitAsync(TimeSpan.FromSeconds(5));
    });

    [Fact]
    public Task StoppingAsync_RequestsNeverStop_DrainEndsAtItsMaximum() => OnFakeTime(async () =>
    {
        var time = new FakeTimeProvider();
        var drain = Drain(TimeSpan.FromSeconds(1), time, TimeSpan.FromSeconds(3));
        var stopping = drain.StoppingAsync(CancellationToken.None);
        for (var at = 0; at < 2990; at += 10)
        {
            drain.RequestStarted(Api);
            time.Advance(TimeSpan.FromMilliseconds(10));
            Assert.False(stopping.IsCompleted, $"done at {at + 10} ms");
        }

        drain.RequestStarted(Api);
        time.Advance(TimeSpan.FromMilliseconds(10));
        await stopping.WaitAsync(TimeSpan.FromSeconds(5));
    });

    [Fact]
    public Task StoppingAsync_OnlyHealthChecksDuringTheDelay_EndsAtTheDelay() => OnFakeTime(async () =>
    {
        var time = new FakeTimeProvider();
        var drain = Drain(TimeSpan.FromSeconds(2), time, TimeSpan.FromSeconds(5));
        var stopping = drain.StoppingAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(1990));
        drain.RequestStarted("/health/ready");
        drain.RequestStarted("/HEALTH");
        time.Advance(TimeSpan.FromMilliseconds(10));
        await stopping.WaitAsync(TimeSpan.FromSeconds(5));
    });

    [Fact]
    public Task StoppingAsync_WithDelay_DrainingAtOnceAndDoneOnlyAfterTheDelay() => OnFakeTime(async () =>
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
    });

    [Fact]
    public Task StoppingAsync_NoDelayOrBudgetGone_DoneAtOnceStillDraining() => OnFakeTime(async () =>
    {
        var time = new FakeTimeProvider();
        var none = Drain(TimeSpan.Zero, time);
        await none.StoppingAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(none.Draining);

        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Drain(TimeSpan.FromSeconds(2), time).StoppingAsync(cancelled.Token).WaitAsync(TimeSpan.FromSeconds(5));
    });

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
        Assert.Equal(TimeSpan.FromSeconds(5), draining.Services.GetRequiredService<IOptions<ClusterOptions>>().Value.DrainMax);
        Assert.Equal(Patronus.Server.Hosting.ServerApp.ShutdownTimeout + TimeSpan.FromSeconds(5),
            draining.Services.GetRequiredService<IOptions<Microsoft.Extensions.Hosting.HostOptions>>().Value.ShutdownTimeout);

        await using var longer = await RunningServer.StartAsync(environment: new() { ["PATRONUS__CLUSTER__DRAINDELAY"] = "00:00:08" }, createAdmin: false);
        Assert.Equal(TimeSpan.FromSeconds(8), longer.Services.GetRequiredService<IOptions<ClusterOptions>>().Value.DrainMax);
    }

    [Fact]
    public void Validator_DrainMaxBelowDrainDelay_NamesBoth()
    {
        var result = new ClusterOptionsValidator().Validate(null, new ClusterOptions { DrainDelay = TimeSpan.FromSeconds(2), DrainMax = TimeSpan.FromSeconds(1) });
        Assert.True(result.Failed);
        Assert.Contains("DrainMax (00:00:01) must be at least DrainDelay (00:00:02)", result.FailureMessage, StringComparison.Ordinal);
        Assert.False(new ClusterOptionsValidator().Validate(null, new ClusterOptions { DrainDelay = TimeSpan.FromSeconds(2), DrainMax = TimeSpan.FromSeconds(2) }).Failed);
    }

    [Fact]
    public async Task GracefulStop_ApiRequestsStillArriving_ServesUntilTheyStop()
    {
        await using var server = await RunningServer.StartAsync(environment: new()
        {
            ["PATRONUS__CLUSTER__DRAINDELAY"] = "00:00:01",
            ["PATRONUS__CLUSTER__DRAINMAX"] = "00:00:20",
        });
        var clock = Stopwatch.StartNew();
        var stop = server.StopAsync();
        var answered = 0;

        // A balancer that has not taken the node out yet keeps sending: every request is served,
        // for well past the 1 s delay, and the node stops once they end.
        while (clock.Elapsed < TimeSpan.FromSeconds(3))
        {
            using var api = await server.Client.GetAsync("/api/v1/sites");
            Assert.Equal(HttpStatusCode.OK, api.StatusCode);
            answered++;
            Assert.False(stop.IsCompleted, $"stopped after {clock.ElapsedMilliseconds} ms while requests still arrived");
        }

        var lastRequest = clock.Elapsed;
        await stop.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.True(answered > 10, $"{answered} requests");
        Assert.True(clock.Elapsed >= lastRequest + ShutdownDrain.Quiet - TimeSpan.FromMilliseconds(50), $"stopped {clock.ElapsedMilliseconds} ms after the stop began, last request at {lastRequest.TotalMilliseconds:F0} ms");
    }
}
