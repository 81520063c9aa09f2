using Microsoft.Extensions.Diagnostics.HealthChecks;
using Patronus.Persistence;
using Patronus.Server.Hosting;

namespace Patronus.Server.Health;

/// <summary>One answer of the store to <see cref="StoreProbe"/>: its schema version, or why there was none; when (a <see cref="TimeProvider"/> timestamp).</summary>
public sealed record StoreReading(int? SchemaVersion, string? Failure, long AnsweredAt);

/// <summary>
/// Asks the store for its schema version every <see cref="Interval"/> on a loop of its own and keeps
/// the latest answer, which <see cref="StoreHealthCheck"/> reads: <c>/health/ready</c> answers from
/// memory and never waits for the store.
/// <para>
/// Why: a load balancer gives a check little time (HAProxy's whole check is bounded by its
/// <c>inter</c>, 500 ms in deploy/haproxy/haproxy.cfg), and a check that queried the store took
/// the store's time under load plus its turn in the pool behind the node's requests. The store is
/// shared, so when it is slow it is slow for every node at once: the cluster lab (docs/ha.md) saw
/// all three nodes' checks time out together at the start of a rolling restart on a loaded box
/// (store 0.5–2.2 s, checks 524–558 ms) and HAProxy answer "503 No server is available". Slow is
/// not down; a store that does not answer within <see cref="HealthEndpoints.StoreCheckTimeout"/>,
/// or fails, still turns the node unready as before.
/// </para>
/// </summary>
public sealed class StoreProbe(IPatronusDatabase store, TimeProvider time) : BackgroundService
{
    /// <summary>Between two questions: a store that starts failing is seen within this plus a query.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    private StoreReading? _last;
    private long _askedAt;

    /// <summary>The latest answer, or null before the first.</summary>
    public StoreReading? Last => Volatile.Read(ref _last);

    /// <summary>How long the question now asked has been waiting; null when none is.</summary>
    public TimeSpan? Waiting => Volatile.Read(ref _askedAt) is var asked and not 0 ? time.GetElapsedTime(asked) : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            await AskAsync(stoppingToken).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>One question, given up after <see cref="HealthEndpoints.StoreCheckTimeout"/> on this clock whatever the driver does.</summary>
    internal async Task AskAsync(CancellationToken cancellationToken)
    {
        Volatile.Write(ref _askedAt, time.GetTimestamp());
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(HealthEndpoints.StoreCheckTimeout);
        StoreReading reading;
        try
        {
            // Bounded here too, not only by the token: on a black-holed store (packets dropped, no
            // reset) the driver's cancellation itself waits on the network.
            var version = await store.GetSchemaVersionAsync(timeout.Token).WaitAsync(HealthEndpoints.StoreCheckTimeout, time, cancellationToken).ConfigureAwait(false);
            reading = new StoreReading(version, null, time.GetTimestamp());
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
            reading = new StoreReading(null, $"no answer within {HealthEndpoints.StoreCheckTimeout.TotalSeconds} s", time.GetTimestamp());
        }
#pragma warning disable CA1031 // a failing store is a reading, not a crash of the loop
        catch (Exception ex)
#pragma warning restore CA1031
        {
            reading = new StoreReading(null, $"query failed: {ex.Message}", time.GetTimestamp());
        }

        Volatile.Write(ref _last, reading);
        Volatile.Write(ref _askedAt, 0);
    }
}

/// <summary>
/// Healthy once migrations ran and the store answered <see cref="StoreProbe"/>'s latest question,
/// none has been waiting <see cref="HealthEndpoints.StoreCheckTimeout"/> and the latest answer is
/// recent; answered from memory, without a query.
/// </summary>
internal sealed class StoreHealthCheck(IPatronusDatabase store, StoreState state, StoreProbe probe, TimeProvider time) : IHealthCheck
{
    /// <summary>An answer older than this (with no question waiting) is not trusted: the probe's loop is not running.</summary>
    public static readonly TimeSpan StaleAfter = HealthEndpoints.StoreCheckTimeout + StoreProbe.Interval;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>
        {
            ["provider"] = store.Provider == StoreProvider.Postgres ? "postgres" : "sqlite",
            ["location"] = store.Description,
        };
        if (!state.Migrated)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"migrations have not run: {state.LastFailure}", data: data));
        }

        var bound = HealthEndpoints.StoreCheckTimeout;
        if (probe.Waiting is { } waiting && waiting >= bound)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"no answer within {bound.TotalSeconds} s", data: data));
        }

        if (probe.Last is not { } last)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("not answered yet", data: data));
        }

        var age = time.GetElapsedTime(last.AnsweredAt);
        data["answered_ms_ago"] = Math.Round(age.TotalMilliseconds);
        if (last.Failure is { } failure)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy(failure, data: data));
        }

        if (age > StaleAfter && probe.Waiting is null)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"last answer {age.TotalSeconds:0.0} s ago", data: data));
        }

        data["schema_version"] = last.SchemaVersion!.Value;
        return Task.FromResult(HealthCheckResult.Healthy($"answering at schema version {last.SchemaVersion}", data));
    }
}
