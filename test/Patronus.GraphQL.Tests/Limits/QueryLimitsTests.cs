using System.Text.Json;
using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Language;
using Patronus.GraphQL.Limits;
using Patronus.GraphQL.Types;

namespace Patronus.GraphQL.Tests.Limits;

/// <summary>
/// Depth and complexity as <see cref="QueryLimits"/> defines them: introspection measured apart
/// from the schema's fields and priced at what it returns, every measure linear in the document.
/// </summary>
public sealed class QueryLimitsTests
{
    private static readonly Schema s_schema = TestSchema.Build();

    /// <summary>The server's limits (Patronus.Server GraphQLOptions defaults).</summary>
    private static readonly QueryLimits s_serverLimits = new() { MaxDepth = 12, MaxIntrospectionDepth = 20, MaxComplexity = 20_000, DefaultListSize = 20 };

    /// <summary>graphql-js's getIntrospectionQuery() with every option on, checked against graphql-js by ConformanceTests.</summary>
    private static string GraphqlJsIntrospectionQuery()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var file = Path.Combine(dir.FullName, "test", "Patronus.GraphQL.Tests", "conformance", "introspection-query.graphql");
            if (File.Exists(file))
            {
                return File.ReadAllText(file);
            }
        }

        throw new FileNotFoundException("conformance/introspection-query.graphql");
    }

    private static QueryMeasure Measure(string query, QueryLimits? limits = null)
    {
        var document = Parser.Parse(query, new ParserOptions());
        var operation = document.Definitions.OfType<OperationDefinitionNode>().Single();
        var fragments = document.Definitions.OfType<FragmentDefinitionNode>().ToDictionary(f => f.Name.Value, StringComparer.Ordinal);
        return QueryLimitsChecker.Measure(s_schema, operation, fragments, new Dictionary<string, object?>(), limits ?? QueryLimits.None);
    }

    private static Task<ExecutionResult> RunAsync(string query, QueryLimits limits) =>
        new Executor(s_schema, new ExecutorOptions { Limits = limits, MaxDocumentBytes = null, Parser = new ParserOptions() }).ExecuteAsync(new GraphQLRequest(query));

    private static string? Code(ExecutionResult result) =>
        result.Errors.Select(e => e.Extensions?.GetValueOrDefault("code") as string).FirstOrDefault();

    /// <summary>Entries of a JSON value: every property of every object (what a client receives).</summary>
    private static int Entries(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => value.EnumerateObject().Sum(p => 1 + Entries(p.Value)),
        JsonValueKind.Array => value.EnumerateArray().Sum(Entries),
        _ => 0,
    };

    [Fact]
    public async Task GraphqlJsIntrospectionQuery_ServerLimits_Executes()
    {
        // Before: depth 15 > 12 and complexity 329,452-like estimates > 20,000 refused every tool.
        var result = await RunAsync(GraphqlJsIntrospectionQuery(), s_serverLimits);
        Assert.Empty(result.Errors);
        Assert.True(result.Data!.ContainsKey("__schema"));
    }

    [Fact]
    public async Task Measure_Introspection_DepthApartAndComplexityIsTheAnswersSize()
    {
        var query = GraphqlJsIntrospectionQuery();
        var measure = Measure(query, s_serverLimits);
        Assert.Equal(0, measure.Depth);
        Assert.Equal(15, measure.IntrospectionDepth);

        // Priced at what it returns: one per entry of the answer, not an estimate.
        var result = await RunAsync(query, QueryLimits.None);
        using var json = JsonDocument.Parse(ResultJson.Serialize(result));
        Assert.Equal(Entries(json.RootElement.GetProperty("data")), measure.Complexity);
    }

    [Theory]
    [InlineData("""{ __type(name: "Path") { name fields(includeDeprecated: true) { name args { name type { kind ofType { name } } } } } }""")]
    [InlineData("""{ __type(name: "Status") { enumValues { name } } nothing: __type(name: "Nope") { name } }""")]
    [InlineData("""{ __schema { queryType { name } types { name possibleTypes { name } } directives { name locations } } }""")]
    public async Task Measure_IntrospectionFields_CostTheEntriesTheyReturn(string query)
    {
        var result = await RunAsync(query, QueryLimits.None);
        Assert.Empty(result.Errors);
        using var json = JsonDocument.Parse(ResultJson.Serialize(result));
        Assert.Equal(Entries(json.RootElement.GetProperty("data")), Measure(query).Complexity);
    }

    [Fact]
    public async Task Introspection_DoesNotCountTowardsMaxDepth_SchemaFieldsStillDo()
    {
        const string query = "{ __schema { types { fields { type { ofType { name } } } } } paths { peers { id } } }";
        Assert.Empty((await RunAsync(query, new QueryLimits { MaxDepth = 3 })).Errors);
        var refused = await RunAsync(query, new QueryLimits { MaxDepth = 2 });
        Assert.Equal("Query depth 3 exceeds the maximum allowed depth of 2.", refused.Errors.Single().Message);
    }

    [Fact]
    public async Task Introspection_DeeperThanItsBound_Refused()
    {
        static string OfTypes(int n) => "{ __type(name: \"Path\") { fields { type { " + string.Concat(Enumerable.Repeat("ofType { ", n)) + "name" + new string('}', n + 3) + " }";

        // __type, fields, type, n × ofType, name.
        Assert.Empty((await RunAsync(OfTypes(16), s_serverLimits)).Errors);
        var refused = await RunAsync(OfTypes(17), s_serverLimits);
        Assert.False(refused.HasData);
        Assert.Equal("MAX_INTROSPECTION_DEPTH_EXCEEDED", Code(refused));
        Assert.Equal("Introspection depth 21 exceeds the maximum allowed introspection depth of 20.", refused.Errors.Single().Message);
    }

    [Fact]
    public async Task Introspection_AliasedCopies_AddUp_RefusedOverComplexity()
    {
        const string copy = "__schema { types { name fields { name type { name } } } }";
        var one = Measure("{ " + copy + " }").Complexity;
        var query = "{ " + string.Join(" ", Enumerable.Range(0, 20).Select(i => $"c{i}: {copy}")) + " }";
        Assert.Equal(20 * one, Measure(query).Complexity);

        Assert.Empty((await RunAsync(query, new QueryLimits { MaxComplexity = (int)(20 * one) })).Errors);
        var refused = await RunAsync(query, new QueryLimits { MaxComplexity = (int)(20 * one) - 1 });
        Assert.Equal("MAX_COMPLEXITY_EXCEEDED", Code(refused));
    }

    [Fact]
    public void Measure_IntrospectionOverTheLimit_StopsCountingJustPastIt()
    {
        var query = "{ " + string.Join(" ", Enumerable.Range(0, 1_000).Select(i => $"c{i}: __schema {{ types {{ name fields {{ name }} }} }}")) + " }";
        var limits = new QueryLimits { MaxComplexity = 500 };
        var complexity = Measure(query, limits).Complexity;
        Assert.InRange(complexity, 501, 1_000 + 501);
    }

    [Fact]
    public async Task Measure_TypenameCostsOneAndNoDepth()
    {
        Assert.Equal(new QueryMeasure(1, 0, 3), Measure("{ paths(first: 2) { __typename } }"));
        var refused = await RunAsync("{ paths(first: 100) { a: __typename b: __typename } }", new QueryLimits { MaxComplexity = 200 });
        Assert.Equal("Query complexity 201 exceeds the maximum allowed complexity of 200.", refused.Errors.Single().Message);
    }

    [Fact]
    public async Task Measure_FragmentsSpreadTwicePerLevel_LinearNotExponential()
    {
        // 60 levels of fragments that each spread the next twice: 2^60 visits without memoizing.
        var fragments = string.Concat(Enumerable.Range(0, 60).Select(i => $"fragment F{i} on Path {{ ...F{i + 1} ...F{i + 1} }}\n"));
        var query = "{ paths(first: 1) { ...F0 } }\n" + fragments + "fragment F60 on Path { id }";

        var result = await Task.Run(() => RunAsync(query, s_serverLimits)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("MAX_COMPLEXITY_EXCEEDED", Code(result));
    }
}
