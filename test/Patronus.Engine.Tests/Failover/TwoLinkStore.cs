using System.Net;
using Patronus.Engine.Failover;
using Patronus.Engine.Paths;
using Patronus.Persistence;

namespace Patronus.Engine.Tests.Failover;

/// <summary>
/// A real SQLite store in a temporary directory, loaded as serve loads it, for the tests of the
/// services that follow the topology and the policies (failover, traffic): links wan1 (gateway
/// 10.0.1.1) and wan2 (10.0.2.1), paths p1 over wan1 and p2 over wan2, and policy "to-dc" for
/// 10.20.0.0/16: primary p1, backup p2, failover below 50, failback at 80 after the delay given.
/// </summary>
internal sealed class TwoLinkStore : IAsyncDisposable
{
    private readonly DirectoryInfo _dir;

    private TwoLinkStore(DirectoryInfo dir, SqliteStore store, TopologyService topology, FailoverPolicyService policies)
    {
        _dir = dir;
        Store = store;
        Topology = topology;
        Policies = policies;
    }

    public SqliteStore Store { get; }

    public TopologyService Topology { get; }

    public FailoverPolicyService Policies { get; }

    /// <summary>The id the store gave "to-dc".</summary>
    public long PolicyId => Policies.Current.Single(p => p.Name == "to-dc").Id;

    public static async Task<TwoLinkStore> CreateAsync(TimeSpan? failbackDelay = null, bool withPolicy = true)
    {
        var dir = Directory.CreateTempSubdirectory("patronus-store-");
        Assert.True(StoreLocation.TryParse("sqlite:" + System.IO.Path.Combine(dir.FullName, "t.db"), dir.FullName, out var location, out var error), error);
        var store = new SqliteStore(location!, TimeProvider.System);
        await store.MigrateAsync();
        var topology = new TopologyService(store);
        Assert.True((await topology.InitializeAsync(new TopologySnapshot(
            [new Site("s", "s", null, ItemSource.Config)],
            [Link("wan1", "10.0.1.1"), Link("wan2", "10.0.2.1")],
            [Path("p1", "wan1"), Path("p2", "wan2")]))).Succeeded);
        var policies = new FailoverPolicyService(store);
        Assert.True((await policies.InitializeAsync(withPolicy ? [Policy("to-dc", "10.20.0.0/16", failbackDelay)] : [])).Succeeded);
        return new TwoLinkStore(dir, store, topology, policies);
    }

    /// <summary>A config policy over p1 (primary) and p2, failback delay 60 s unless given.</summary>
    public static FailoverPolicy Policy(string name, string prefix, TimeSpan? failbackDelay = null) =>
        new(0, name, "p1", ["p2"], 50, 80, failbackDelay ?? TimeSpan.FromSeconds(60), true, [IPNetwork.Parse(prefix)], ItemSource.Config);

    /// <summary>Adds a policy through the API path (a store write, then the reload that notifies the services).</summary>
    public async Task<long> AddPolicyAsync(string name, string prefix, string? trafficClass = null)
    {
        long id = 0;
        Assert.True((await Policies.WriteAsync(async (s, ct) =>
        {
            var (result, newId) = await s.InsertFailoverPolicyAsync(Policy(name, prefix) with { Source = ItemSource.Api, Class = trafficClass }, ct);
            id = newId;
            return result;
        })).Succeeded);
        return id;
    }

    private static WanLink Link(string id, string gateway) => new(id, "s", id, id, null, gateway, 10, ItemSource.Config);

    private static PathDefinition Path(string id, string link) => new(id, id, link, null, ["10.9.9.9:862"], ItemSource.Config);

    public async ValueTask DisposeAsync()
    {
        Policies.Dispose();
        Topology.Dispose();
        await Store.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Delete(recursive: true);
    }
}
