using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Patronus.Server.Health;
using Patronus.Server.Hosting;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.Health;

/// <summary>Readiness is logged once per change, not once per poll; the framework's per-poll error lines are filtered out.</summary>
public sealed class ReadinessLogTests
{
    public static TheoryData<bool?, bool, ReadinessChange> Changes => new()
    {
        { null, false, ReadinessChange.None },       // still starting: expected, not logged
        { null, true, ReadinessChange.Ready },
        { true, true, ReadinessChange.None },
        { true, false, ReadinessChange.Lost },
        { false, false, ReadinessChange.None },
        { false, true, ReadinessChange.Regained },
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public void Decide_PreviousAndCurrent_Change(bool? wasReady, bool ready, ReadinessChange expected) =>
        Assert.Equal(expected, ReadinessLog.Decide(wasReady, ready));

    [Fact]
    public void Observe_PollsThroughStartOutageAndRecovery_LogsEachChangeOnce()
    {
        var clock = new FakeTimeProvider();
        var logger = new FakeLogger<ReadinessLog>();
        var log = new ReadinessLog(logger, clock);

        log.Observe(Report(("topology", "topology not loaded yet")));
        log.Observe(Report(("topology", "topology not loaded yet")));
        Assert.Empty(logger.Collector.GetSnapshot());

        for (var i = 0; i < 3; i++)
        {
            log.Observe(Report());
        }

        for (var i = 0; i < 5; i++)
        {
            log.Observe(Report(("store", "no answer within 2 s"), ("engine_loops", "failover has not run for 9 s")));
            clock.Advance(TimeSpan.FromMilliseconds(500));
        }

        log.Observe(Report());
        log.Observe(Report());

        var records = logger.Collector.GetSnapshot();
        Assert.Equal([770, 771, 772], records.Select(r => r.Id.Id));
        Assert.Equal(LogLevel.Warning, records[1].Level);
        Assert.Contains("engine_loops: failover has not run for 9 s; store: no answer within 2 s", records[1].Message, StringComparison.Ordinal);
        Assert.Contains("after 2.5 s", records[2].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_StartsAndIsPolled_LogsReadyOnceAndNoFrameworkHealthErrors()
    {
        using var logs = new FakeLoggerProvider();
        await using var server = await RunningServer.StartAsync(logging: l =>
        {
            l.AddProvider(logs);
            l.AddFilter<FakeLoggerProvider>(typeof(ReadinessLog).FullName, LogLevel.Information);
        });
        for (var i = 0; i < 3; i++)
        {
            using var ready = await server.Anonymous.GetAsync("/health/ready"); // the start already waited for 200
        }

        // The framework logs a failing check at error level on every poll; serve filters its category out.
        server.Services.GetRequiredService<ILoggerFactory>().CreateLogger(ServerApp.HealthCheckServiceCategory)
            .Log(LogLevel.Error, new EventId(103), "Health check store with status Unhealthy completed", null, (state, _) => state);

        var records = logs.Collector.GetSnapshot();
        Assert.Single(records, r => r.Id.Id == 770);
        Assert.DoesNotContain(records, r => r.Category == ServerApp.HealthCheckServiceCategory);
    }

    private static HealthReport Report(params (string Name, string Why)[] failing)
    {
        var entries = new Dictionary<string, HealthReportEntry>(StringComparer.Ordinal)
        {
            ["ok"] = new(HealthStatus.Healthy, "fine", TimeSpan.Zero, null, null),
        };
        foreach (var (name, why) in failing)
        {
            entries[name] = new(HealthStatus.Unhealthy, why, TimeSpan.Zero, null, null);
        }

        return new HealthReport(entries, TimeSpan.Zero);
    }
}
