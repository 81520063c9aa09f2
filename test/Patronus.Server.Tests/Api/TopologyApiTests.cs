using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.Api;

public sealed class TopologyApiTests
{
    private const string Config = """
        {
          "Sites": [ { "Id": "hq", "Name": "Headquarters" }, { "Id": "dc" } ],
          "Links": [ { "Id": "hq-fibre", "Site": "hq", "Interface": "eth1", "SourceAddress": "10.240.1.2", "Gateway": "10.240.1.1", "Cost": 10 } ],
          "Paths": [ { "Id": "hq-fibre-dc", "Link": "hq-fibre", "RemoteSite": "dc", "Targets": [ "10.240.9.1", "10.240.9.2:862" ] } ]
        }
        """;

    [Fact]
    public async Task ConfigItems_AreListedAndReadOnly()
    {
        await using var server = await RunningServer.StartAsync(Config);

        var path = await server.GetJsonAsync("/api/v1/paths/hq-fibre-dc");
        Assert.Equal("hq", path.GetProperty("site_id").GetString());
        Assert.Equal("dc", path.GetProperty("remote_site_id").GetString());
        Assert.Equal(["10.240.9.1", "10.240.9.2:862"], path.GetProperty("targets").EnumerateArray().Select(t => t.GetString()));
        Assert.True(path.GetProperty("read_only").GetBoolean());
        Assert.Equal("config", path.GetProperty("source").GetString());

        using var put = await server.PutJsonAsync("/api/v1/links/hq-fibre", """{"site_id":"hq","cost":5}""");
        await AssertProblemAsync(put, HttpStatusCode.Conflict, "read-only");
        using var delete = await server.Client.DeleteAsync("/api/v1/sites/hq");
        await AssertProblemAsync(delete, HttpStatusCode.Conflict, "read-only");
        Assert.Equal(10, (await server.GetJsonAsync("/api/v1/links/hq-fibre")).GetProperty("cost").GetInt32());
    }

    [Fact]
    public async Task Crud_SiteLinkPath_RoundTrips()
    {
        await using var server = await RunningServer.StartAsync(Config);

        using (var r = await server.PostJsonAsync("/api/v1/sites", """{"id":"branch-7","name":"Branch 7","description":"Lyon"}"""))
        {
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
            Assert.Equal("/api/v1/sites/branch-7", r.Headers.Location?.OriginalString);
        }

        using (var r = await server.PostJsonAsync("/api/v1/links", """{"id":"b7-lte","site_id":"branch-7","interface":"wwan0","source_address":"10.240.7.2","gateway":"10.240.7.1","cost":50}"""))
        {
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        }

        using (var r = await server.PostJsonAsync("/api/v1/paths", """{"id":"b7-lte-dc","link_id":"b7-lte","remote_site_id":"dc","targets":["10.240.9.1"]}"""))
        {
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
            var body = await r.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("branch-7", body.GetProperty("site_id").GetString());
            Assert.False(body.GetProperty("read_only").GetBoolean());
        }

        // PUT changes what it names and keeps the rest; null clears an optional field.
        using (var r = await server.PutJsonAsync("/api/v1/paths/b7-lte-dc", """{"targets":["10.240.9.1","10.240.9.3"]}"""))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }

        var path = await server.GetJsonAsync("/api/v1/paths/b7-lte-dc");
        Assert.Equal(2, path.GetProperty("targets").GetArrayLength());
        Assert.Equal("dc", path.GetProperty("remote_site_id").GetString());

