using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Patronus.Server.Health;

/// <summary>What a readiness answer means for the log, given the one before it.</summary>
public enum ReadinessChange
{
    /// <summary>Nothing to say: same state as before, or still starting.</summary>
    None,

    /// <summary>Ready for the first time since start.</summary>
    Ready,

    /// <summary>Was ready, is not any more (a load balancer drains this instance now).</summary>
    Lost,

    /// <summary>Ready again after having lost it.</summary>
    Regained,
}

/// <summary>
/// Logs readiness once per change instead of once per poll. The framework's health check service
/// logs every failing check at error level on every request, so a start (the test harness, HAProxy
/// and <c>patronus serve</c>'s own wait poll <c>/health/ready</c> before the topology is loaded) or
/// a store outage polled every 500 ms by HAProxy filled the log with identical error lines. Its
/// category is filtered out in <see cref="Hosting.ServerApp"/>; this logs what an operator needs:
/// when the instance became ready, when it stopped being ready and which component failed, and
/// when it came back. Not being ready while starting is expected and not logged.
/// </summary>
public sealed partial class ReadinessLog(ILogger<ReadinessLog> logger, TimeProvider time)
{
    private const int Starting = 0, IsReady = 1, NotReady = 2;
    private int _state = Starting;
    private long _lostAt;

    /// <summary>The pure decision: previous state (starting, ready, not ready) and whether the answer is ready.</summary>
    public static ReadinessChange Decide(bool? wasReady, bool ready) => (wasReady, ready) switch
    {
        (null, true) => ReadinessChange.Ready,
        (true, false) => ReadinessChange.Lost,
        (false, true) => ReadinessChange.Regained,
        _ => ReadinessChange.None,
    };

    /// <summary>Called with each readiness report; logs when it changes the state.</summary>
    public void Observe(HealthReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var ready = report.Status != HealthStatus.Unhealthy;
        var next = ready ? IsReady : NotReady;
        int previous;
        do
        {
            previous = Volatile.Read(ref _state);
            if (previous == next || (previous == Starting && !ready))
            {
                return; // concurrent polls: only the one that moves the state logs
            }
        }
        while (Interlocked.CompareExchange(ref _state, next, previous) != previous);

        switch (Decide(previous switch { IsReady => true, NotReady => false, _ => null }, ready))
        {
            case ReadinessChange.Ready:
                LogReady(logger);
                break;
            case ReadinessChange.Lost:
                Volatile.Write(ref _lostAt, time.GetTimestamp());
                if (logger.IsEnabled(LogLevel.Warning))
                {
                    LogLost(logger, Failing(report));
                }

                break;
            case ReadinessChange.Regained:
                var seconds = Math.Round(time.GetElapsedTime(Volatile.Read(ref _lostAt)).TotalSeconds, 1);
                LogRegained(logger, seconds);
                break;
        }
    }

    /// <summary>"store: no answer within 2 s; engine_loops: …" — the failing components and why.</summary>
    public static string Failing(HealthReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return string.Join("; ", report.Entries
            .Where(e => e.Value.Status == HealthStatus.Unhealthy)
            .OrderBy(e => e.Key, StringComparer.Ordinal)
            .Select(e => $"{e.Key}: {e.Value.Description ?? e.Value.Exception?.Message ?? "unhealthy"}"));
    }

    [LoggerMessage(EventId = 770, Level = LogLevel.Information, Message = "Ready: /health/ready answers 200")]
    private static partial void LogReady(ILogger logger);

    [LoggerMessage(EventId = 771, Level = LogLevel.Warning, Message = "Not ready any more (/health/ready answers 503; a load balancer drains this instance): {Failing}")]
    private static partial void LogLost(ILogger logger, string failing);

    [LoggerMessage(EventId = 772, Level = LogLevel.Information, Message = "Ready again after {Seconds} s")]
    private static partial void LogRegained(ILogger logger, double seconds);
}
