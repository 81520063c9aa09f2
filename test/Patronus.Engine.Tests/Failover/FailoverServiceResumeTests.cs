using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Failover;
using Patronus.Engine.Health;

namespace Patronus.Engine.Tests.Failover;

/// <summary>A restarted process (or a controller taking over as leader) resumes each policy where the store last recorded it.</summary>
public sealed class FailoverServiceResumeTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 12, 5, 8, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("triggered p1 p2", "p2", 0)] // on the backup: the primary still down records nothing new
    [InlineData("triggered p1 p2|failback p2 p1", "p1", 1)] // back on the primary since: it fails over again, once
    [InlineData("", "p1", 1)] // nothing recorded: from the primary
    [InlineData("triggered p1 p2|disabled p2 p1|enabled p1 -", "p1", 1)] // a disable sent it to the primary
    [InlineData("triggered p1 ghost", "p1", 1)] // a path the policy no longer has: from the primary
    public async Task Restart_PrimaryStillDown_ResumesWhereTheStoreLeftIt(string recorded, string resumedOn, int newFailovers)
    {
        await using var store = await TwoLinkStore.CreateAsync(); // "to-dc": primary p1, backup p2
        var at = s_t0.AddMinutes(-10);
        var history = recorded.Split('|', StringSplitOptions.RemoveEmptyEntries).Select(step =>
        {
            var t = step.Split(' ');
            var type = t[0] switch
            {
                "triggered" => FailoverEventType.FailoverTriggered,
                "failback" => FailoverEventType.FailbackCompleted,
                "disabled" => FailoverEventType.PolicyDisabled,
                _ => FailoverEventType.PolicyEnabled,
            };
            at = at.AddMinutes(1);
            return new FailoverEventRecord(new FailoverEvent(store.PolicyId, type, t[1], t[2] == "-" ? null : t[2], "before the restart", at), null);
        }).ToList();
        if (history.Count > 0)
        {
            Assert.True((await store.Store.InsertFailoverEventsAsync(history)).Succeeded);
        }

        var time = new FakeTimeProvider(s_t0);
        var logger = new FakeLogger<FailoverService>();
        var health = new HealthState();
        health.SetPaths(store.Topology.Current.Paths.Select(p => PathHealthSnapshot.Unknown(p.Id, 1, 1)));
        var recorder = new FailoverEventRecorder(store.Store, time, NullLogger<FailoverEventRecorder>.Instance);
        var service = new FailoverService(store.Policies, store.Topology, health, recorder, new FailoverMetrics(),
            Options.Create(new FailoverOptions { KernelRoutes = false }), time, logger);
        var events = service.Subscribe();

        await service.ResumeFromStoreAsync(CancellationToken.None);
        service.SyncPoliciesForTest();

        // The primary is down, the backup fine, as before the restart.
        health.Publish(new PathHealthSnapshot("p1", 0, 100, 0, 0, PathStatus.Down, time.GetUtcNow(), 1, 1, 1, "test"));
        health.Publish(new PathHealthSnapshot("p2", 10, 0, 1, 95, PathStatus.Up, time.GetUtcNow(), 1, 1, 1, "test"));
        service.Evaluate();

        var decided = new List<FailoverEvent>();
        while (events.TryRead(out var e))
        {
            decided.Add(e);
        }

        Assert.Equal(newFailovers, decided.Count(e => e.Type == FailoverEventType.FailoverTriggered));
        Assert.Equal("p2", service.Status[store.PolicyId].ActivePathId);
        Assert.Equal(resumedOn == "p2" ? 1 : 0, logger.Collector.GetSnapshot().Count(e => e.Id.Id == 5004));
    }
}
