using Dapper;
using Patronus.Engine.Paths;
using Patronus.Engine.Storage;

namespace Patronus.Persistence.Tests;

/// <summary><see cref="SqlStore.SyncReadOnlyTopologyAsync"/>: config items follow the configuration, all or nothing.</summary>
public abstract partial class StoreContractTests
{
    /// <summary>Config site cs1 with link cl1 and path cp1, plus a second site cs2 with link cl2 and path cp2.</summary>
    protected static TopologySnapshot ConfigTopology(bool withSecondSite = false, string cs1Name = "Config site 1", int cl1Cost = 10) =>
        new(
            [
                new Site("cs1", cs1Name, "from patronus.json", ItemSource.Config),
                .. withSecondSite ? [new Site("cs2", "Config site 2", null, ItemSource.Config)] : Array.Empty<Site>(),
            ],
            [
                new WanLink("cl1", "cs1", "Config link 1", "eth0", "192.0.2.20", "192.0.2.1", cl1Cost, ItemSource.Config),
                .. withSecondSite ? [new WanLink("cl2", "cs2", "Config link 2", null, null, null, 20, ItemSource.Config)] : Array.Empty<WanLink>(),
            ],
            [
                new PathDefinition("cp1", "Config path 1", "cl1", null, ["198.51.100.1", "198.51.100.2:862"], ItemSource.Config),
                .. withSecondSite ? [new PathDefinition("cp2", "Config path 2", "cl2", "cs1", ["203.0.113.9"], ItemSource.Config)] : Array.Empty<PathDefinition>(),
            ]);

    protected static void AssertSameTopology(TopologySnapshot expected, TopologySnapshot actual)
    {
        Assert.Equal(expected.Sites.OrderBy(s => s.Id, StringComparer.Ordinal), actual.Sites);
        Assert.Equal(expected.Links.OrderBy(l => l.Id, StringComparer.Ordinal), actual.Links);
        var expectedPaths = expected.Paths.OrderBy(p => p.Id, StringComparer.Ordinal).ToList();
        Assert.Equal(expectedPaths.Select(p => p.Id), actual.Paths.Select(p => p.Id));
        for (var i = 0; i < expectedPaths.Count; i++)
        {
            AssertSamePath(expectedPaths[i], actual.Paths[i]);
        }
    }

    [Fact]
    public async Task SyncReadOnlyTopologyAsync_EmptyStore_InsertsConfigItems()
    {
        var store = await MigratedStoreAsync();
        var configured = ConfigTopology(withSecondSite: true);

        AssertOk(await store.SyncReadOnlyTopologyAsync(configured));

        var stored = await store.LoadTopologyAsync();
        AssertSameTopology(configured, stored);
        Assert.All(stored.Sites, s => Assert.True(s.ReadOnly));
    }

    [Fact]
    public async Task SyncReadOnlyTopologyAsync_Quickstart_StoredAsQuickstartItems()
    {
        var store = await MigratedStoreAsync();

        AssertOk(await store.SyncReadOnlyTopologyAsync(Quickstart.Topology()));

        var stored = await store.LoadTopologyAsync();
        AssertSameTopology(Quickstart.Topology(), stored);
        AssertStatus(StoreStatus.ReadOnly, await store.DeleteLinkAsync("demo-wan1"), "quickstart");
    }

    [Fact]
    public async Task SyncReadOnlyTopologyAsync_SecondSync_UpdatesItemsAndKeepsCreatedAt()
    {
        var store = await MigratedStoreAsync();
        AssertOk(await store.SyncReadOnlyTopologyAsync(ConfigTopology()));
        Time.Advance(TimeSpan.FromHours(1));
        var changed = ConfigTopology(cs1Name: "Renamed", cl1Cost: 500);
        changed = new TopologySnapshot(changed.Sites, changed.Links,
            [changed.Paths[0] with { Targets = ["2001:db8::7"], Name = "Now IPv6" }]);

        AssertOk(await store.SyncReadOnlyTopologyAsync(changed));

        AssertSameTopology(changed, await store.LoadTopologyAsync());
        await using var connection = await OpenRawAsync();
        var (created, updated) = await connection.QuerySingleAsync<(long, long)>("SELECT created_at, updated_at FROM sdwan_links WHERE link_id = 'cl1'");
        Assert.Equal(Start.ToUnixTimeMilliseconds(), created);
        Assert.Equal(Start.AddHours(1).ToUnixTimeMilliseconds(), updated);
    }