        using (var r = await server.PutJsonAsync("/api/v1/paths/b7-lte-dc", """{"remote_site_id":null}"""))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }

        path = await server.GetJsonAsync("/api/v1/paths/b7-lte-dc");
        Assert.Equal(JsonValueKind.Null, path.GetProperty("remote_site_id").ValueKind);
        Assert.Equal(2, path.GetProperty("targets").GetArrayLength());
        Assert.Equal(2, (await server.GetJsonAsync("/api/v1/paths")).GetArrayLength());

        // A site with links cannot go; remove children first.
        using (var r = await server.Client.DeleteAsync("/api/v1/sites/branch-7"))
        {
            await AssertProblemAsync(r, HttpStatusCode.Conflict, "branch-7");
        }

        using (var r = await server.Client.DeleteAsync("/api/v1/links/b7-lte"))
        {
            await AssertProblemAsync(r, HttpStatusCode.Conflict, "paths still use it");
        }

        foreach (var url in new[] { "/api/v1/paths/b7-lte-dc", "/api/v1/links/b7-lte", "/api/v1/sites/branch-7" })
        {
            using var r = await server.Client.DeleteAsync(url);
            Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
            using var gone = await server.Client.GetAsync(url);
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
    }

    [Fact]
    public async Task ApiItems_SurviveRestart()
    {
        var dir = new TempDir();
        try
        {
            // Same data dir twice: the API-created site must still be there.
            var data = Path.Combine(dir.Path, "data");
            await using (var first = await RunningServer.StartAsync(Config, dataDir: data))
            {
                using var r = await first.PostJsonAsync("/api/v1/sites", """{"id":"kept"}""");
                Assert.Equal(HttpStatusCode.Created, r.StatusCode);
            }

            await using var second = await RunningServer.StartAsync(Config, dataDir: data);
            var sites = await second.GetJsonAsync("/api/v1/sites");
            Assert.Contains(sites.EnumerateArray(), s => s.GetProperty("id").GetString() == "kept");
        }
        finally
        {
            dir.Dispose();
        }
    }

    [Theory]
    [InlineData("/api/v1/links", """{"id":"l1","site_id":"nowhere"}""", "site_id", "nowhere")]
    [InlineData("/api/v1/links", """{"id":"l1","site_id":"hq","gateway":"10.0.0"}""", "gateway", "10.0.0")]
    [InlineData("/api/v1/links", """{"id":"l1","site_id":"hq","cost":70000}""", "cost", "70000")]
    [InlineData("/api/v1/links", """{"id":"l1","site_id":"hq","cost":"ten"}""", "cost", "wrong type")]
    [InlineData("/api/v1/links", """{"id":"l1","site_id":"hq","gatway":"10.0.0.1"}""", "gatway", "unknown field")]
    [InlineData("/api/v1/links", """{"id":"l1","site_id":"hq","interface":"averyveryverylongname"}""", "interface", "interface name")]
    [InlineData("/api/v1/links", """{"id":"l1"}""", "site_id", "required")]
    [InlineData("/api/v1/paths", """{"id":"p1","link_id":"hq-fibre","targets":[]}""", "targets", "at least one")]
    [InlineData("/api/v1/paths", """{"id":"p1","link_id":"hq-fibre","targets":["10.240.9.1","nope"]}""", "targets[1]", "nope")]
    [InlineData("/api/v1/paths", """{"id":"p1","link_id":"hq-fibre","targets":["2001:db8::1"]}""", "targets[0]", "address family")]
    [InlineData("/api/v1/paths", """{"id":"p1","link_id":"missing","targets":["10.240.9.1"]}""", "link_id", "missing")]
    [InlineData("/api/v1/paths", """{"id":"p1","link_id":"hq-fibre","targets":["10.240.9.1"],"bfd":{"peer":"10.240.9.1","detect_multiplier":0}}""", "bfd.detect_multiplier", "out of range")]
    [InlineData("/api/v1/paths", """{"id":"p1","link_id":"hq-fibre","targets":["10.240.9.1"],"bfd":{"peer":"nope"}}""", "bfd.peer", "nope")]
    [InlineData("/api/v1/paths", """{"id":"p1","link_id":"hq-fibre","targets":["10.240.9.1"],"bfd":{"peer":"10.240.9.1","auth":{"type":"md4","secret":"x"}}}""", "bfd.auth.type", "md4")]
    [InlineData("/api/v1/paths", """{"id":"p1","link_id":"hq-fibre","targets":["10.240.9.1"],"bfd":{"peer":"10.240.9.1","auth":{"type":"keyed-sha1"}}}""", "bfd.auth.secret", "required")]
    [InlineData("/api/v1/paths", """{"id":"p1","link_id":"hq-fibre","targets":["10.240.9.1"],"bfd":{"peer":"10.240.9.1","auth":{"type":"keyed-sha1","key_id":300,"secret":"x"}}}""", "bfd.auth.key_id", "out of range")]
    [InlineData("/api/v1/sites", """{"id":"bad id!"}""", "id", "not a valid id")]
    [InlineData("/api/v1/sites", """{"name":"no id"}""", "id", "required")]
    [InlineData("/api/v1/sites", """{"id":"x",""", "body", "not valid JSON")]
    [InlineData("/api/v1/sites", """[1,2]""", "body", "")]
    public async Task Post_InvalidBody_ProblemNamesField(string url, string body, string field, string fragment)
    {
        await using var server = await RunningServer.StartAsync(Config);
        using var response = await server.PostJsonAsync(url, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), $"no error for '{field}' in {problem}");
        Assert.Contains(fragment, messages[0].GetString(), StringComparison.OrdinalIgnoreCase);

        // Nothing was written by the rejected request.
        Assert.Equal(2, (await server.GetJsonAsync("/api/v1/sites")).GetArrayLength());
        Assert.Single((await server.GetJsonAsync("/api/v1/links")).EnumerateArray());
        Assert.Single((await server.GetJsonAsync("/api/v1/paths")).EnumerateArray());
    }

    [Fact]
    public async Task Post_DuplicateId_Conflict()
    {
        await using var server = await RunningServer.StartAsync(Config);
        using var configured = await server.PostJsonAsync("/api/v1/sites", """{"id":"hq"}""");
        await AssertProblemAsync(configured, HttpStatusCode.Conflict, "'hq' already exists");
        using var first = await server.PostJsonAsync("/api/v1/sites", """{"id":"s2"}""");
        using var second = await server.PostJsonAsync("/api/v1/sites", """{"id":"s2"}""");
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        await AssertProblemAsync(second, HttpStatusCode.Conflict, "'s2' already exists");
    }

    [Fact]
    public async Task Put_IdMismatchOrMissingItem_Rejected()
    {
        await using var server = await RunningServer.StartAsync(Config);
        using var created = await server.PostJsonAsync("/api/v1/sites", """{"id":"s2"}""");
        using var mismatch = await server.PutJsonAsync("/api/v1/sites/s2", """{"id":"s3"}""");
        await AssertProblemAsync(mismatch, HttpStatusCode.BadRequest, "does not match");
        using var missing = await server.PutJsonAsync("/api/v1/sites/nope", """{"name":"x"}""");
        await AssertProblemAsync(missing, HttpStatusCode.NotFound, "nope");
    }

    [Fact]
    public async Task Post_WrongContentType_Unsupported()
    {
        await using var server = await RunningServer.StartAsync(Config);
        using var response = await server.Client.PostAsync("/api/v1/sites", new StringContent("""{"id":"x"}""", System.Text.Encoding.UTF8, "text/plain"));
        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "application/json");
    }

    [Fact]
    public async Task Quickstart_DemoSiteWithTwoLoopbackPaths()
    {
        await using var server = await RunningServer.StartAsync();
        var paths = await server.GetJsonAsync("/api/v1/paths");
        Assert.Equal(2, paths.GetArrayLength());
        foreach (var p in paths.EnumerateArray())
        {
            Assert.Equal("demo", p.GetProperty("site_id").GetString());
            Assert.Equal("quickstart", p.GetProperty("source").GetString());
            Assert.All(p.GetProperty("targets").EnumerateArray(), t => Assert.StartsWith("127.", t.GetString(), StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task PathBfd_SecretIsWriteOnlyAndKeptOnUpdate()
    {
        await using var server = await RunningServer.StartAsync(Config);
        const string Secret = "Tr0ub4dor&3";

        using (var r = await server.PostJsonAsync("/api/v1/paths", """
            {"id":"p-bfd","link_id":"hq-fibre","targets":["10.240.9.1"],
             "bfd":{"peer":"10.240.9.1","desired_min_tx_ms":50,"required_min_rx_ms":50,"auth":{"type":"meticulous-keyed-sha1","key_id":3,"secret":"SECRET"}}}
            """.Replace("SECRET", Secret, StringComparison.Ordinal)))
        {
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
            Assert.DoesNotContain(Secret, await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var bfd = (await server.GetJsonAsync("/api/v1/paths/p-bfd")).GetProperty("bfd");
        Assert.Equal("10.240.9.1", bfd.GetProperty("peer").GetString());
        Assert.Equal(50, bfd.GetProperty("desired_min_tx_ms").GetInt32());
        Assert.Equal(3, bfd.GetProperty("detect_multiplier").GetInt32());
        Assert.Equal("meticulous-keyed-sha1", bfd.GetProperty("auth").GetProperty("type").GetString());
        Assert.False(bfd.GetProperty("auth").TryGetProperty("secret", out _));

        // Read-modify-write without the secret keeps it; the timers change.
        using (var r = await server.PutJsonAsync("/api/v1/paths/p-bfd", """
            {"link_id":"hq-fibre","targets":["10.240.9.1"],"bfd":{"peer":"10.240.9.1","desired_min_tx_ms":100,"auth":{"type":"meticulous-keyed-sha1","key_id":3}}}
            """))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }

        var stored = await server.Services.GetRequiredService<Patronus.Engine.Paths.ITopologyStore>().LoadTopologyAsync();
        Assert.Equal(Secret, stored.PathsById["p-bfd"].Bfd!.Auth!.Secret);
        Assert.Equal(100, stored.PathsById["p-bfd"].Bfd!.DesiredMinTxMs);
    }

    [Fact]
    public async Task Put_PartialBody_KeepsEveryFieldItDoesNotName()
    {
        await using var server = await RunningServer.StartAsync(Config);
        const string Secret = "k3y-0f-p4th";
        using (var r = await server.PostJsonAsync("/api/v1/paths", """
            {"id":"p-full","name":"Full","link_id":"hq-fibre","remote_site_id":"dc","targets":["10.240.9.1","10.240.9.2"],"probe":"icmp","quorum":2,
             "thresholds":{"latency_ms":80,"loss_pct":2,"jitter_ms":10},
             "bfd":{"peer":"10.240.9.1","desired_min_tx_ms":100,"required_min_rx_ms":100,"detect_multiplier":5,"auth":{"type":"keyed-sha1","key_id":7,"secret":"SECRET"}}}
            """.Replace("SECRET", Secret, StringComparison.Ordinal)))
        {
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        }

        var before = (await server.GetJsonAsync("/api/v1/paths/p-full")).GetRawText();
        using (var r = await server.PutJsonAsync("/api/v1/paths/p-full", """{"targets":["10.240.9.1","10.240.9.3"]}"""))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }

        var after = await server.GetJsonAsync("/api/v1/paths/p-full");
        Assert.Equal(before.Replace("10.240.9.2", "10.240.9.3", StringComparison.Ordinal), after.GetRawText());
        var store = server.Services.GetRequiredService<Patronus.Engine.Paths.ITopologyStore>();
        Assert.Equal(Secret, (await store.LoadTopologyAsync()).PathsById["p-full"].Bfd!.Auth!.Secret);

        // A nested object merges field by field: the peer, timers and secret stay.
        using (var r = await server.PutJsonAsync("/api/v1/paths/p-full", """{"bfd":{"detect_multiplier":3},"thresholds":{"latency_ms":90}}"""))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }

        var stored = (await store.LoadTopologyAsync()).PathsById["p-full"];
        Assert.Equal(new Patronus.Engine.Bfd.BfdPathSettings("10.240.9.1", DesiredMinTxMs: 100, RequiredMinRxMs: 100, DetectMultiplier: 3,
            Auth: new Patronus.Engine.Bfd.BfdAuthSettings(Patronus.Engine.Bfd.BfdAuthMode.KeyedSha1, 7, Secret)), stored.Bfd);
        Assert.Equal(new Patronus.Engine.Health.HealthThresholds(90, 2, 10), stored.Thresholds);

        // null removes the session.
        using (var r = await server.PutJsonAsync("/api/v1/paths/p-full", """{"bfd":null}"""))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }

        Assert.Null((await store.LoadTopologyAsync()).PathsById["p-full"].Bfd);

        // Links and sites alike.
        using (var r = await server.PostJsonAsync("/api/v1/sites", """{"id":"s9","name":"Site 9","description":"Lyon"}""")) { Assert.Equal(HttpStatusCode.Created, r.StatusCode); }
        using (var r = await server.PostJsonAsync("/api/v1/links", """{"id":"l9","site_id":"s9","interface":"eth9","source_address":"10.9.0.2","gateway":"10.9.0.1","cost":40}""")) { Assert.Equal(HttpStatusCode.Created, r.StatusCode); }
        using (var r = await server.PutJsonAsync("/api/v1/sites/s9", """{"description":"Lyon 2"}""")) { Assert.Equal(HttpStatusCode.OK, r.StatusCode); }
        using (var r = await server.PutJsonAsync("/api/v1/links/l9", """{"cost":7}""")) { Assert.Equal(HttpStatusCode.OK, r.StatusCode); }
        var site = await server.GetJsonAsync("/api/v1/sites/s9");
        Assert.Equal(("Site 9", "Lyon 2"), (site.GetProperty("name").GetString(), site.GetProperty("description").GetString()));
        var link = await server.GetJsonAsync("/api/v1/links/l9");
        Assert.Equal(("s9", "eth9", "10.9.0.2", "10.9.0.1", 7), (link.GetProperty("site_id").GetString(), link.GetProperty("interface").GetString(),
            link.GetProperty("source_address").GetString(), link.GetProperty("gateway").GetString(), link.GetProperty("cost").GetInt32()));
    }

    [Theory]
    [InlineData("""{"name":"a","name":"b"}""", "'name' is given more than once")]
    [InlineData("""{"nmae":"x"}""", "nmae")]
    [InlineData("""{"cost":"7"}""", "cost")]
    public async Task Put_BadBody_400NamingTheField_NothingChanges(string body, string fragment)
    {
        await using var server = await RunningServer.StartAsync(Config);
        using (var r = await server.PostJsonAsync("/api/v1/links", """{"id":"l9","site_id":"hq","cost":40}""")) { Assert.Equal(HttpStatusCode.Created, r.StatusCode); }
        var before = (await server.GetJsonAsync("/api/v1/links/l9")).GetRawText();

        using var put = await server.PutJsonAsync("/api/v1/links/l9", body);

        await AssertProblemAsync(put, HttpStatusCode.BadRequest, fragment);
        Assert.Equal(before, (await server.GetJsonAsync("/api/v1/links/l9")).GetRawText());
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string fragment)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(fragment, text, StringComparison.OrdinalIgnoreCase);
    }
}
