using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Patronus.Engine.Cluster;

namespace Patronus.Server.Health;

/// <summary>
/// A graceful stop goes unready first (docs/ha.md): the moment the host starts stopping (SIGTERM),
/// <c>/health/ready</c> answers 503 (<see cref="ShutdownHealthCheck"/>) while the instance keeps
/// serving every request and doing its work as leader for <see cref="ClusterOptions.DrainDelay"/>; only
/// then do the hosted services stop — the server stops accepting connections and finishes its
/// requests, the features write what they hold, the lease is released. So a load balancer checking
/// readiness takes the node out on its checks, and no request meets a closed port. Runs in
/// <see cref="IHostedLifecycleService.StoppingAsync"/>, which the host calls for every service before
/// any <see cref="IHostedService.StopAsync"/>.
/// </summary>
public sealed partial class ShutdownDrain(IOptions<ClusterOptions> options, TimeProvider time, ILogger<ShutdownDrain> logger) : IHostedLifecycleService
{
    private int _draining;

    /// <summary>True from the start of a graceful stop.</summary>
    public bool Draining => Volatile.Read(ref _draining) != 0;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        Volatile.Write(ref _draining, 1);
        var delay = options.Value.DrainDelay ?? TimeSpan.Zero;
        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        LogDraining(logger, delay.TotalMilliseconds);
        try
        {
            await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
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

    [LoggerMessage(EventId = 130, Level = LogLevel.Information, Message = "Stopping: unready now, serving for {DelayMs} ms more so the load balancer drains this node")]
    private static partial void LogDraining(ILogger logger, double delayMs);
}

/// <summary>Unhealthy (so <c>/health/ready</c> answers 503) once a graceful stop has begun.</summary>
internal sealed class ShutdownHealthCheck(ShutdownDrain drain) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(drain.Draining ? HealthCheckResult.Unhealthy("stopping: draining before the listener closes") : HealthCheckResult.Healthy("running"));
}
