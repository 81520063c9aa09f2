using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Patronus.Engine.Cluster;

namespace Patronus.Server.Health;

/// <summary>
/// A graceful stop goes unready first (docs/ha.md): the moment the host starts stopping (SIGTERM),
/// <c>/health/ready</c> answers 503 (<see cref="ShutdownHealthCheck"/>) while the instance keeps
/// serving every request and doing its work as leader for <see cref="ClusterOptions.DrainDelay"/>,
/// and after that for as long as requests still arrive: the drain ends once no request other than
/// a health check has begun for <see cref="Quiet"/> (the load balancer has stopped sending), or at
/// <see cref="ClusterOptions.DrainMax"/>. Only then do the hosted services stop — the server stops
/// accepting connections and finishes its requests, the features write what they hold, the lease is
/// released. So a load balancer checking readiness takes the node out on its checks, however slow
/// they are on a loaded box, and no request meets a closed port. Runs in
/// <see cref="IHostedLifecycleService.StoppingAsync"/>, which the host calls for every service before
/// any <see cref="IHostedService.StopAsync"/>; requests are seen by <see cref="RequestStarted"/>
/// (a middleware at the front of the pipeline).
/// </summary>
public sealed partial class ShutdownDrain(IOptions<ClusterOptions> options, TimeProvider time, ILogger<ShutdownDrain> logger) : IHostedLifecycleService
{
    /// <summary>
    /// How long no request may have begun before the drain ends (after <see cref="ClusterOptions.DrainDelay"/>).
    /// A balancer that has marked the node DOWN sends nothing new at once; one that still routes
    /// to it sends more often than this under any load worth draining (the cluster lab's client:
    /// ~70 requests a second per node). A node with rarer requests ends its drain at the delay, as
    /// before the quiet rule.
    /// </summary>
    public static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(250);

    private int _draining;
    private long _lastRequest;

    /// <summary>True from the start of a graceful stop.</summary>
    public bool Draining => Volatile.Read(ref _draining) != 0;

    /// <summary>A request began (<paramref name="path"/>); while draining, one other than a health check postpones the drain's end.</summary>
    public void RequestStarted(PathString path)
    {
        if (Volatile.Read(ref _draining) != 0 && !path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase))
        {
            Volatile.Write(ref _lastRequest, time.GetTimestamp());
        }
    }

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        Volatile.Write(ref _lastRequest, started);
        Volatile.Write(ref _draining, 1);
        var delay = options.Value.DrainDelay ?? TimeSpan.Zero;
        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        var max = options.Value.DrainMax is { } m && m > delay ? m : delay;
        LogDraining(logger, delay.TotalMilliseconds, max.TotalMilliseconds);
        try
        {
            await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            while (true)
            {
                var now = time.GetTimestamp();
                var left = max - time.GetElapsedTime(started, now);
                var quietFor = time.GetElapsedTime(Volatile.Read(ref _lastRequest), now);
                if (quietFor >= Quiet || left <= TimeSpan.Zero)
                {
                    var elapsedMs = time.GetElapsedTime(started, now).TotalMilliseconds;
                    LogDrained(logger, elapsedMs, quietFor >= Quiet ? "no request for 250 ms" : "at its maximum, requests still arriving");
                    return;
                }

                var wait = Quiet - quietFor;
                await Task.Delay(wait < left ? wait : left, time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown budget ran out: stop now.
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 130, Level = LogLevel.Information, Message = "Stopping: unready now, serving for {DelayMs} ms more (up to {MaxMs} ms while requests still arrive) so the load balancer drains this node")]
    private static partial void LogDraining(ILogger logger, double delayMs, double maxMs);

    [LoggerMessage(EventId = 131, Level = LogLevel.Information, Message = "Drained after {ElapsedMs} ms ({Why}): closing the listener")]
    private static partial void LogDrained(ILogger logger, double elapsedMs, string why);
}

/// <summary>Unhealthy (so <c>/health/ready</c> answers 503) once a graceful stop has begun.</summary>
internal sealed class ShutdownHealthCheck(ShutdownDrain drain) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(drain.Draining ? HealthCheckResult.Unhealthy("stopping: draining before the listener closes") : HealthCheckResult.Healthy("running"));
}
