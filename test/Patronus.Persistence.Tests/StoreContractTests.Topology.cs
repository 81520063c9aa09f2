using Dapper;
using Patronus.Engine.Paths;
using Patronus.Engine.Storage;

namespace Patronus.Persistence.Tests;

/// <summary>Insert, update and delete of sites, links and paths through the API methods.</summary>
public abstract partial class StoreContractTests
{
    [Fact]
    public async Task InsertSiteAsync_NewSite_IsLoadedBackAsApiItem()
    {
        var store = await MigratedStoreAsync();
        var site = ApiSite("hq");

        AssertOk(await store.InsertSiteAsync(site));

        Assert.Equal([site], (await store.LoadTopologyAsync()).Sites);
    }

    [Fact]
    public async Task InsertSiteAsync_SourceConfig_IsStoredAsApi()
    {
        // The API cannot create read-only items by claiming another source.
        var store = await MigratedStoreAsync();

        AssertOk(await store.InsertSiteAsync(new Site("hq", "HQ", null, ItemSource.Config)));

        var stored = Assert.Single((await store.LoadTopologyAsync()).Sites);
        Assert.Equal(new Site("hq", "HQ", null, ItemSource.Api), stored);
        AssertOk(await store.DeleteSiteAsync("hq"));
    }

    [Fact]
    public async Task UpdateSiteAsync_ApiSite_ChangesFieldsAndUpdatedAtOnly()
    {
        var store = await MigratedStoreAsync();
        AssertOk(await store.InsertSiteAsync(ApiSite("hq")));
        Time.Advance(TimeSpan.FromMinutes(5));
        var changed = new Site("hq", "Head office", null, ItemSource.Api);

        AssertOk(await store.UpdateSiteAsync(changed));

        Assert.Equal([changed], (await store.LoadTopologyAsync()).Sites);
        await using var connection = await OpenRawAsync();
        var (created, updated) = await connection.QuerySingleAsync<(long, long)>("SELECT created_at, updated_at FROM sdwan_sites");
        Assert.Equal(Start.ToUnixTimeMilliseconds(), created);
        Assert.Equal(Start.AddMinutes(5).ToUnixTimeMilliseconds(), updated);
    }

    [Fact]
    public async Task DeleteSiteAsync_ApiSite_RemovesIt()
    {
        var store = await MigratedStoreAsync();
        AssertOk(await store.InsertSiteAsync(ApiSite("hq")));
        AssertOk(await store.InsertSiteAsync(ApiSite("branch")));

        AssertOk(await store.DeleteSiteAsync("hq"));

        Assert.Equal(["branch"], (await store.LoadTopologyAsync()).Sites.Select(s => s.Id));
    }

    [Fact]
    public async Task InsertLinkAsync_AllFields_RoundTrip()
    {
        var store = await MigratedStoreAsync();
        AssertOk(await store.InsertSiteAsync(ApiSite("s1")));
        var full = new WanLink("fibre", "s1", "Fibre", "enp1s0", "2001:db8::10", "2001:db8::1", 65535, ItemSource.Api);
        var bare = new WanLink("lte", "s1", "LTE", null, null, null, 0, ItemSource.Api);

        AssertOk(await store.InsertLinkAsync(full));
        AssertOk(await store.InsertLinkAsync(bare));

        Assert.Equal([full, bare], (await store.LoadTopologyAsync()).Links);
    }

    [Fact]
    public async Task UpdateLinkAsync_ApiLink_ChangesEveryField()
    {
        var store = await MigratedStoreAsync();
        AssertOk(await store.InsertSiteAsync(ApiSite("s1")));
        AssertOk(await store.InsertSiteAsync(ApiSite("s2")));
        AssertOk(await store.InsertLinkAsync(ApiLink("l1", "s1")));
        var changed = new WanLink("l1", "s2", "Moved", "eth9", "203.0.113.5", null, 99, ItemSource.Api);

        AssertOk(await store.UpdateLinkAsync(changed));

        Assert.Equal([changed], (await store.LoadTopologyAsync()).Links);
    }

    [Fact]
    public async Task DeleteLinkAsync_ApiLinkWithoutPaths_RemovesIt()
    {
        var store = await MigratedStoreAsync();
        AssertOk(await store.InsertSiteAsync(ApiSite("s1")));
        AssertOk(await store.InsertLinkAsync(ApiLink("l1", "s1")));

        AssertOk(await store.DeleteLinkAsync("l1"));

        Assert.Empty((await store.LoadTopologyAsync()).Links);
    }