    [Fact]
    public async Task SyncReadOnlyTopologyAsync_ItemsNoLongerConfigured_RemovedAndApiItemsKept()
    {
        var store = await MigratedStoreAsync();
        AssertOk(await store.SyncReadOnlyTopologyAsync(ConfigTopology(withSecondSite: true)));
        // An API path on a config link that stays: the sync must leave it alone.
        AssertOk(await store.InsertPathAsync(ApiPath("api-p", "cl1")));

        AssertOk(await store.SyncReadOnlyTopologyAsync(ConfigTopology()));

        var stored = await store.LoadTopologyAsync();
        Assert.Equal(["cs1"], stored.Sites.Select(s => s.Id));
        Assert.Equal(["cl1"], stored.Links.Select(l => l.Id));
        Assert.Equal(["api-p", "cp1"], stored.Paths.Select(p => p.Id));
        Assert.Equal(ItemSource.Api, stored.PathsById["api-p"].Source);
    }

    [Fact]
    public async Task SyncReadOnlyTopologyAsync_EmptyConfiguration_RemovesAllConfigItems()
    {
        var store = await MigratedStoreAsync();
        AssertOk(await store.SyncReadOnlyTopologyAsync(ConfigTopology(withSecondSite: true)));
        AssertOk(await store.InsertSiteAsync(ApiSite("api-s")));

        AssertOk(await store.SyncReadOnlyTopologyAsync(TopologySnapshot.Empty));

        var stored = await store.LoadTopologyAsync();
        Assert.Equal(["api-s"], stored.Sites.Select(s => s.Id));
        Assert.Empty(stored.Links);
        Assert.Empty(stored.Paths);
    }

    [Theory]
    [InlineData("site")]
    [InlineData("link")]
    [InlineData("path")]
    public async Task SyncReadOnlyTopologyAsync_IdTakenByApiItem_ConflictAndNothingWritten(string kind)
    {
        var store = await MigratedStoreAsync();
        var before = ConfigTopology();
        AssertOk(await store.SyncReadOnlyTopologyAsync(before));
        // The API item takes an id the next configuration will use for a new item.
        AssertOk(await store.InsertSiteAsync(ApiSite("api-s")));
        AssertOk(await store.InsertLinkAsync(ApiLink("api-l", "api-s")));
        AssertOk(await (kind switch
        {
            "site" => store.InsertSiteAsync(ApiSite("cs2")),
            "link" => store.InsertLinkAsync(ApiLink("cl2", "api-s")),
            _ => store.InsertPathAsync(ApiPath("cp2", "api-l")),
        }));
        var expected = await store.LoadTopologyAsync();
        Time.Advance(TimeSpan.FromMinutes(1));

        // Also renames cs1 and re-costs cl1, which must be rolled back with everything else.
        var result = await store.SyncReadOnlyTopologyAsync(ConfigTopology(withSecondSite: true, cs1Name: "Renamed", cl1Cost: 77));

        AssertStatus(StoreStatus.Conflict, result, kind == "site" ? "'cs2'" : kind == "link" ? "'cl2'" : "'cp2'");
        AssertSameTopology(expected, await store.LoadTopologyAsync());
    }

    [Fact]
    public async Task SyncReadOnlyTopologyAsync_RemovedLinkUsedByApiPath_InUseAndNothingWritten()
    {
        var store = await MigratedStoreAsync();
        AssertOk(await store.SyncReadOnlyTopologyAsync(ConfigTopology(withSecondSite: true)));
        AssertOk(await store.InsertPathAsync(ApiPath("api-p", "cl2")));
        var expected = await store.LoadTopologyAsync();

        // cl2 (and cs2, cp2) leave the configuration and cs1 is renamed; the API path still needs cl2.
        var result = await store.SyncReadOnlyTopologyAsync(ConfigTopology(cs1Name: "Renamed"));

        AssertStatus(StoreStatus.InUse, result, "'cl2'");
        AssertSameTopology(expected, await store.LoadTopologyAsync());
    }

    [Fact]
    public async Task SyncReadOnlyTopologyAsync_RemovedSiteUsedByApiLink_InUse()
    {
        var store = await MigratedStoreAsync();
        AssertOk(await store.SyncReadOnlyTopologyAsync(ConfigTopology(withSecondSite: true)));
        AssertOk(await store.InsertLinkAsync(ApiLink("api-l", "cs2")));

        var result = await store.SyncReadOnlyTopologyAsync(ConfigTopology());

        AssertStatus(StoreStatus.InUse, result, "'cs2'");
        Assert.Contains("cs2", (await store.LoadTopologyAsync()).SitesById.Keys);
    }

    [Fact]
    public async Task SyncReadOnlyTopologyAsync_LinkToUnknownSite_MissingReferenceAndNothingWritten()
    {
        var store = await MigratedStoreAsync();
        var configured = ConfigTopology();
        var broken = new TopologySnapshot(configured.Sites, [configured.Links[0] with { SiteId = "ghost" }], []);

        AssertStatus(StoreStatus.MissingReference, await store.SyncReadOnlyTopologyAsync(broken));

        Assert.Empty((await store.LoadTopologyAsync()).Sites);
    }
}
