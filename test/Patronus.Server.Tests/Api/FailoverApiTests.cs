using System.Net;
using System.Text.Json;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.Api;

/// <summary>Failover policies over REST, on the quickstart's two live loopback paths plus a path to nothing.</summary>
public sealed class FailoverApiTests
{
    private static Task<JsonElement> WaitForAsync(RunningServer server, string url, Func<JsonElement, bool> condition, TimeSpan timeout) =>
        server.WaitForJsonAsync(url, condition, timeout);

    private static async Task<JsonElement> CreatedAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task Crud_RoundTrip_AndPathInUse()
    {
        await using var server = await RunningServer.StartAsync();

        using var create = await server.PostJsonAsync("/api/v1/failover/policies", """
            {"name":"to-demo","primary_path_id":"demo-wan1-loopback","backup_path_ids":["demo-wan2-loopback"],
             "failback_delay_secs":5,"prefixes":["10.99.0.0/16"]}
            """);
        var created = await CreatedAsync(create);
        var id = created.GetProperty("policy_id").GetInt64();
        Assert.Equal($"/api/v1/failover/policies/{id}", create.Headers.Location?.OriginalString);
        Assert.Equal(50, created.GetProperty("failover_threshold").GetDouble());  // the seed's defaults
        Assert.Equal(80, created.GetProperty("failback_threshold").GetDouble());
        Assert.True(created.GetProperty("enabled").GetBoolean());

        var listed = Assert.Single((await server.GetJsonAsync("/api/v1/failover/policies")).EnumerateArray());
        Assert.Equal("demo-wan1-loopback", listed.GetProperty("active_path_id").GetString());

        using (var put = await server.PutJsonAsync($"/api/v1/failover/policies/{id}", """
            {"name":"to-demo","primary_path_id":"demo-wan2-loopback","backup_path_ids":["demo-wan1-loopback"],"enabled":false}
            """))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        // PUT changes what it names; the failback delay and prefixes it does not name stay.
        var one = await server.GetJsonAsync($"/api/v1/failover/policies/{id}");
        Assert.False(one.GetProperty("enabled").GetBoolean());
        Assert.Equal("demo-wan2-loopback", one.GetProperty("primary_path_id").GetString());
        Assert.Equal(5, one.GetProperty("failback_delay_secs").GetInt32());
        Assert.Equal(["10.99.0.0/16"], one.GetProperty("prefixes").EnumerateArray().Select(p => p.GetString()));

        // null restores a default.
        using (var put = await server.PutJsonAsync($"/api/v1/failover/policies/{id}", """{"failback_delay_secs":null}"""))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        one = await server.GetJsonAsync($"/api/v1/failover/policies/{id}");
        Assert.Equal(60, one.GetProperty("failback_delay_secs").GetInt32());
        Assert.False(one.GetProperty("enabled").GetBoolean());

        using (var inUse = await server.Client.DeleteAsync("/api/v1/paths/demo-wan2-loopback"))
        {
            Assert.Equal(HttpStatusCode.Conflict, inUse.StatusCode);
        }

        using (var delete = await server.Client.DeleteAsync($"/api/v1/failover/policies/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }

        Assert.Empty((await server.GetJsonAsync("/api/v1/failover/policies")).EnumerateArray());
        using var missing = await server.Client.GetAsync($"/api/v1/failover/policies/{id}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Post_TwentyConcurrentPoliciesClaimingOnePrefix_OneCreatedAndOnlyItSurvivesRestart()
    {
        var dir = new TempDir();
        try
        {
            var data = Path.Combine(dir.Path, "data");
            await using (var server = await RunningServer.StartAsync(dataDir: data))
            {
                var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => server.PostJsonAsync("/api/v1/failover/policies",
                    $$"""{"name":"race-{{i}}","primary_path_id":"demo-wan1-loopback","prefixes":["10.77.0.0/16","10.{{i}}.0.0/16"]}""")));
                var outcomes = new List<(HttpStatusCode Status, string Body)>();
                foreach (var response in responses)
                {
                    outcomes.Add((response.StatusCode, await response.Content.ReadAsStringAsync()));
                    response.Dispose();
                }

                var summary = string.Join(", ", outcomes.GroupBy(o => (int)o.Status).Select(g => $"{g.Count()}× {g.Key}"));
                Assert.True(outcomes.Count(o => o.Status == HttpStatusCode.Created) == 1, summary);
                // 400 when validation already saw the winner; 409 when the store refused a claim that raced it.
                Assert.All(outcomes.Where(o => o.Status != HttpStatusCode.Created), o =>
                {
                    Assert.Contains(o.Status, new[] { HttpStatusCode.BadRequest, HttpStatusCode.Conflict });
                    Assert.Contains("prefix 10.77.0.0/16 is already steered by policy 'race-", o.Body, StringComparison.Ordinal);
                });
            }

            await using var restarted = await RunningServer.StartAsync(dataDir: data);
            Assert.Single((await restarted.GetJsonAsync("/api/v1/failover/policies")).EnumerateArray());
        }
        finally
        {
            dir.Dispose();
        }
    }

    [Theory]
    [InlineData("""{"name":"p","primary_path_id":"demo-wan1-loopback","backup_path_ids":["demo-wan1-loopback"]}""", "backup_path_ids[0]", "is the primary path")]
    [InlineData("""{"name":"p","primary_path_id":"nope","backup_path_ids":[]}""", "primary_path_id", "'nope' is not defined")]
    [InlineData("""{"name":"p","primary_path_id":"demo-wan1-loopback","backup_path_ids":["ghost"]}""", "backup_path_ids[0]", "'ghost' is not defined")]
    [InlineData("""{"name":"p","primary_path_id":"demo-wan1-loopback","failover_threshold":80,"failback_threshold":70}""", "failback_threshold", "greater than the failover threshold")]
    [InlineData("""{"name":"p","primary_path_id":"demo-wan1-loopback","failover_threshold":150}""", "failover_threshold", "out of range")]
    [InlineData("""{"name":"p","primary_path_id":"demo-wan1-loopback","failback_delay_secs":-1}""", "failback_delay_secs", "out of range")]
    [InlineData("""{"name":"p","primary_path_id":"demo-wan1-loopback","prefixes":["10.99.1.0/16"]}""", "prefixes[0]", "did you mean 10.99.0.0/16")]
    [InlineData("""{"name":"p","primary_path_id":"demo-wan1-loopback","prefixes":["10.99.0.0/16","10.99.0.0/16"]}""", "prefixes[1]", "duplicate prefix")]
    [InlineData("""{"name":"bad name!","primary_path_id":"demo-wan1-loopback"}""", "name", "not a valid name")]
    [InlineData("""{"name":"p","primary_path_id":"demo-wan1-loopback","bogus":1}""", "bogus", "unknown field")]
    [InlineData("""{"name":"p","primary_path_id":"demo-wan1-loopback","class":"voice"}""", "class", "'voice' is not a traffic class: TrafficClasses defines none")]
    public async Task Post_Invalid_ProblemNamesField(string body, string field, string fragment)
    {
        await using var server = await RunningServer.StartAsync();
        using var response = await server.PostJsonAsync("/api/v1/failover/policies", body);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
        var errors = JsonDocument.Parse(text).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), $"no error for '{field}' in {text}");
        Assert.Contains(fragment, messages[0].GetString(), StringComparison.Ordinal);
        Assert.Empty((await server.GetJsonAsync("/api/v1/failover/policies")).EnumerateArray());
    }

