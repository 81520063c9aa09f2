using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Patronus.Persistence.Security;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.GraphQL;

/// <summary>
/// /graphql limits on a real server (docs/api.md "GraphQL limits"): the introspection query every
/// tool sends works for a signed-in viewer, while deep, wide, long and large requests are refused
/// quickly, each with an error that names its limit.
/// </summary>
public sealed class GraphQLLimitsTests
{
    private static readonly string s_conformance = Path.Combine(Observability.DeployMetricReferences.FindRepoRoot(), "test", "Patronus.GraphQL.Tests", "conformance");

    /// <summary>
    /// graphql-js's <c>getIntrospectionQuery(options)</c>, produced by graphql-js itself (node,
    /// with the graphql package test.sh installs), so the test sends exactly what tools send.
    /// </summary>
    private static async Task<string> GetIntrospectionQueryAsync(string options = "")
    {
        Assert.True(Directory.Exists(Path.Combine(s_conformance, "node_modules", "graphql")),
            "graphql-js is not installed: run ./test.sh or npm ci --prefix test/Patronus.GraphQL.Tests/conformance");
        var start = new ProcessStartInfo("node") { WorkingDirectory = s_conformance, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-e");
        start.ArgumentList.Add($"process.stdout.write(require('graphql').getIntrospectionQuery({options}))");
        using var node = Process.Start(start)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(node.ExitCode == 0, $"node: {await stderr}");
        return await stdout;
    }

    private static string? Code(JsonElement result) =>
        result.TryGetProperty("errors", out var errors) && errors[0].TryGetProperty("extensions", out var extensions) && extensions.TryGetProperty("code", out var code)
            ? code.GetString()
            : null;

    private static string Message(JsonElement result) => result.GetProperty("errors")[0].GetProperty("message").GetString()!;

    [Theory]
    [InlineData("")]
    [InlineData("{ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true }")]
    public async Task GraphqlJsIntrospectionQuery_Viewer_Answered(string options)
    {
        await using var server = await RunningServer.StartAsync();
        var viewer = await server.ClientAsAsync("ida", UserRole.Viewer);
        var query = await GetIntrospectionQueryAsync(options);

        // Before: MAX_DEPTH_EXCEEDED (15 > 12) and MAX_COMPLEXITY_EXCEEDED (329,452 > 20,000).
        var result = await GraphQLApiTests.PostAsync(viewer, query);
        Assert.False(result.TryGetProperty("errors", out var errors), $"errors: {errors}");
        var types = result.GetProperty("data").GetProperty("__schema").GetProperty("types").EnumerateArray().Select(t => t.GetProperty("name").GetString()).ToList();
        Assert.Contains("FailoverPolicy", types);
        Assert.Contains("__Schema", types);

        // Also over GET, as some tools send it.
        using var get = await viewer.GetAsync("/graphql?query=" + Uri.EscapeDataString(query));
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.DoesNotContain("\"errors\"", await get.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AbusiveDocuments_RefusedFast_EachNamingItsLimit()
    {
        await using var server = await RunningServer.StartAsync();
        var viewer = await server.ClientAsAsync("eve", UserRole.Viewer);
        var clock = Stopwatch.StartNew();

        // Deep: an ofType chain past the introspection depth (20).
        var deep = await GraphQLApiTests.PostAsync(viewer, "{ __schema { types { fields { type { " + string.Concat(Enumerable.Repeat("ofType { ", 20)) + "name" + new string('}', 24) + " }");
        Assert.Equal("MAX_INTROSPECTION_DEPTH_EXCEEDED", Code(deep));
        Assert.False(deep.TryGetProperty("data", out _));

        // Recursive: types' fields' types' fields' types' fields (graphql-js refuses it too).
        var recursive = await GraphQLApiTests.PostAsync(viewer, "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }");
        Assert.Equal("Maximum introspection depth exceeded", Message(recursive));

        // Wide: the whole introspection 30 times under aliases (~3,500 each).
        var introspection = await GetIntrospectionQueryAsync();
        var fragments = introspection[introspection.IndexOf("fragment", StringComparison.Ordinal)..];
        var selection = introspection[(introspection.IndexOf("__schema", StringComparison.Ordinal) + "__schema".Length)..introspection.IndexOf("fragment", StringComparison.Ordinal)].Trim()[..^1];
        var wide = await GraphQLApiTests.PostAsync(viewer, "query { " + string.Concat(Enumerable.Range(0, 30).Select(i => $"s{i}: __schema {selection} ")) + "}\n" + fragments);
        Assert.Equal("MAX_COMPLEXITY_EXCEEDED", Code(wide));

        // Long: 20,000 tokens in 40 KB (under the size limit).
        var tokens = await GraphQLApiTests.PostAsync(viewer, "{" + string.Concat(Enumerable.Repeat(" a", 19_999)) + " }");
        Assert.Equal("Syntax Error: Document contains more than 10000 tokens. Parsing aborted.", Message(tokens));

        // Large: 15,000 __typename (165 KB) fits the body limit, not the document limit.
        var large = await GraphQLApiTests.PostAsync(viewer, "{ " + string.Concat(Enumerable.Repeat("__typename ", 15_000)) + "}");
        Assert.Equal("DOCUMENT_TOO_LARGE", Code(large));
        Assert.Equal("The document is larger than the limit of 65536 bytes.", Message(large));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"refusing took {clock.Elapsed}");
    }

    public static TheoryData<string, bool> OversizedBodies => new()
    {
        { "60,000 __typename (660 KB)", false },
        { "60,000 __typename (660 KB)", true },
        { "300 KB of variables", false },
    };

    [Theory]
    [MemberData(nameof(OversizedBodies))]
    public async Task Post_BodyOverLimit_413ProblemNamingTheLimit(string body, bool chunked)
    {
        await using var server = await RunningServer.StartAsync();
        var json = body switch
        {
            "300 KB of variables" => JsonSerializer.Serialize(new { query = "{ sites { id } }", variables = new { pad = new string('x', 300 * 1024) } }),
            _ => JsonSerializer.Serialize(new { query = "{ " + string.Concat(Enumerable.Repeat("__typename ", 60_000)) + "}" }),
        };
        using HttpContent content = chunked
            ? new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(json))) // no length: sent chunked
            : new StringContent(json, Encoding.UTF8, "application/json");
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        // Before: parsed and run (46 s for the 60,000), or 500 past Kestrel's 30 MB.
        using var response = await server.Client.PostAsync("/graphql", content);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(413, problem.GetProperty("status").GetInt32());
        Assert.Equal("the body is larger than 262144 bytes (GraphQL:MaxBodyBytes)", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Post_DeclaredTenMegabytes_413BeforeTheBodyIsRead()
    {
        await using var server = await RunningServer.StartAsync();

        // By hand on a socket: the answer comes while the client is still sending, and the server
        // then closes the connection, which HttpClient reports as a failed send.
        var address = server.Client.BaseAddress!;
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        var stream = tcp.GetStream();
        var head = $"POST /graphql HTTP/1.1\r\nHost: {address.Authority}\r\nAuthorization: Bearer {server.Client.DefaultRequestHeaders.Authorization!.Parameter}\r\n"
            + $"Content-Type: application/json\r\nContent-Length: {10 * 1024 * 1024}\r\n\r\n{{\"query\":\"{{ sites {{ id }} }}";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head + new string(' ', 16 * 1024)));

        using var reader = new StreamReader(stream, Encoding.UTF8);
        var status = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("HTTP/1.1 413 Payload Too Large", status);
        var response = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("the body is larger than 262144 bytes (GraphQL:MaxBodyBytes)", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfiguredLimits_Apply()
    {
        await using var server = await RunningServer.StartAsync(environment: new()
        {
            ["PATRONUS__GRAPHQL__MAXCOMPLEXITY"] = "5",
            ["PATRONUS__GRAPHQL__MAXBODYBYTES"] = "2048",
        });

        // sites: 1 + 20 (default list size) × 1.
        var complex = await GraphQLApiTests.PostAsync(server.Client, "{ sites { id } }");
        Assert.Equal("Query complexity 21 exceeds the maximum allowed complexity of 5.", Message(complex));

        using var large = await server.Client.PostAsJsonAsync("/graphql", new { query = "{ sites { id } }" + new string(' ', 4096) });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);
    }

    [Fact]
    public async Task WebSocket_DocumentLimitsApply_MessageOverBodyLimitCloses1009()
    {
        await using var server = await RunningServer.StartAsync();
        await using var ws = await GraphQLWs.ConnectAsync(server, server.Client.DefaultRequestHeaders.Authorization!.Parameter!);

        // The executor's limits hold on the socket: 20,000 tokens, and a 100 KB document in a
        // message within the 256 KiB message limit (before: the socket closed at 64 KiB).
        await ws.SubscribeAsync("t", "{" + string.Concat(Enumerable.Repeat(" a", 19_999)) + " }");
        var tokens = await ws.ReadAsync(TimeSpan.FromSeconds(10), m => m.GetProperty("id").GetString() == "t");
        Assert.Equal("error", tokens.GetProperty("type").GetString());
        Assert.Contains("more than 10000 tokens", tokens.GetProperty("payload")[0].GetProperty("message").GetString(), StringComparison.Ordinal);

        await ws.SubscribeAsync("d", "{ sites { id } }" + new string(' ', 100 * 1024));
        var document = await ws.ReadAsync(TimeSpan.FromSeconds(10), m => m.GetProperty("id").GetString() == "d");
        Assert.Equal("DOCUMENT_TOO_LARGE", document.GetProperty("payload")[0].GetProperty("extensions").GetProperty("code").GetString());

        await ws.SubscribeAsync("m", "{ sites { id } }" + new string(' ', 300 * 1024));
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await ws.WaitClosedAsync(TimeSpan.FromSeconds(10)));
    }
}
