using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Limits;
using Patronus.GraphQL.Types;

namespace Patronus.GraphQL.Tests.Execution;

/// <summary>The document cache and the fast paths of execution: repeated requests answer as the first did.</summary>
public sealed class ExecutorCacheTests
{
    private static readonly Schema s_schema = TestSchema.Build();

    private static async Task<string> RunAsync(Executor executor, string query, IReadOnlyDictionary<string, object?>? variables = null) =>
        ResultJson.Serialize(await executor.ExecuteAsync(new GraphQLRequest(query, null, variables)));

    [Fact]
    public async Task Execute_SameTextTwice_IsCachedOnceAndAnsweredAlike()
    {
        var executor = new Executor(s_schema);
        var first = await RunAsync(executor, "{ paths { id name status } }");
        var second = await RunAsync(executor, "{ paths { id name status } }");

        Assert.Equal(first, second);
        Assert.Equal("""{"data":{"paths":[{"id":"p1","name":"wan1","status":"UP"},{"id":"p2","name":"lte","status":"DOWN"}]}}""", second);
        Assert.Equal(1, executor.CachedDocumentCount);
    }

    [Theory]
    [InlineData("{ paths { id ")]
    [InlineData("{ paths { nope } }")]
    public async Task Execute_InvalidDocument_IsNotCachedAndFailsEveryTime(string query)
    {
        var executor = new Executor(s_schema);
        var first = await RunAsync(executor, query);
        var second = await RunAsync(executor, query);

        Assert.Equal(first, second);
        Assert.Contains("\"errors\"", second, StringComparison.Ordinal);
        Assert.Equal(0, executor.CachedDocumentCount);
    }

