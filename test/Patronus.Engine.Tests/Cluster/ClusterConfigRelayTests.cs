using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Cluster;
using Patronus.Engine.Failover;
using Patronus.Engine.Health;
using Patronus.Engine.Tests.Failover;
using Patronus.TestSupport;

namespace Patronus.Engine.Tests.Cluster;

/// <summary>
/// An edit made through one node reaches the others (docs/ha.md): two relays running as they do
/// in serve, each with its own policy service, on one store, joined by an in-memory NOTIFY.
/// </summary>
public sealed class ClusterConfigRelayTests
{
    [Fact]
    public async Task PolicyCreatedThroughOneNode_OtherNodeReloadsIt_NoEcho()
    {
        await using var store = await TwoLinkStore.CreateAsync();
        var bus = new Bus();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 5, 8, 30, 0, TimeSpan.Zero));
        var policiesB = new FailoverPolicyService(store.Store);
        await policiesB.ReloadAsync();
        await using var a = await StartAsync("a", store, store.Policies, bus, time, leaderTerm: 3);
        await using var b = await StartAsync("b", store, policiesB, bus, time, leaderTerm: null);
        await bus.ListeningAsync(2);

        var id = await store.AddPolicyAsync("to-branch", "10.30.0.0/16"); // an API write on a

        await Poll.AssertAsync(() => policiesB.Current.Any(p => p.Id == id), TimeSpan.FromSeconds(10), "b reloads the policy a created");
        Assert.Equal(1, bus.Count(ClusterMessageKind.ConfigChanged)); // b's reload is no edit: nothing echoed back
    }

    private static async Task<RunningRelay> StartAsync(string id, TwoLinkStore store, FailoverPolicyService policies, Bus bus, FakeTimeProvider time, long? leaderTerm)
    {
        var leadership = new Leadership(id, time);
        if (leaderTerm is { } term)
        {
            var state = new LeaseState(TimeSpan.FromHours(1));
            state.Granted(term, leadership.Clock.Elapsed, leadership.Clock.Elapsed);
            leadership.Publish(state, roleChanged: true);
        }

        var health = new HealthState();
        var recorder = new FailoverEventRecorder(store.Store, time, NullLogger<FailoverEventRecorder>.Instance, leadership: leadership);
        var failover = new FailoverService(policies, store.Topology, health, recorder, new FailoverMetrics(), Options.Create(new FailoverOptions { KernelRoutes = false }), time,
            NullLogger<FailoverService>.Instance, leadership: leadership);
        var relay = new ClusterRelayService(new BusChannel(bus), store.Store, new ClusterFeed(leadership, health, failover, relayed: true), leadership, health, failover,
            recorder, new ClusterMetrics(leadership), time, new FakeLogger<ClusterRelayService>(), policies: policies);
        await relay.StartAsync(CancellationToken.None);
        return new RunningRelay(relay);
    }

    private sealed class RunningRelay(ClusterRelayService relay) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await relay.StopAsync(CancellationToken.None);
            relay.Dispose();
        }
    }

    /// <summary>PostgreSQL NOTIFY in memory: every listener (the sender too) gets every payload.</summary>
    private sealed class Bus
    {
        private readonly List<Action<string>> _listeners = [];
        private readonly List<string> _sent = [];

        public void Send(string payload)
        {
            Action<string>[] listeners;
            lock (_listeners)
            {
                _sent.Add(payload);
                listeners = [.. _listeners];
            }

            foreach (var listener in listeners)
            {
                listener(payload);
            }
        }

        public void Listen(Action<string> listener)
        {
            lock (_listeners)
            {
                _listeners.Add(listener);
            }
        }

        public void Unlisten(Action<string> listener)
        {
            lock (_listeners)
            {
                _listeners.Remove(listener);
            }
        }

        public Task ListeningAsync(int count) =>
            Poll.AssertAsync(() => { lock (_listeners) { return _listeners.Count >= count; } }, TimeSpan.FromSeconds(10), $"{count} listeners");

        public int Count(ClusterMessageKind kind)
        {
            lock (_listeners)
            {
                return _sent.Count(p => ClusterMessageCodec.TryDecode(p, out var m) && m.Kind == kind);
            }
        }
    }

    private sealed class BusChannel(Bus bus) : IClusterChannel
    {
        public Task NotifyAsync(string payload, CancellationToken cancellationToken = default)
        {
            bus.Send(payload);
            return Task.CompletedTask;
        }

        public async Task ListenAsync(Func<CancellationToken, Task> onListening, Action<string> onMessage, CancellationToken cancellationToken)
        {
            bus.Listen(onMessage);
            try
            {
                await onListening(cancellationToken);
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            finally
            {
                bus.Unlisten(onMessage);
            }
        }
    }
}
