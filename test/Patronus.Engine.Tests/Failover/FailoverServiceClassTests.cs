using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Failover;
using Patronus.Engine.Health;
using Patronus.Engine.Tunnels.Sdwan;

namespace Patronus.Engine.Tests.Failover;

/// <summary>
/// A class policy in the failover loop (issue 16): stored and loaded with its class (a real
/// SQLite store), judged by the class's SLA, its routes published per class for the tunnels and
/// never given to the kernel, while the class-less policy on the same prefix decides as before.
/// </summary>
public sealed class FailoverServiceClassTests
{
    [Fact]
    public async Task ClassPolicyOnTheSamePrefix_LossAboveItsSla_ClassMovesToP2ClasslessStaysKernelUntouched()
    {
        await using var store = await TwoLinkStore.CreateAsync(); // "to-dc": 10.20.0.0/16, p1 then p2
        var voiceId = await store.AddPolicyAsync("voice-to-dc", "10.20.0.0/16", "voice");
        Assert.Equal("voice", store.Policies.Current.Single(p => p.Id == voiceId).Class);
        var classes = TrafficClassifier.Create([new TrafficClassOptions { Name = "voice", Match = [new() { Protocol = "udp" }], Sla = new() { MaxLossPercent = 1 } }]);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 5, 7, 0, 0, TimeSpan.Zero));
        var kernel = new RecordingRouteApplier();
        var health = new HealthState();
        health.SetPaths(store.Topology.Current.Paths.Select(p => PathHealthSnapshot.Unknown(p.Id, 1, 1)));
        var service = new FailoverService(store.Policies, store.Topology, health,
            new FailoverEventRecorder(store.Store, time, NullLogger<FailoverEventRecorder>.Instance),
            new FailoverMetrics(), Options.Create(new FailoverOptions()), time, NullLogger<FailoverService>.Instance, kernel, classes: classes);
        service.SyncPoliciesForTest();

        // p1 loses 2 % of its probes: score 100 (under the path's 5 % threshold), above voice's 1 %.
        health.Publish(new PathHealthSnapshot("p1", 10, 2, 1, 100, PathStatus.Up, time.GetUtcNow(), 1, 1, 1, "test"));
        health.Publish(new PathHealthSnapshot("p2", 12, 0, 1, 100, PathStatus.Up, time.GetUtcNow(), 1, 1, 1, "test"));
        service.Evaluate();

        Assert.Equal("p2", service.Status[voiceId].ActivePathId);
        Assert.Equal("p1", service.Status[store.PolicyId].ActivePathId);
        Assert.Equal(["10.20.0.0/16 p1"], service.Routes.Current.Routes.Select(r => $"{r.Prefix} {r.PathId}"));
        Assert.Equal(["10.20.0.0/16 p2"], service.ClassRoutes.ByClass["voice"].Routes.Select(r => $"{r.Prefix} {r.PathId}"));
        Assert.All(kernel.Synced, table => Assert.All(table.Routes, r => Assert.Equal("p1", r.PathId)));
        Assert.NotEmpty(kernel.Synced);
    }

    [Fact]
    public async Task ClassPolicy_SamePrefixTwiceInOneClass_StoreRefusesTheSecond()
    {
        await using var store = await TwoLinkStore.CreateAsync();
        await store.AddPolicyAsync("voice-to-dc", "10.20.0.0/16", "voice");

        var result = await store.Policies.WriteAsync(async (s, ct) =>
            (await s.InsertFailoverPolicyAsync(TwoLinkStore.Policy("voice-again", "10.20.0.0/16") with { Source = Patronus.Engine.Paths.ItemSource.Api, Class = "voice" }, ct)).Result);

        Assert.False(result.Succeeded);
        Assert.Equal("prefix 10.20.0.0/16 is already steered for class voice by policy 'voice-to-dc'", result.Message);
    }
}
