using Microsoft.Extensions.Diagnostics.HealthChecks;
using Patronus.Engine.Loops;

namespace Patronus.Server.Health;

/// <summary>
/// Ready only while every engine loop (health monitor, BFD, failover) has run within
/// <see cref="StaleAfter"/>: each wakes at least every <see cref="IEngineLoop.Heartbeat"/>, so a
/// loop silent for three heartbeats is stuck or dead, and an instance whose failover loop is dead
/// must not receive traffic from a load balancer. The detail names each loop's age.
/// </summary>
internal sealed class EngineLoopsHealthCheck(IEnumerable<IEngineLoop> loops, TimeProvider time) : IHealthCheck
{
    public static readonly TimeSpan StaleAfter = 3 * IEngineLoop.Heartbeat;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var loop in loops.OrderBy(l => l.LoopName, StringComparer.Ordinal))
        {
            var tick = loop.LastTick;
            if (tick == 0)
            {
                data[loop.LoopName] = "not started";
                problems.Add($"{loop.LoopName} has not run yet");
                continue;
            }

            var age = time.GetElapsedTime(tick);
            data[loop.LoopName] = $"ran {age.TotalSeconds:0.0} s ago";
            if (age > StaleAfter)
            {
                problems.Add($"{loop.LoopName} has not run for {age.TotalSeconds:0} s (stale after {StaleAfter.TotalSeconds:0} s)");
            }
        }

        return Task.FromResult(problems.Count == 0
            ? HealthCheckResult.Healthy($"{data.Count} loops running", data)
            : HealthCheckResult.Unhealthy(string.Join("; ", problems), data: data));
    }
}
