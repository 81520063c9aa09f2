using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Patronus.Engine.Health;
using Patronus.GraphQL.Types;
using Patronus.Persistence.Security;
using Patronus.Server.Api;
using Patronus.Server.GraphQL;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.GraphQL;

/// <summary>/graphql on a real quickstart server, with real tokens for each role.</summary>
public sealed class GraphQLApiTests
{
    internal static async Task<JsonElement> PostAsync(HttpClient client, string query, object? variables = null, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await client.PostAsJsonAsync("/graphql", new { query, variables });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"POST /graphql {query}: {(int)response.StatusCode} {body}");
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }

    private static string? Code(JsonElement result, string field) =>
        result.TryGetProperty("errors", out var errors)
            ? errors.EnumerateArray().Where(e => e.TryGetProperty("path", out var p) && p[0].GetString() == field)
                .Select(e => e.GetProperty("extensions").GetProperty("code").GetString()).FirstOrDefault()
            : null;

    private static void AssertNoErrors(JsonElement result) =>
        Assert.False(result.TryGetProperty("errors", out var errors), $"errors: {errors}");

    [Fact]
    public async Task Anonymous_401_BeforeAnyExecution()
    {
        await using var server = await RunningServer.StartAsync();
        using var response = await server.Anonymous.PostAsJsonAsync("/graphql", new { query = "{ allPathsHealth { pathId } }" });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Viewer_ReadsHealth_SameAsRest()
    {
        await using var server = await RunningServer.StartAsync();
        var viewer = await server.ClientAsAsync("vera", UserRole.Viewer);
        await server.WaitForJsonAsync("/api/v1/metrics/health",
            j => j.GetProperty("paths").EnumerateArray().All(p => p.GetProperty("health").GetProperty("status").GetString() == "up"), TimeSpan.FromSeconds(10));

        var result = await PostAsync(viewer, "{ allPathsHealth { pathId status healthScore lastChecked reason lossSource activeLossPct } paths { id linkId health { status } } }");
        AssertNoErrors(result);
        var health = result.GetProperty("data").GetProperty("allPathsHealth").EnumerateArray().ToList();
        Assert.Equal(["demo-wan1-loopback", "demo-wan2-loopback"], health.Select(h => h.GetProperty("pathId").GetString()).Order());
        Assert.All(health, h => Assert.Equal("UP", h.GetProperty("status").GetString()));
        Assert.All(health, h => Assert.EndsWith("Z", h.GetProperty("lastChecked").GetString(), StringComparison.Ordinal));
        Assert.All(health, h => Assert.False(string.IsNullOrWhiteSpace(h.GetProperty("reason").GetString()), "the monitor's reason, as REST shows it"));
        Assert.All(health, h => Assert.Equal(("ACTIVE", 0.0), (h.GetProperty("lossSource").GetString(), h.GetProperty("activeLossPct").GetDouble()))); // no tunnel traffic
        Assert.All(result.GetProperty("data").GetProperty("paths").EnumerateArray(), p => Assert.Equal("UP", p.GetProperty("health").GetProperty("status").GetString()));

        // GET works for queries.
        using var get = await viewer.GetAsync("/graphql?query=" + Uri.EscapeDataString("{ pathHealth(pathId: \"demo-wan1-loopback\") { status } }"));
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Contains("\"UP\"", await get.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Viewer_PathHealthHistory_RawSamplesOff_OneEntryPerTenSecondBucket()
    {
        await using var server = await RunningServer.StartAsync();
        var viewer = await server.ClientAsAsync("vera", UserRole.Viewer);
        // Two 10-second buckets two hours ago: all Up, then 3 of 10 samples Up with a Down score at worst.
        var now = server.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        var start = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero).AddHours(-2);
        var store = server.Services.GetRequiredService<IHealthHistoryStore>();
        Assert.True((await store.InsertPathHealthBucketsAsync(
        [
            new PathHealthBucket("demo-wan1-loopback", start, HealthResolution.TenSeconds, 10, 12.5, 12, 13, 13, 0, 0.5, 100, 100, 10),
            new PathHealthBucket("demo-wan1-loopback", start.AddSeconds(10), HealthResolution.TenSeconds, 10, 40, 12, 90, 90, 50, 8, 45, 20, 3),
        ])).Succeeded);

        var result = await PostAsync(viewer, "query($s: String!, $u: String) { pathHealthHistory(pathId: \"demo-wan1-loopback\", since: $s, until: $u) { latencyMs packetLossPct status lastChecked lossSource } }",
            new { s = PathHealthEndpoints.Iso(start), u = PathHealthEndpoints.Iso(start.AddMinutes(1)) });

        AssertNoErrors(result);
        var history = result.GetProperty("data").GetProperty("pathHealthHistory").EnumerateArray().ToList();
        Assert.Equal([(12.5, 0.0, "UP"), (40.0, 50.0, "DOWN")],
            history.Select(h => (h.GetProperty("latencyMs").GetDouble(), h.GetProperty("packetLossPct").GetDouble(), h.GetProperty("status").GetString())));
        Assert.Equal(PathHealthEndpoints.Iso(start.AddSeconds(10)), history[1].GetProperty("lastChecked").GetString());
        Assert.All(history, h => Assert.Equal(JsonValueKind.Null, h.GetProperty("lossSource").ValueKind)); // not stored
    }

    [Fact]
    public async Task Operator_PolicyCrud_SharedWithRest_Audited()
    {
        await using var server = await RunningServer.StartAsync();
        var op = await server.ClientAsAsync("olga", UserRole.Operator);

        var created = await PostAsync(op, """
            mutation($name: String!) { createFailoverPolicy(name: $name, primaryPathId: "demo-wan1-loopback", backupPathIds: ["demo-wan2-loopback"],
              failbackDelaySecs: 5, prefixes: ["10.99.0.0/16"]) { policyId name failoverThreshold activePathId enabled prefixes } }
            """, new { name = "gql-demo" });
        AssertNoErrors(created);
        var policy = created.GetProperty("data").GetProperty("createFailoverPolicy");
        var id = policy.GetProperty("policyId").GetString()!;
        Assert.Equal(50, policy.GetProperty("failoverThreshold").GetDouble()); // the seed's default
        Assert.Equal("demo-wan1-loopback", policy.GetProperty("activePathId").GetString());

        // The REST API sees the same policy.
        var rest = await server.GetJsonAsync($"/api/v1/failover/policies/{id}");
        Assert.Equal("gql-demo", rest.GetProperty("name").GetString());

        var updated = await PostAsync(op, $$"""mutation { updateFailoverPolicy(policyId: "{{id}}", enabled: false) { enabled failbackDelaySecs prefixes } }""");
        AssertNoErrors(updated);
        Assert.False(updated.GetProperty("data").GetProperty("updateFailoverPolicy").GetProperty("enabled").GetBoolean());
        Assert.Equal(5, updated.GetProperty("data").GetProperty("updateFailoverPolicy").GetProperty("failbackDelaySecs").GetInt32()); // unchanged

        // Same validation as REST: the same words, as a GraphQL error.
        var bad = await PostAsync(op, """mutation { createFailoverPolicy(name: "x", primaryPathId: "nope", backupPathIds: []) { policyId } }""");
        Assert.Equal("BAD_USER_INPUT", Code(bad, "createFailoverPolicy"));

        var deleted = await PostAsync(op, $$"""mutation { deleteFailoverPolicy(policyId: "{{id}}") }""");
        AssertNoErrors(deleted);
        using (var gone = await server.Client.GetAsync($"/api/v1/failover/policies/{id}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        // Every mutation attempt is in the audit log, which only an admin reads.
        var audit = await PostAsync(server.Client, "{ auditLog(limit: 50) { username action result statusCode } }");
        AssertNoErrors(audit);
        var entries = audit.GetProperty("data").GetProperty("auditLog").EnumerateArray().ToList();
        Assert.Contains(entries, e => e.GetProperty("action").GetString() == "graphql createFailoverPolicy" && e.GetProperty("result").GetString() == "success" && e.GetProperty("username").GetString() == "olga");
        Assert.Contains(entries, e => e.GetProperty("action").GetString() == "graphql createFailoverPolicy" && e.GetProperty("statusCode").GetInt32() == 400);
        Assert.Contains(entries, e => e.GetProperty("action").GetString() == "graphql deleteFailoverPolicy" && e.GetProperty("result").GetString() == "success");
    }

    [Fact]
    public async Task Viewer_Mutation_Forbidden_NothingChanges_DeniedInAudit()
    {
        await using var server = await RunningServer.StartAsync();
        var viewer = await server.ClientAsAsync("vic", UserRole.Viewer);
        var result = await PostAsync(viewer, """mutation { createSite(input: {id: "s9", name: "nine"}) { id } }""");
        Assert.Equal("FORBIDDEN", Code(result, "createSite"));
        using (var missing = await server.Client.GetAsync("/api/v1/sites/s9"))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        var audit = await PostAsync(server.Client, "{ auditLog { username action result } }");
        Assert.Contains(audit.GetProperty("data").GetProperty("auditLog").EnumerateArray(),
            e => e.GetProperty("action").GetString() == "graphql createSite" && e.GetProperty("result").GetString() == "denied" && e.GetProperty("username").GetString() == "vic");
    }

    [Fact]
    public async Task Topology_CrudThroughGraphQL_ReadOnlyItemsRefused()
    {
        await using var server = await RunningServer.StartAsync();
        var created = await PostAsync(server.Client, """mutation { createSite(input: {id: "branch7", name: "Branch 7"}) { id name readOnly source } }""");
        AssertNoErrors(created);
        Assert.Equal("api", created.GetProperty("data").GetProperty("createSite").GetProperty("source").GetString());
        Assert.Equal("Branch 7", (await server.GetJsonAsync("/api/v1/sites/branch7")).GetProperty("name").GetString());

        var readOnly = await PostAsync(server.Client, """mutation { updateSite(id: "demo", input: {name: "x"}) { id } }""");
        Assert.Equal("CONFLICT", Code(readOnly, "updateSite"));

        var deleted = await PostAsync(server.Client, """mutation { deleteSite(id: "branch7") }""");
        AssertNoErrors(deleted);
        Assert.True(deleted.GetProperty("data").GetProperty("deleteSite").GetBoolean());
    }

    [Fact]
    public async Task UpdatePath_InputWithoutBfd_KeepsBfdSettingsAndSecret()
    {
        await using var server = await RunningServer.StartAsync();
        const string Secret = "gr4phql-s3cret";
        var created = await PostAsync(server.Client, """
            mutation($secret: String!) { createPath(input: {id: "p-bfd", linkId: "demo-wan1", targets: ["127.0.0.1"], quorum: 1,
              thresholds: {latencyMs: 80},
              bfd: {peer: "127.0.0.1", desiredMinTxMs: 100, requiredMinRxMs: 100, detectMultiplier: 5, auth: {type: "keyed-sha1", keyId: 4, secret: $secret}}})
              { id bfd { peer desiredMinTxMs detectMultiplier auth { type keyId } } } }
            """, new { secret = Secret });
        AssertNoErrors(created);
        var bfd = created.GetProperty("data").GetProperty("createPath").GetProperty("bfd");
        Assert.Equal(("127.0.0.1", 100, 5, "keyed-sha1", 4), (bfd.GetProperty("peer").GetString(), bfd.GetProperty("desiredMinTxMs").GetInt32(),
            bfd.GetProperty("detectMultiplier").GetInt32(), bfd.GetProperty("auth").GetProperty("type").GetString(), bfd.GetProperty("auth").GetProperty("keyId").GetInt32()));

        var updated = await PostAsync(server.Client, """mutation { updatePath(id: "p-bfd", input: {name: "renamed"}) { name targets thresholds { latencyMs } bfd { peer detectMultiplier } } }""");
        AssertNoErrors(updated);
        var path = updated.GetProperty("data").GetProperty("updatePath");
        Assert.Equal("renamed", path.GetProperty("name").GetString());
        Assert.Equal(80, path.GetProperty("thresholds").GetProperty("latencyMs").GetDouble());
        Assert.Equal(5, path.GetProperty("bfd").GetProperty("detectMultiplier").GetInt32());
        var stored = (await server.Services.GetRequiredService<Patronus.Engine.Paths.ITopologyStore>().LoadTopologyAsync()).PathsById["p-bfd"];
        Assert.Equal(Secret, stored.Bfd!.Auth!.Secret);
        Assert.Equal(["127.0.0.1"], stored.Targets);

        // The same words as REST for a bad field.
        var bad = await PostAsync(server.Client, """mutation { updatePath(id: "p-bfd", input: {bfd: {detectMultiplier: 0}}) { id } }""");
        Assert.Equal("BAD_USER_INPUT", Code(bad, "updatePath"));
        Assert.Contains("bfd.detect_multiplier", bad.GetProperty("errors")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    /// <summary>The limits have their own tests: <see cref="GraphQLLimitsTests"/>.</summary>
    [Fact]
    public async Task MethodAndBodyRules()
    {
        await using var server = await RunningServer.StartAsync();

        using var getMutation = await server.Client.GetAsync("/graphql?query=" + Uri.EscapeDataString("mutation { deleteSite(id: \"x\") }"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, getMutation.StatusCode);

        using var notJson = await server.Client.PostAsync("/graphql", new StringContent("{not json", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);

        var syntax = await PostAsync(server.Client, "{ allPathsHealth { pathId }");
        Assert.Contains("Syntax Error", syntax.GetProperty("errors")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// GraphQL over HTTP: a POST body is <c>application/json</c> (parameters such as charset allowed,
    /// any case); anything else — look-alikes, <c>application/graphql</c>, a form, no Content-Type —
    /// is 415 with problem details naming the type, as REST answers (issue 13 item 10).
    /// </summary>
    [Theory]
    [InlineData("application/jsonp", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/json-patch+json", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/graphql", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/graphql-response+json", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("text/plain; charset=utf-8", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/x-www-form-urlencoded", HttpStatusCode.UnsupportedMediaType)]
    [InlineData(null, HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/json", HttpStatusCode.OK)]
    [InlineData("application/json; charset=utf-8", HttpStatusCode.OK)]
    [InlineData("Application/JSON;charset=UTF-8", HttpStatusCode.OK)]
    public async Task Post_ContentType_OnlyApplicationJsonAccepted(string? mediaType, HttpStatusCode expected)
    {
        await using var server = await RunningServer.StartAsync();
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"query":"{ sites { id } }"}"""));
        if (mediaType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", mediaType);
        }

        using var response = await server.Client.PostAsync("/graphql", content);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{mediaType}: {(int)response.StatusCode} {body}");
        if (expected == HttpStatusCode.UnsupportedMediaType)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(body).RootElement;
            Assert.Equal((415, "send the body as application/json"), (problem.GetProperty("status").GetInt32(), problem.GetProperty("detail").GetString()));
        }
        else
        {
            AssertNoErrors(JsonDocument.Parse(body).RootElement);
        }
    }

    /// <summary>
    /// Every root field of the schema, generated from the schema itself (a new field cannot be
    /// missed): anonymous callers get 401 on each; queries and subscriptions are not refused to a
    /// viewer; mutations are FORBIDDEN to a viewer and allowed to an operator; users and the audit
    /// log are admin-only.
    /// </summary>
    [Fact]
    public async Task EveryRootField_EachRole_GetsExactlyItsRights()
    {
        await using var server = await RunningServer.StartAsync();
        var schema = PatronusSchema.Build();
        var clients = new Dictionary<UserRole, HttpClient>
        {
            [UserRole.Viewer] = await server.ClientAsAsync("v1", UserRole.Viewer),
            [UserRole.Operator] = await server.ClientAsAsync("o1", UserRole.Operator),
            [UserRole.Admin] = server.Client,
        };
        string[] adminOnly = ["users", "auditLog"];

        var checkedFields = 0;
        foreach (var (operation, type) in new[] { ("query", schema.Query), ("mutation", schema.Mutation!) })
        {
            foreach (var field in type.Fields)
            {
                var document = $"{operation} {{ {FieldCall(field)} }}";
                using (var anonymous = await server.Anonymous.PostAsJsonAsync("/graphql", new { query = document }))
                {
                    Assert.True(anonymous.StatusCode == HttpStatusCode.Unauthorized, $"anonymous {document}: {(int)anonymous.StatusCode}");
                }

                var needed = adminOnly.Contains(field.Name) ? UserRole.Admin : operation == "mutation" ? UserRole.Operator : UserRole.Viewer;
                foreach (var (role, client) in clients)
                {
                    var result = await PostAsync(client, document);
                    var code = Code(result, field.Name);
                    if (role < needed)
                    {
                        Assert.True(code == "FORBIDDEN", $"{role} must be refused {document}: {result}");
                    }
                    else
                    {
                        Assert.True(code is not "FORBIDDEN" and not "UNAUTHENTICATED", $"{role} must be allowed {document}: {result}");
                        Assert.False(result.TryGetProperty("errors", out var errors) && errors.EnumerateArray().Any(e => !e.TryGetProperty("path", out _)),
                            $"{document} must be a valid document: {result}");
                    }
                }

                checkedFields++;
            }
        }

        Assert.Equal(schema.Query.Fields.Count + schema.Mutation!.Fields.Count, checkedFields);
        Assert.True(checkedFields > 30);
    }

    /// <summary>A call of <paramref name="field"/> with placeholder values for its required arguments and <c>__typename</c> as selection.</summary>
    internal static string FieldCall(FieldDefinition field)
    {
        var args = field.Arguments.Where(a => a.Type is NonNullType).Select(a => $"{a.Name}: {Placeholder(a.Type)}").ToList();
        var call = args.Count == 0 ? field.Name : $"{field.Name}({string.Join(", ", args)})";
        return field.Type.NamedType is ObjectType or InterfaceType ? call + " { __typename }" : call;
    }

    private static string Placeholder(GraphQLType type) => type switch
    {
        NonNullType n => Placeholder(n.OfType),
        ListType => "[]",
        EnumType e => e.Values[0].Name,
        InputObjectType => "{}",
        ScalarType { Name: "Int" } => "1",
        ScalarType { Name: "Float" } => "1.5",
        ScalarType { Name: "Boolean" } => "false",
        ScalarType { Name: "DateTime" } => "\"2026-01-01T00:00:00Z\"",
        _ => "\"placeholder\"",
    };
}