    [Fact]
    public async Task InsertPathAsync_TargetsAndRemoteSite_RoundTrip()
    {
        var store = await MigratedStoreAsync();
        AssertOk(await store.InsertSiteAsync(ApiSite("s1")));
        AssertOk(await store.InsertSiteAsync(ApiSite("dc")));
        AssertOk(await store.InsertLinkAsync(ApiLink("l1", "s1")));
        var path = new PathDefinition("p1", "To DC", "l1", "dc", ["10.0.0.1", "10.0.0.2:862", "[2001:db8::1]:862"], ItemSource.Api);

        AssertOk(await store.InsertPathAsync(path));

        AssertSamePath(path, Assert.Single((await store.LoadTopologyAsync()).Paths));
    }

    [Fact]
    public async Task UpdatePathAsync_ApiPath_ReplacesTargetsAndLink()
    {
        var store = await StoreWithApiPathAsync();
        AssertOk(await store.InsertLinkAsync(ApiLink("l2", "s1")));
        var changed = new PathDefinition("p1", "Renamed", "l2", "s1", ["198.51.100.7", "198.51.100.8"], ItemSource.Api);

        AssertOk(await store.UpdatePathAsync(changed));

        AssertSamePath(changed, Assert.Single((await store.LoadTopologyAsync()).Paths));
    }

    [Fact]
    public async Task UpdatePathAsync_BfdSettings_RoundTripWithSecretAndRemoval()
    {
        var store = await StoreWithApiPathAsync();
        var path = Assert.Single((await store.LoadTopologyAsync()).Paths);
        var bfd = new Engine.Bfd.BfdPathSettings("10.0.0.1", true, 50, 60, 5, true, 250,
            new Engine.Bfd.BfdAuthSettings(Engine.Bfd.BfdAuthMode.MeticulousKeyedMd5, 9, "s3cret"), true);

        AssertOk(await store.UpdatePathAsync(path with { Bfd = bfd }));
        Assert.Equal(bfd, Assert.Single((await store.LoadTopologyAsync()).Paths).Bfd);

        AssertOk(await store.UpdatePathAsync(path with { Bfd = null }));
        Assert.Null(Assert.Single((await store.LoadTopologyAsync()).Paths).Bfd);
    }

    [Fact]
    public async Task DeletePathAsync_ApiPath_RemovesIt()
    {
        var store = await StoreWithApiPathAsync();

        AssertOk(await store.DeletePathAsync("p1"));

        Assert.Empty((await store.LoadTopologyAsync()).Paths);
    }

    [Theory]
    [InlineData("site")]
    [InlineData("link")]
    [InlineData("path")]
    public async Task InsertAsync_DuplicateId_Conflict(string kind)
    {
        var store = await StoreWithApiPathAsync();

        var result = kind switch
        {
            "site" => await store.InsertSiteAsync(ApiSite("s1", "Other")),
            "link" => await store.InsertLinkAsync(ApiLink("l1", "s1", cost: 50)),
            _ => await store.InsertPathAsync(ApiPath("p1", "l1", "192.0.2.99")),
        };

        AssertStatus(StoreStatus.Conflict, result, kind == "site" ? "'s1'" : kind == "link" ? "'l1'" : "'p1'");
        var topology = await store.LoadTopologyAsync();
        Assert.Equal("Site s1", topology.SitesById["s1"].Name);
        Assert.Equal(10, topology.LinksById["l1"].Cost);
        Assert.Equal(["198.51.100.1"], topology.PathsById["p1"].Targets);
    }

    [Theory]
    [InlineData("site")]
    [InlineData("link")]
    [InlineData("path")]
    public async Task UpdateAsync_MissingId_NotFound(string kind)
    {
        var store = await StoreWithApiPathAsync();

        var result = kind switch
        {
            "site" => await store.UpdateSiteAsync(ApiSite("nope")),
            "link" => await store.UpdateLinkAsync(ApiLink("nope", "s1")),
            _ => await store.UpdatePathAsync(ApiPath("nope", "l1")),
        };

        AssertStatus(StoreStatus.NotFound, result, "'nope'");
    }

    [Theory]
    [InlineData("site")]
    [InlineData("link")]
    [InlineData("path")]
    public async Task DeleteAsync_MissingId_NotFound(string kind)
    {
        var store = await StoreWithApiPathAsync();

        var result = kind switch
        {
            "site" => await store.DeleteSiteAsync("nope"),
            "link" => await store.DeleteLinkAsync("nope"),
            _ => await store.DeletePathAsync("nope"),
        };

        AssertStatus(StoreStatus.NotFound, result, "'nope'");
    }

