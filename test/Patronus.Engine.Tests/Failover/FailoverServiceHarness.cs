using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Patronus.Engine.Failover;
using Patronus.Engine.Health;
using Patronus.TestSupport;

namespace Patronus.Engine.Tests.Failover;

/// <summary>
/// The failover service over a real SQLite store (<see cref="TwoLinkStore"/>: topology and
/// policies as serve loads them), a real <see cref="HealthState"/> the test publishes path health
/// into, and a fake clock whose wall clock can be stepped. The test drives the service's
/// iterations itself (no background loop, no sleep).
/// </summary>
internal sealed class FailoverServiceHarness : IAsyncDisposable
{
    private readonly TwoLinkStore _store;
    private readonly ChannelReader<FailoverEvent> _events;

    private FailoverServiceHarness(TwoLinkStore store, FailoverOptions options)
    {
        _store = store;
        Recorder = new FailoverEventRecorder(store.Store, Clock, NullLogger<FailoverEventRecorder>.Instance);
        Service = new FailoverService(store.Policies, store.Topology, Health, Recorder, Metrics, Options.Create(options), Clock, NullLogger<FailoverService>.Instance);
        _events = Service.Subscribe();
        Health.SetPaths(store.Topology.Current.Paths.Select(p => PathHealthSnapshot.Unknown(p.Id, 1, 1)));
    }

    public SteppableTimeProvider Clock { get; } = new();

    public HealthState Health { get; } = new();

    public FailoverMetrics Metrics { get; } = new();

    public FailoverEventRecorder Recorder { get; }

    public FailoverService Service { get; }

    /// <summary>Every event the service published, in order.</summary>
    public List<FailoverEvent> Events { get; } = [];

    public long PolicyId => _store.PolicyId;

    /// <summary>The store, topology and policies under the service.</summary>
    public TwoLinkStore Store => _store;

    public FailoverPolicyStatus Status => Service.Status[PolicyId];

    /// <summary>The published route table as "prefix path via gateway dev interface" lines, sorted.</summary>
    public IReadOnlyList<string> Routes => Service.Routes.Current.Routes
        .Select(r => $"{r.Prefix} {r.PathId} via {r.Gateway} dev {r.Interface}").Order(StringComparer.Ordinal).ToList();

    /// <summary>Builds the store and the service and brings it in line with the policies (kernel routes off unless <paramref name="options"/> say otherwise).</summary>
    public static async Task<FailoverServiceHarness> StartAsync(FailoverOptions? options = null, TimeSpan? failbackDelay = null)
    {
        var harness = new FailoverServiceHarness(await TwoLinkStore.CreateAsync(failbackDelay), options ?? new FailoverOptions { KernelRoutes = false });
        harness.Service.SyncPoliciesForTest();
        return harness;
    }

    /// <summary>Publishes a measured health score for a path, as the monitor does, with BFD's opinion when given.</summary>
    public void Score(string pathId, double score, PathLiveness? bfd = null) =>
        Health.Publish(PathLivenessRule.Apply(
            new PathHealthSnapshot(pathId, 10, 0, 1, score, HealthScoring.StatusOf(score), Clock.GetUtcNow(), 1, 1, 1, "test"), bfd));

    /// <summary>Lets <paramref name="by"/> pass on both clocks.</summary>
    public void Advance(TimeSpan by) => Clock.Advance(by);

    /// <summary>How long the service asked to sleep at its last <see cref="Evaluate"/> (null: no timer due).</summary>
    public TimeSpan? Wake { get; private set; }

    /// <summary>The loop's reaction to a policy or topology change: follow the policies now; returns the events it published.</summary>
    public List<FailoverEvent> Sync()
    {
        Service.SyncPoliciesForTest();
        return Take();
    }

    /// <summary>One iteration of the service, as its loop runs it; returns the events it published.</summary>
    public List<FailoverEvent> Evaluate()
    {
        Wake = Service.Evaluate();
        return Take();
    }

    private List<FailoverEvent> Take()
    {
        var published = new List<FailoverEvent>();
        while (_events.TryRead(out var e))
        {
            published.Add(e);
        }

        Events.AddRange(published);
        return published;
    }

    public async ValueTask DisposeAsync()
    {
        Service.Dispose();
        Recorder.Dispose();
        await _store.DisposeAsync();
        Metrics.Dispose();
    }
}