    [Fact]
    public async Task Post_ClassPolicy_SharesThePrefixOfTheClasslessOneAndShowsItsClass()
    {
        await using var server = await RunningServer.StartAsync(environment: new()
        {
            ["PATRONUS__TRAFFICCLASSES__0__NAME"] = "voice",
            ["PATRONUS__TRAFFICCLASSES__0__SLA__MAXLOSSPERCENT"] = "1",
        });
        const string Classless = """{"name":"to-demo","primary_path_id":"demo-wan1-loopback","backup_path_ids":["demo-wan2-loopback"],"prefixes":["10.99.0.0/16"]}""";
        const string Voice = """{"name":"voice-to-demo","class":"voice","primary_path_id":"demo-wan1-loopback","backup_path_ids":["demo-wan2-loopback"],"prefixes":["10.99.0.0/16"]}""";

        using var classless = await server.PostJsonAsync("/api/v1/failover/policies", Classless);
        Assert.Equal(JsonValueKind.Null, (await CreatedAsync(classless)).GetProperty("class").ValueKind);
        using var voice = await server.PostJsonAsync("/api/v1/failover/policies", Voice);
        Assert.Equal("voice", (await CreatedAsync(voice)).GetProperty("class").GetString());

        using var again = await server.PostJsonAsync("/api/v1/failover/policies", Voice.Replace("voice-to-demo", "voice-again", StringComparison.Ordinal));
        var text = await again.Content.ReadAsStringAsync();
        Assert.True(again.StatusCode == HttpStatusCode.BadRequest, text);
        Assert.Contains("already steered for class voice by policy 'voice-to-demo'", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeadPrimary_FailsOverToLiveBackup_EventInMetricsFailovers()
    {
        await using var server = await RunningServer.StartAsync();
        // A primary towards a port where nothing answers: it goes Down; the quickstart path stays Up.
        using (var path = await server.PostJsonAsync("/api/v1/paths", """{"id":"dead","link_id":"demo-wan1","targets":["127.0.0.1:9"]}"""))
        {
            Assert.Equal(HttpStatusCode.Created, path.StatusCode);
        }

        var policy = await CreatedAsync(await server.PostJsonAsync("/api/v1/failover/policies",
            """{"name":"fo","primary_path_id":"dead","backup_path_ids":["demo-wan2-loopback"]}"""));
        var id = policy.GetProperty("policy_id").GetInt64();

        await WaitForAsync(server, $"/api/v1/failover/policies/{id}", p => p.GetProperty("active_path_id").GetString() == "demo-wan2-loopback", TimeSpan.FromSeconds(10));
        var events = await WaitForAsync(server, "/api/v1/metrics/failovers", j => j.GetProperty("failovers").GetArrayLength() >= 1, TimeSpan.FromSeconds(5));
        var e = events.GetProperty("failovers")[0];
        Assert.Equal(id, e.GetProperty("policy_id").GetInt64());
        Assert.Equal("triggered", e.GetProperty("type").GetString());
        Assert.Equal("dead", e.GetProperty("from_path").GetString());
        Assert.Equal("demo-wan2-loopback", e.GetProperty("to_path").GetString());
        Assert.EndsWith("Z", e.GetProperty("timestamp").GetString(), StringComparison.Ordinal);
        Assert.True(e.GetProperty("details").GetProperty("dead").GetProperty("measured").GetBoolean());

        using var bad = await server.Client.GetAsync("/api/v1/metrics/failovers?since=yesterday");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task ConfigPolicy_ListedReadOnly_ApiCannotChangeIt()
    {
        await using var server = await RunningServer.StartAsync("""
            {
              "Sites": [ { "Id": "hq" } ],
              "Links": [ { "Id": "l1", "Site": "hq", "SourceAddress": "127.0.0.1" }, { "Id": "l2", "Site": "hq", "SourceAddress": "127.0.0.2" } ],
              "Paths": [ { "Id": "a", "Link": "l1", "Targets": [ "127.0.0.1:9" ] }, { "Id": "b", "Link": "l2", "Targets": [ "127.0.0.1:9" ] } ],
              "FailoverPolicies": [ { "Name": "cfg", "Primary": "a", "Backups": [ "b" ], "FailbackDelaySecs": 30 } ],
              "Failover": { "KernelRoutes": false }
            }
            """);

        var policy = Assert.Single((await server.GetJsonAsync("/api/v1/failover/policies")).EnumerateArray());
        Assert.Equal("config", policy.GetProperty("source").GetString());
        Assert.True(policy.GetProperty("read_only").GetBoolean());
        Assert.Equal(30, policy.GetProperty("failback_delay_secs").GetInt32());
        var id = policy.GetProperty("policy_id").GetInt64();

        using var put = await server.PutJsonAsync($"/api/v1/failover/policies/{id}", """{"name":"cfg","primary_path_id":"b"}""");
        Assert.Equal(HttpStatusCode.Conflict, put.StatusCode);
        using var delete = await server.Client.DeleteAsync($"/api/v1/failover/policies/{id}");
        Assert.Equal(HttpStatusCode.Conflict, delete.StatusCode);
        Assert.Equal("a", (await server.GetJsonAsync($"/api/v1/failover/policies/{id}")).GetProperty("primary_path_id").GetString());
    }
}
