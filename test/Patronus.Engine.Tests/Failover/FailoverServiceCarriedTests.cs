using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Failover;
using Patronus.Engine.Health;
using Patronus.Engine.Routing;
using Patronus.Engine.Tunnels;

namespace Patronus.Engine.Tests.Failover;

/// <summary>A policy whose prefix a tunnel carries: the tunnel follows the decision, the kernel gets no clear-text route.</summary>
public sealed class FailoverServiceCarriedTests
{
    [Fact]
    public async Task PolicyPrefixCarriedByATunnel_PlannedButNotSentToTheKernel_Logged()
    {
        await using var store = await TwoLinkStore.CreateAsync(); // policy "to-dc": 10.20.0.0/16, p1 then p2
        await store.AddPolicyAsync("to-lan-b", "10.40.0.0/24");
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 5, 7, 0, 0, TimeSpan.Zero));
        var kernel = new RecordingRouteApplier();
        var logger = new FakeLogger<FailoverService>();
        var health = new HealthState();
        health.SetPaths(store.Topology.Current.Paths.Select(p => PathHealthSnapshot.Unknown(p.Id, 1, 1)));
        var tunnels = new TunnelOptions { Enabled = true, Peers = [new TunnelPeerOptions { Name = "site-b", AllowedIps = ["10.250.0.2/32", "10.40.0.0/16"] }] };
        var service = new FailoverService(store.Policies, store.Topology, health,
            new FailoverEventRecorder(store.Store, time, NullLogger<FailoverEventRecorder>.Instance),
            new FailoverMetrics(), Options.Create(new FailoverOptions()), time, logger, kernel, carried: TunnelServiceCollectionExtensions.Carried(tunnels));
        service.SyncPoliciesForTest();

        service.Evaluate();

        // Both policies are in the route table the tunnel steers by; only the one no tunnel carries reaches the kernel.
        Assert.Equal(["10.20.0.0/16", "10.40.0.0/24"], service.Routes.Current.Routes.Select(r => r.Prefix.ToString()).Order(StringComparer.Ordinal));
        Assert.Equal(["10.20.0.0/16"], Assert.Single(kernel.Synced).Routes.Select(r => r.Prefix.ToString()));
        var line = Assert.Single(logger.Collector.GetSnapshot(), e => e.Id.Id == 5003);
        Assert.Equal("Failover policy to-lan-b: 10.40.0.0/24 is carried by tunnel peer site-b, which follows the policy's active path; no kernel route is installed for it (it would leave the WAN link unencrypted)", line.Message);
    }

    [Fact]
    public void Carried_TunnelsOff_NothingCarried()
    {
        var peers = new List<TunnelPeerOptions> { new() { Name = "b", AllowedIps = ["10.40.0.0/16"] } };

        Assert.Empty(TunnelServiceCollectionExtensions.Carried(new TunnelOptions { Enabled = false, Peers = peers }).Prefixes);
        Assert.Equal("tunnel peer b", TunnelServiceCollectionExtensions.Carried(new TunnelOptions { Enabled = true, Peers = peers }).CarrierOf(IPNetwork.Parse("10.40.1.0/24")));
    }
}
