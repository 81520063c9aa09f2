using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Patronus.Engine.Failover;
using Patronus.Engine.Paths;
using Patronus.Engine.Tests.Failover;
using Patronus.Engine.Traffic;
using Patronus.TestSupport;

namespace Patronus.Engine.Tests.Traffic;

/// <summary>
/// The accounting service over a real SQLite store (<see cref="TwoLinkStore"/>: topology and
/// policies as serve loads them), with a fake nft, a fake clock (whose wall clock can be stepped)
/// and conntrack lines the test sets.
/// </summary>
internal sealed class TrafficHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly TwoLinkStore _store;

    private TrafficHarness(TwoLinkStore store)
    {
        _store = store;
    }

    public SteppableTimeProvider Clock { get; } = new(Start);

    public FakeNft Nft { get; } = new();

    public FakeLogger<TrafficAccountingService> Logger { get; } = new();

    public TrafficMetrics Metrics { get; } = new();

    public TopologyService Topology => _store.Topology;

    public FailoverPolicyService Policies => _store.Policies;

    public TrafficAccountingService Service { get; private set; } = null!;

    /// <summary>Set up before the start: the service looks for a real nft (Traffic:NftPath) instead of the fake.</summary>
    public bool WithoutFakeNft { get; set; }

    /// <summary>What /proc/net/nf_conntrack holds; null: the file does not exist.</summary>
    public List<string>? Conntrack { get; set; } = [];

    public long PolicyId => _store.PolicyId;

    public string PolicyCounter => $"policy_{PolicyId}";

    /// <summary>Builds the store and starts the service; <paramref name="setUp"/> runs before the start (fake nft, conntrack).</summary>
    public static async Task<TrafficHarness> StartAsync(TrafficOptions? options = null, bool privileged = true, Action<TrafficHarness>? setUp = null, bool withPolicy = true)
    {
        var harness = new TrafficHarness(await TwoLinkStore.CreateAsync(withPolicy: withPolicy));
        setUp?.Invoke(harness);
        harness.Service = new TrafficAccountingService(harness.Policies, harness.Topology, Options.Create(options ?? new TrafficOptions()), harness.Metrics, harness.Clock,
            harness.Logger, harness.WithoutFakeNft ? null : harness.Nft, privileged, harness.ReadConntrack);
        // ExecuteAsync runs on its own task: wait for its first publication (a snapshot, or why there is none).
        var first = harness.Service.Published;
        await harness.Service.StartAsync(CancellationToken.None);
        await first.WaitAsync(TimeSpan.FromSeconds(10));
        return harness;
    }

    /// <summary>Moves the clock by <paramref name="by"/> and waits (bounded) for the snapshot the tick publishes.</summary>
    public async Task<TrafficSnapshot> TickAsync(TimeSpan? by = null)
    {
        var published = Service.Published;
        Clock.Advance(by ?? TimeSpan.FromSeconds(1));
        await published.WaitAsync(TimeSpan.FromSeconds(10));
        return Service.Current;
    }

    /// <summary>Waits (bounded) until the service has logged <paramref name="eventId"/> at least <paramref name="times"/> times.</summary>
    public async Task WaitForLogAsync(int eventId, int times = 1) =>
        Assert.True(await Poll.UntilAsync(() => Logger.Collector.GetSnapshot().Count(e => e.Id.Id == eventId) >= times, TimeSpan.FromSeconds(10)),
            $"no log {eventId}: {string.Join('\n', Logger.Collector.GetSnapshot())}");

    public Task<long> AddPolicyAsync(string name, string prefix) => _store.AddPolicyAsync(name, prefix);

    /// <summary>How many times the service read the conntrack table.</summary>
    public int ConntrackReads { get; private set; }

    private List<string> ReadConntrack(string path)
    {
        ConntrackReads++;
        return Conntrack?.ToList() ?? throw new FileNotFoundException("no such file", path);
    }

    public async ValueTask DisposeAsync()
    {
        await Service.StopAsync(CancellationToken.None);
        Service.Dispose();
        await _store.DisposeAsync();
        Metrics.Dispose();
    }
}