    [Theory]
    [InlineData("site")]
    [InlineData("link")]
    [InlineData("path")]
    public async Task UpdateAsync_ConfigItem_ReadOnlyAndUnchanged(string kind)
    {
        var store = await MigratedStoreAsync();
        var configured = ConfigTopology();
        AssertOk(await store.SyncReadOnlyTopologyAsync(configured));

        var result = kind switch
        {
            "site" => await store.UpdateSiteAsync(ApiSite("cs1", "Hijacked")),
            "link" => await store.UpdateLinkAsync(ApiLink("cl1", "cs1", cost: 1)),
            _ => await store.UpdatePathAsync(ApiPath("cp1", "cl1", "192.0.2.99")),
        };

        AssertStatus(StoreStatus.ReadOnly, result, "config");
        AssertSameTopology(configured, await store.LoadTopologyAsync());
    }

    [Theory]
    [InlineData("site")]
    [InlineData("link")]
    [InlineData("path")]
    public async Task DeleteAsync_ConfigItem_ReadOnlyAndKept(string kind)
    {
        var store = await MigratedStoreAsync();
        var configured = ConfigTopology();
        AssertOk(await store.SyncReadOnlyTopologyAsync(configured));

        var result = kind switch
        {
            "site" => await store.DeleteSiteAsync("cs1"),
            "link" => await store.DeleteLinkAsync("cl1"),
            _ => await store.DeletePathAsync("cp1"),
        };

        AssertStatus(StoreStatus.ReadOnly, result);
        AssertSameTopology(configured, await store.LoadTopologyAsync());
    }

    [Fact]
    public async Task DeleteSiteAsync_SiteWithLinks_InUseAndKept()
    {
        var store = await MigratedStoreAsync();
        AssertOk(await store.InsertSiteAsync(ApiSite("s1")));
        AssertOk(await store.InsertLinkAsync(ApiLink("l1", "s1")));

        AssertStatus(StoreStatus.InUse, await store.DeleteSiteAsync("s1"), "'s1'");

        Assert.Single((await store.LoadTopologyAsync()).Sites);
    }

    [Fact]
    public async Task DeleteSiteAsync_RemoteSiteOfPath_InUse()
    {
        var store = await StoreWithApiPathAsync();
        AssertOk(await store.InsertSiteAsync(ApiSite("dc")));
        AssertOk(await store.UpdatePathAsync(ApiPath("p1", "l1") with { RemoteSiteId = "dc" }));

        AssertStatus(StoreStatus.InUse, await store.DeleteSiteAsync("dc"));
    }

    [Fact]
    public async Task DeleteLinkAsync_LinkWithPaths_InUseAndKept()
    {
        var store = await StoreWithApiPathAsync();

        AssertStatus(StoreStatus.InUse, await store.DeleteLinkAsync("l1"), "'l1'");

        Assert.Single((await store.LoadTopologyAsync()).Links);
    }

    [Fact]
    public async Task InsertLinkAsync_UnknownSite_MissingReference()
    {
        var store = await MigratedStoreAsync();

        AssertStatus(StoreStatus.MissingReference, await store.InsertLinkAsync(ApiLink("l1", "ghost")));

        Assert.Empty((await store.LoadTopologyAsync()).Links);
    }

    [Fact]
    public async Task InsertPathAsync_UnknownLinkOrRemoteSite_MissingReference()
    {
        var store = await StoreWithApiPathAsync();

        AssertStatus(StoreStatus.MissingReference, await store.InsertPathAsync(ApiPath("p2", "ghost")));
        AssertStatus(StoreStatus.MissingReference, await store.InsertPathAsync(ApiPath("p3", "l1") with { RemoteSiteId = "ghost" }));

        Assert.Equal(["p1"], (await store.LoadTopologyAsync()).Paths.Select(p => p.Id));
    }

    [Fact]
    public async Task UpdateLinkAsync_UnknownSite_MissingReferenceAndUnchanged()
    {
        var store = await StoreWithApiPathAsync();

        AssertStatus(StoreStatus.MissingReference, await store.UpdateLinkAsync(ApiLink("l1", "ghost")));

        Assert.Equal("s1", (await store.LoadTopologyAsync()).LinksById["l1"].SiteId);
    }
}
