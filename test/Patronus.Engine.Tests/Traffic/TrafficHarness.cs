using System.Net;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Failover;
using Patronus.Engine.Paths;
using Patronus.Engine.Tests.Health;
using Patronus.Engine.Tests.Probes.Stamp;
using Patronus.Engine.Traffic;
using Patronus.Persistence;
using Patronus.TestSupport;

namespace Patronus.Engine.Tests.Traffic;

/// <summary>
/// The accounting service over a real SQLite store (topology and policies as serve loads them),
/// with a fake nft, a manual clock and conntrack lines the test sets:
/// links wan1 (gateway 10.0.1.1) and wan2 (10.0.2.1), paths p1 and p2, policy "to-dc" for
/// 10.20.0.0/16 (primary p1, backup p2).
/// </summary>
internal sealed class TrafficHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly DirectoryInfo _dir;
    private readonly SqliteStore _store;

    private TrafficHarness(DirectoryInfo dir, SqliteStore store, TopologyService topology, FailoverPolicyService policies)
    {
        _dir = dir;
        _store = store;
        Topology = topology;
        Policies = policies;
    }

    public FakeTimeProvider Clock { get; } = new(Start);

    public FakeNft Nft { get; } = new();

    public FakeLogger<TrafficAccountingService> Logger { get; } = new();

    public TrafficMetrics Metrics { get; } = new();

    public TopologyService Topology { get; }

    public FailoverPolicyService Policies { get; }

    public TrafficAccountingService Service { get; private set; } = null!;

    /// <summary>Set up before the start: the service looks for a real nft (Traffic:NftPath) instead of the fake.</summary>
    public bool WithoutFakeNft { get; set; }

    /// <summary>What /proc/net/nf_conntrack holds; null: the file does not exist.</summary>
    public List<string>? Conntrack { get; set; } = [];

    public long PolicyId => Policies.Current.Single(p => p.Name == "to-dc").Id;

    public string PolicyCounter => $"policy_{PolicyId}";

    /// <summary>Builds the store and starts the service; <paramref name="setUp"/> runs before the start (fake nft, conntrack).</summary>
    public static async Task<TrafficHarness> StartAsync(TrafficOptions? options = null, bool privileged = true, Action<TrafficHarness>? setUp = null)
    {
        var dir = Directory.CreateTempSubdirectory("patronus-traffic-");
        Assert.True(StoreLocation.TryParse("sqlite:" + System.IO.Path.Combine(dir.FullName, "t.db"), dir.FullName, out var location, out var error), error);
        var store = new SqliteStore(location!, TimeProvider.System);
        await store.MigrateAsync();
        var topology = new TopologyService(store);
        Assert.True((await topology.InitializeAsync(new TopologySnapshot(
            [new Site("s", "s", null, ItemSource.Config)],
            [Link("wan1", "10.0.1.1"), Link("wan2", "10.0.2.1")],
            [Path("p1", "wan1"), Path("p2", "wan2")]))).Succeeded);
        var policies = new FailoverPolicyService(store);
        Assert.True((await policies.InitializeAsync([Policy("to-dc", "10.20.0.0/16")])).Succeeded);

        var harness = new TrafficHarness(dir, store, topology, policies);
        setUp?.Invoke(harness);
        harness.Service = new TrafficAccountingService(policies, topology, Options.Create(options ?? new TrafficOptions()), harness.Metrics, harness.Clock,
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

    public async Task<long> AddPolicyAsync(string name, string prefix)
    {
        long id = 0;
        Assert.True((await Policies.WriteAsync(async (s, ct) =>
        {
            var (result, newId) = await s.InsertFailoverPolicyAsync(Policy(name, prefix) with { Source = ItemSource.Api }, ct);
            id = newId;
            return result;
        })).Succeeded);
        return id;
    }

    public static FailoverPolicy Policy(string name, string prefix) =>
        new(0, name, "p1", ["p2"], 50, 80, TimeSpan.FromSeconds(60), true, [IPNetwork.Parse(prefix)], ItemSource.Config);

    private List<string> ReadConntrack(string path) =>
        Conntrack?.ToList() ?? throw new FileNotFoundException("no such file", path);

    private static WanLink Link(string id, string gateway) => new(id, "s", id, id, null, gateway, 10, ItemSource.Config);

    private static PathDefinition Path(string id, string link) => new(id, id, link, null, ["10.9.9.9:862"], ItemSource.Config);

    public async ValueTask DisposeAsync()
    {
        await Service.StopAsync(CancellationToken.None);
        Service.Dispose();
        Policies.Dispose();
        Topology.Dispose();
        await _store.DisposeAsync();
        Metrics.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Delete(recursive: true);
    }
}
