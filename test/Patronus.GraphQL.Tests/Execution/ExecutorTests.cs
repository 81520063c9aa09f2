using System.Text.Json;
using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Limits;
using Patronus.GraphQL.Types;

namespace Patronus.GraphQL.Tests.Execution;

public sealed class ExecutorTests
{
    private static readonly Schema s_schema = TestSchema.Build();

    private static async Task<string> RunAsync(string query, IReadOnlyDictionary<string, object?>? variables = null, ExecutorOptions? options = null)
    {
        var result = await new Executor(s_schema, options).ExecuteAsync(new GraphQLRequest(query, null, variables));
        return ResultJson.Serialize(result);
    }

    [Fact]
    public async Task Execute_Query_ReturnsDataInSelectionOrder()
    {
        Assert.Equal(
            """{"data":{"paths":[{"name":"wan1","id":"p1","status":"UP","tags":["primary"],"updatedAt":"2024-05-01T12:00:00.000Z"},{"name":"lte","id":"p2","status":"DOWN","tags":[],"updatedAt":"2024-05-01T13:00:00.000Z"}]}}""",
            await RunAsync("{ paths { name id status tags updatedAt } }"));
    }

    [Fact]
    public async Task Execute_NonNullFieldReturnsNull_PropagatesToNearestNullableParent()
    {
        Assert.Equal(
            """{"errors":[{"message":"Cannot return null for non-nullable field Query.nonNullFail.","locations":[{"line":1,"column":16}],"path":["nonNullFail"]}],"data":null}""",
            await RunAsync("{ paths { id } nonNullFail }"));
    }