    [Fact]
    public async Task Execute_MoreTextsThanCacheSize_CacheStaysBounded()
    {
        var executor = new Executor(s_schema, new ExecutorOptions { DocumentCacheSize = 2 });
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("""{"data":{"paths":[{"id":"p1"},{"id":"p2"}]}}""", await RunAsync(executor, $"query Q{i} {{ paths {{ id }} }}"));
            Assert.InRange(executor.CachedDocumentCount, 1, 2);
        }
    }

    [Fact]
    public async Task Execute_CacheSizeZero_CachesNothing()
    {
        var executor = new Executor(s_schema, new ExecutorOptions { DocumentCacheSize = 0 });
        await RunAsync(executor, "{ paths { id } }");
        Assert.Equal(0, executor.CachedDocumentCount);
    }

    [Fact]
    public async Task Execute_CachedDocument_SkipFollowsEachRequestsVariables()
    {
        var executor = new Executor(s_schema);
        const string Query = "query ($s: Boolean!) { paths { id @skip(if: $s) name } }";

        Assert.Equal("""{"data":{"paths":[{"name":"wan1"},{"name":"lte"}]}}""", await RunAsync(executor, Query, new Dictionary<string, object?> { ["s"] = true }));
        Assert.Equal("""{"data":{"paths":[{"id":"p1","name":"wan1"},{"id":"p2","name":"lte"}]}}""", await RunAsync(executor, Query, new Dictionary<string, object?> { ["s"] = false }));
    }

    [Fact]
    public async Task Execute_CachedDocumentOverDepthLimit_IsRejectedEveryTime()
    {
        var executor = new Executor(s_schema, new ExecutorOptions { Limits = new QueryLimits { MaxDepth = 2 } });
        for (var i = 0; i < 2; i++)
        {
            var result = await executor.ExecuteAsync(new GraphQLRequest("{ paths { peers { id } } }"));
            Assert.False(result.HasData);
            Assert.Equal("Query depth 3 exceeds the maximum allowed depth of 2.", result.Errors[0].Message);
        }
    }

    [Fact]
    public async Task Execute_PropertyGetterThrows_FieldErrorWithPathAndOriginalException()
    {
        var schema = new SchemaBuilder()
            .Object("Thing", o => o.ClrType<Thing>().Field("ok", "Int!").Field("broken", "String"))
            .Object("Query", o => o.Field("things", "[Thing!]!", f => f.Resolve(_ => new[] { new Thing(1), new Thing(2) })))
            .Build();
        var seen = new List<(Exception Exception, string Path)>();
        var executor = new Executor(schema, new ExecutorOptions { OnUnhandledException = (e, path) => seen.Add((e, path.ToString())) });

        var json = await RunAsync(executor, "{ things { ok broken } }");

        Assert.StartsWith("""{"errors":[{"message":"Unexpected error.","locations":[{"line":1,"column":15}],"path":["things",""", json, StringComparison.Ordinal);
        Assert.EndsWith("""],"data":{"things":[{"ok":1,"broken":null},{"ok":2,"broken":null}]}}""", json, StringComparison.Ordinal);
        Assert.Equal(["things.0.broken", "things.1.broken"], seen.Select(s => s.Path).Order(StringComparer.Ordinal));
        Assert.All(seen, s => Assert.IsType<InvalidOperationException>(s.Exception));
    }

    [Fact]
    public async Task Execute_ListItemsOfSeveralClrTypes_EachReadThroughItsOwnProperties()
    {
        // One selection plan serves the whole list; its getters follow each item's CLR type.
        var schema = new SchemaBuilder()
            .Object("Item", o => o.Field("name", "String!").Field("score", "Float!").Field("rank", "Int"))
            .Object("Query", o => o.Field("items", "[Item!]!", f => f.Resolve(_ => new object[]
            {
                new ItemA("a", 1.5, 1), new ItemB("b", 2.25), new ItemA("c", 3, null),
                new Dictionary<string, object?> { ["name"] = "d", ["score"] = 4.0, ["rank"] = 4 },
            })))
            .Build();

        var json = await RunAsync(new Executor(schema), "{ items { name s: score rank } }");

        Assert.Equal("""{"data":{"items":[{"name":"a","s":1.5,"rank":1},{"name":"b","s":2.25,"rank":7},{"name":"c","s":3,"rank":null},{"name":"d","s":4,"rank":4}]}}""", json);
    }

    [Theory]
    [InlineData("[Named!]", """{"errors":[{"message":"Cannot return null for non-nullable field Named.name.","locations":[{"line":1,"column":11}],"path":["items",1,"name"]}],"data":{"items":null}}""")]
    [InlineData("[Named]", """{"errors":[{"message":"Cannot return null for non-nullable field Named.name.","locations":[{"line":1,"column":11}],"path":["items",1,"name"]}],"data":{"items":[{"name":"a"},null,{"name":"c"}]}}""")]
    public async Task Execute_ListItemWithNullNonNullLeaf_PropagatesAsBefore(string listType, string expected)
    {
        // The middle item leaves the list's fast path (its leaf is null) and reports as the general path does.
        var schema = new SchemaBuilder()
            .Object("Named", o => o.Field("name", "String!"))
            .Object("Query", o => o.Field("items", listType, f => f.Resolve(_ => new[] { new ItemA("a", 0, null), new ItemA(null!, 0, null), new ItemA("c", 0, null) })))
            .Build();

        Assert.Equal(expected, await RunAsync(new Executor(schema), "{ items { name } }"));
    }

    [Fact]
    public async Task Execute_ListItemWaitingOnAResolver_KeepsItsPlaceAmongItemsCompletedAtOnce()
    {
        var gate = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var schema = new SchemaBuilder()
            .Object("Item", o => o.ClrType<ItemA>().Field("name", "String!").Field("later", "String", f => f.Resolve(ctx =>
                ((ItemA)ctx.Source!).Name == "b" ? gate.Task : Task.FromResult<object?>(null))))
            .Object("Query", o => o.Field("items", "[Item!]!", f => f.Resolve(_ => new[] { new ItemA("a", 0, null), new ItemA("b", 0, null), new ItemA("c", 0, null) })))
            .Build();

        var run = RunAsync(new Executor(schema), "{ items { name later } }");
        Assert.False(run.IsCompleted); // item b waits on its resolver
        gate.SetResult("done");

        Assert.Equal("""{"data":{"items":[{"name":"a","later":null},{"name":"b","later":"done"},{"name":"c","later":null}]}}""", await run);
    }

    [Fact]
    public async Task Execute_LeavesOfOtherClrTypesOrNonFinite_AreCoercedOrRefusedAsBefore()
    {
        // Values of a scalar's own CLR type are taken as they are; everything else still goes through the scalar's coercion.
        var schema = new SchemaBuilder()
            .Object("Odd", o => o.ClrType<Odd>().Field("f", "Float").Field("i", "Int").Field("s", "String").Field("b", "Boolean").Field("id", "ID"))
            .Object("Query", o => o.Field("odd", "[Odd!]!", f => f.Resolve(_ => new[]
            {
                new Odd(1.25, 3, "x", true, "id-1"),
                new Odd(double.NaN, 4.0, 5, 1, 6),
            })))
            .Build();

        var json = await RunAsync(new Executor(schema), "{ odd { f i s b id } }");

        Assert.StartsWith("""{"errors":[{"message":"Float cannot represent non numeric value: NaN","locations":[{"line":1,"column":9}],"path":["odd",1,"f"]}]""", json, StringComparison.Ordinal);
        Assert.EndsWith("""
            "data":{"odd":[{"f":1.25,"i":3,"s":"x","b":true,"id":"id-1"},{"f":null,"i":4,"s":"5","b":true,"id":"6"}]}}
            """, json, StringComparison.Ordinal);
    }

    private sealed record Odd(object F, object I, object S, object B, object Id);

    private sealed record ItemA(string Name, double Score, int? Rank);

    private sealed record ItemB(string Name, double Score)
    {
        public int Rank => Name.Length + 6; // a computed property: read by its getter like the others
    }

    private sealed record Thing(int Ok)
    {
        public string Broken => throw new InvalidOperationException($"broken getter of {Ok}");
    }
}