    [Fact]
    public async Task Execute_ResolverThrows_NullsFieldWithPathAndHidesInternalMessages()
    {
        var json = await RunAsync("{ a: failing b: crash paths { id } }");
        using var doc = JsonDocument.Parse(json);
        var errors = doc.RootElement.GetProperty("errors").EnumerateArray().Select(e => (e.GetProperty("message").GetString(), e.GetProperty("path")[0].GetString())).OrderBy(e => e.Item2).ToList();
        Assert.Equal([("boom", "a"), ("Unexpected error.", "b")], errors);
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("data").GetProperty("a").ValueKind);
        Assert.Equal(2, doc.RootElement.GetProperty("data").GetProperty("paths").GetArrayLength());
    }

    [Fact]
    public async Task Execute_IntOverflowInListItem_ErrorPathHasIndex()
    {
        var json = await RunAsync("{ paths { weight } }");
        Assert.Contains("\"path\":[\"paths\",0,\"weight\"]", json, StringComparison.Ordinal);
        Assert.Contains("Int cannot represent non 32-bit signed integer value: 2147483648", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_AbstractTypes_ResolveByClrType()
    {
        Assert.Equal(
            """{"data":{"node":{"__typename":"Peer","id":"e1","up":true},"search":[{"__typename":"Path","name":"wan1"}]}}""",
            await RunAsync("""{ node(id: "e1") { __typename id ... on Peer { up } } search(text: "wan") { __typename ... on Named { name } } }"""));
    }

    [Theory]
    [InlineData("{ echo(value: 3, ids: \"x\") }", "ids=[\"x\"];ratio=1.5;status=\"UP\";value=3")]
    [InlineData("{ echo(input: {name: \"n\"}) }", "input={ name: \"n\", tags: [] };ratio=1.5;status=\"UP\"")]
    [InlineData("{ echo(ratio: 2, status: DOWN, text: null) }", "ratio=2;status=\"DOWN\";text=null")]
    [InlineData("{ echo(when: \"2024-01-01T01:00:00+01:00\") }", "ratio=1.5;status=\"UP\";when=\"2024-01-01T00:00:00.0000000+00:00\"")]
    public async Task Execute_ArgumentLiterals_AreCoercedWithDefaults(string query, string echoed)
    {
        using var doc = JsonDocument.Parse(await RunAsync(query));
        Assert.Equal(echoed, doc.RootElement.GetProperty("data").GetProperty("echo").GetString());
    }

    [Theory]
    [InlineData("1", "value=1")]
    [InlineData("2.0", "value=2")]
    public async Task Execute_IntVariable_AcceptsIntegralNumbers(string json, string echoed)
    {
        var variables = new Dictionary<string, object?> { ["v"] = ResultJson.ToValue(JsonDocument.Parse(json).RootElement) };
        Assert.Contains(echoed, await RunAsync("query ($v: Int) { echo(value: $v) }", variables), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("query ($v: Int) { echo(value: $v) }", "\"x\"", "Variable \"$v\" got invalid value \"x\"; Int cannot represent non-integer value: \"x\"")]
    [InlineData("query ($v: Int!) { echo(value: $v) }", "null", "Variable \"$v\" of non-null type \"Int!\" must not be null.")]
    [InlineData("query ($v: PathInput) { echo(input: $v) }", "{\"name\":\"n\",\"tags\":[1]}", "Variable \"$v\" got invalid value 1 at \"v.tags[0]\"; String cannot represent a non string value: 1")]
    [InlineData("query ($v: PathInput) { echo(input: $v) }", "{\"name\":\"a\",\"x\":1}", "Variable \"$v\" got invalid value { name: \"a\", x: 1 }; Field \"x\" is not defined by type \"PathInput\".")]
    [InlineData("query ($v: [Status!]) { paths { peers(filter: {statuses: $v}) { id } } }", "[\"UP\",\"UPP\"]", "Variable \"$v\" got invalid value \"UPP\" at \"v[1]\"; Value \"UPP\" does not exist in \"Status\" enum. Did you mean the enum value \"UP\"?")]
    public async Task Execute_InvalidVariables_AreRequestErrors(string query, string json, string message)
    {
        var variables = new Dictionary<string, object?> { [query.Contains("$v", StringComparison.Ordinal) ? "v" : "x"] = ResultJson.ToValue(JsonDocument.Parse(json).RootElement) };
        var result = await new Executor(s_schema).ExecuteAsync(new GraphQLRequest(query, null, variables));
        Assert.True(result.IsRequestError);
        Assert.Equal(message.Replace("Did you mean the enum value", "Did you mean", StringComparison.Ordinal), result.Errors[0].Message.Replace("Did you mean the enum value", "Did you mean", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Execute_MissingRequiredVariable_IsRequestError()
    {
        Assert.Equal(
            """{"errors":[{"message":"Variable \"$id\" of required type \"ID!\" was not provided.","locations":[{"line":1,"column":8}]}]}""",
            await RunAsync("query ($id: ID!) { path(id: $id) { id } }"));
    }

    [Fact]
    public async Task Execute_SkipAndInclude_HonourVariables()
    {
        var variables = new Dictionary<string, object?> { ["s"] = true };
        Assert.Equal("""{"data":{"paths":[{"name":"wan1"},{"name":"lte"}]}}""", await RunAsync("query ($s: Boolean!) { paths { id @skip(if: $s) name @include(if: true) } }", variables));
    }

    [Fact]
    public async Task Execute_Mutation_RunsAndCoercesInputObject()
    {
        Assert.Equal(
            """{"data":{"createPath":{"id":"new","name":"x","tags":["a"]},"setStatus":{"status":"DOWN"}}}""",
            await RunAsync("""mutation { createPath(input: {name: "x", tags: "a"}) { id name tags } setStatus(id: "p1", status: DOWN) { status } }"""));
    }

    [Theory]
    [InlineData("{ a", "Syntax Error: Expected Name, found <EOF>.")]
    [InlineData("{ zzzzzz }", "Cannot query field \"zzzzzz\" on type \"Query\".")]
    [InlineData("query A { paths { id } } query B { paths { id } }", "Must provide operation name if query contains multiple operations.")]
    public async Task Execute_BadDocument_IsRequestErrorWithoutData(string query, string message)
    {
        var result = await new Executor(s_schema).ExecuteAsync(new GraphQLRequest(query));
        Assert.False(result.HasData);
        Assert.Equal(message, result.Errors[0].Message);
        Assert.DoesNotContain("\"data\"", ResultJson.Serialize(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_Introspection_TypeByName()
    {
        Assert.Equal(
            """{"data":{"__type":{"kind":"ENUM","enumValues":[{"name":"UP","isDeprecated":false},{"name":"DOWN","isDeprecated":false},{"name":"DEGRADED","isDeprecated":true}]}}}""",
            await RunAsync("""{ __type(name: "Status") { kind enumValues(includeDeprecated: true) { name isDeprecated } } }"""));
    }

    [Fact]
    public async Task Execute_OverDepthLimit_IsRejectedBeforeExecution()
    {
        var options = new ExecutorOptions { Limits = new QueryLimits { MaxDepth = 2 } };
        var result = await new Executor(s_schema, options).ExecuteAsync(new GraphQLRequest("{ paths { peers { id } } }"));
        Assert.False(result.HasData);
        Assert.Equal("Query depth 3 exceeds the maximum allowed depth of 2.", result.Errors[0].Message);
    }

    [Theory]
    [InlineData("{ paths { id } }", 11)]
    [InlineData("{ paths(first: 2) { id name } }", 5)]
    [InlineData("{ paths(first: 2) { peers(first: 3) { id } } }", 9)]
    [InlineData("{ path(id: \"1\") { peers { id } } }", 12)]
    public async Task Execute_Complexity_CountsFieldsTimesListSizes(string query, int complexity)
    {
        var options = new ExecutorOptions { Limits = new QueryLimits { MaxComplexity = complexity } };
        Assert.False((await new Executor(s_schema, options).ExecuteAsync(new GraphQLRequest(query))).IsRequestError);
        options = new ExecutorOptions { Limits = new QueryLimits { MaxComplexity = complexity - 1 } };
        var rejected = await new Executor(s_schema, options).ExecuteAsync(new GraphQLRequest(query));
        Assert.Equal($"Query complexity {complexity} exceeds the maximum allowed complexity of {complexity - 1}.", rejected.Errors[0].Message);
    }

    [Fact]
    public async Task Subscribe_YieldsOneResultPerEvent()
    {
        var results = new List<string>();
        await foreach (var result in new Executor(s_schema).SubscribeAsync(new GraphQLRequest("subscription { ticks(count: 3) }")))
        {
            results.Add(ResultJson.Serialize(result));
        }

        Assert.Equal(["""{"data":{"ticks":1}}""", """{"data":{"ticks":2}}""", """{"data":{"ticks":3}}"""], results);
    }

    [Fact]
    public async Task Subscribe_EventObjects_ExecuteSelectionSet()
    {
        var results = new List<string>();
        await foreach (var result in new Executor(s_schema).SubscribeAsync(new GraphQLRequest("subscription { pathEvents { path { id } at } }")))
        {
            results.Add(ResultJson.Serialize(result));
        }

        Assert.Equal("""{"data":{"pathEvents":{"path":{"id":"p1"},"at":"2024-05-01T12:00:00.000Z"}}}""", results[0]);
        Assert.Equal(2, results.Count);
    }

    [Fact]
    public async Task Subscribe_InvalidDocument_YieldsSingleRequestError()
    {
        var results = new List<ExecutionResult>();
        await foreach (var result in new Executor(s_schema).SubscribeAsync(new GraphQLRequest("subscription { ticks(count: 1) pathEvents { at } }")))
        {
            results.Add(result);
        }

        Assert.True(Assert.Single(results).IsRequestError);
        Assert.Equal("Anonymous Subscription must select only one top level field.", results[0].Errors[0].Message);
    }

    [Fact]
    public async Task Execute_ConcurrentQueryFields_StartBeforeEarlierOnesFinish()
    {
        var gate = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var schema = new SchemaBuilder().Object("Query", o => o
            .Field("slow", "String", f => f.Resolve(async _ => await gate.Task))
            .Field("release", "String", f => f.Resolve(_ =>
            {
                gate.SetResult("done");
                return "ok";
            }))).Build();
        var result = await new Executor(schema).ExecuteAsync(new GraphQLRequest("{ slow release }")).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("""{"data":{"slow":"done","release":"ok"}}""", ResultJson.Serialize(result));
    }
}
