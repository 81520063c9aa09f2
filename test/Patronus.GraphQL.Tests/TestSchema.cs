using System.Runtime.CompilerServices;
using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Types;

namespace Patronus.GraphQL.Tests;

public sealed record TestPath(string Id, string Name, double? LatencyMs, string Status, IReadOnlyList<string> Tags, DateTimeOffset UpdatedAt);

public sealed record TestPeer(string Id, string Name, string Address, bool Up);

/// <summary>A schema using every type kind, shared by the unit and conformance tests.</summary>
public static class TestSchema
{
    public static readonly TestPath[] Paths =
    [
        new("p1", "wan1", 12.5, "UP", ["primary"], new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero)),
        new("p2", "lte", null, "DOWN", [], new DateTimeOffset(2024, 5, 1, 13, 0, 0, TimeSpan.Zero)),
    ];

    public static readonly TestPeer[] Peers =
    [
        new("e1", "edge-a", "10.0.0.1", true),
        new("e2", "edge-b", "10.0.0.2", false),
    ];

    public static Schema Build() => new SchemaBuilder()
        .Interface("Node", i => i.Description("An object with an ID.").Field("id", "ID!"))
        .Interface("Named", i => i.Implements("Node").Field("id", "ID!").Field("name", "String", f => f.Description("Display name.")))
        .Object("Path", o => o
            .Description("A WAN path.\n\nMeasured by probes.")
            .ClrType<TestPath>()
            .Implements("Node", "Named")
            .Field("id", "ID!")
            .Field("name", "String")
            .Field("latencyMs", "Float")
            .Field("status", "Status!")
            .Field("tags", "[String!]!")
            .Field("updatedAt", "DateTime")
            .Field("legacy", "String", f => f.Deprecated("Use `name`.").Resolve(_ => "old"))
            .Field("peers", "[Peer!]!", f => f
                .Argument("first", "Int", a => a.DefaultLiteral("10").Description("How many."))
                .Argument("filter", "PeerFilter")
                .ListSize("first")
                .Resolve(ctx => Peers.Take(ctx.Argument<int>("first")).ToList()))
            .Field("weight", "Int", f => f.Resolve(_ => 2147483648L)))
        .Object("Peer", o => o
            .ClrType<TestPeer>()
            .Implements("Node", "Named")
            .Field("id", "ID!")
            .Field("name", "String")
            .Field("address", "String!")
            .Field("up", "Boolean!"))
        .Union("SearchResult", u => u.Description("Anything searchable.").Types("Path", "Peer"))
        .Enum("Status", e => e
            .Description("Path status.")
            .Value("UP", description: "Passing traffic.")
            .Value("DOWN")
            .Value("DEGRADED", deprecationReason: Directives.DefaultDeprecationReason))
        .InputObject("PeerFilter", i => i
            .Field("nameContains", "String")
            .Field("up", "Boolean")
            .Field("minLatency", "Float", f => f.DefaultLiteral("0"))
            .Field("statuses", "[Status!]"))
        .InputObject("PathInput", i => i
            .Description("A new path.")
            .Field("name", "String!")
            .Field("tags", "[String!]", f => f.DefaultLiteral("[]"))
            .Field("filter", "PeerFilter")
            .Field("old", "String", f => f.Deprecated()))
        .Scalar(Scalars.DateTime)
        .Directive("cost", d => d.Description("Declares a cost.").Locations(DirectiveLocation.Field, DirectiveLocation.FragmentSpread).Argument("weight", "Int!"))
        .Directive("tag", d => d.Repeatable().Locations(DirectiveLocation.Field, DirectiveLocation.Query).Argument("name", "String!"))
        .Object("Query", o => o
            .Field("node", "Node", f => f.Argument("id", "ID!").Resolve(ctx => Find(ctx.Argument<string>("id"))))
            .Field("path", "Path", f => f.Argument("id", "ID!").Resolve(ctx => Paths.FirstOrDefault(p => p.Id == ctx.Argument<string>("id"))))
            .Field("paths", "[Path!]!", f => f
                .Argument("first", "Int")
                .Argument("status", "Status")
                .ListSize("first")
                .Resolve(async ctx =>
                {
                    await Task.Yield();
                    var status = ctx.Argument<string?>("status");
                    return Paths.Where(p => status is null || p.Status == status).Take(ctx.Argument("first", int.MaxValue)).ToList();
                }))
            .Field("search", "[SearchResult!]!", f => f.Argument("text", "String!").Resolve(ctx =>
                Paths.Cast<object>().Concat(Peers).Where(x => x.ToString()!.Contains(ctx.Argument<string>("text"), StringComparison.Ordinal)).ToList()))
            .Field("echo", "String", f => f
                .Argument("value", "Int")
                .Argument("text", "String")
                .Argument("flag", "Boolean")
                .Argument("ids", "[ID!]")
                .Argument("input", "PathInput")
                .Argument("when", "DateTime")
                .Argument("ratio", "Float", a => a.DefaultLiteral("1.5"))
                .Argument("status", "Status", a => a.DefaultValue("UP"))
                .Resolve(ctx => string.Join(";", ctx.Arguments.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={Patronus.GraphQL.Utilities.Inspect.Value(a.Value is DateTimeOffset d ? d.ToString("O") : a.Value)}"))))
            .Field("nonNullFail", "String!", f => f.Resolve(_ => null))
            .Field("failing", "String", f => f.Resolve(_ => throw new GraphQLException("boom")))
            .Field("crash", "String", f => f.Resolve(_ => throw new InvalidOperationException("secret")))
            .Field("now", "DateTime!", f => f.Resolve(_ => new DateTimeOffset(2024, 1, 2, 3, 4, 5, 6, TimeSpan.FromHours(2)))))
        .Object("Mutation", o => o
            .Field("createPath", "Path!", f => f.Argument("input", "PathInput!").Resolve(ctx =>
            {
                var input = ctx.Argument<IReadOnlyDictionary<string, object?>>("input");
                return new TestPath("new", (string)input["name"]!, null, "UP", ((List<object?>)input["tags"]!).Cast<string>().ToList(), DateTimeOffset.UnixEpoch);
            }))
            .Field("setStatus", "Path", f => f.Argument("id", "ID!").Argument("status", "Status!").Resolve(ctx =>
                Paths.FirstOrDefault(p => p.Id == ctx.Argument<string>("id")) is { } p ? p with { Status = ctx.Argument<string>("status") } : null)))
        .Object("PathEvent", o => o.Field("path", "Path!").Field("at", "DateTime!"))
        .Object("Subscription", o => o
            .Field("ticks", "Int!", f => f.Argument("count", "Int!").Subscribe(ctx => Ticks(ctx.Argument<int>("count"), ctx.CancellationToken)))
            .Field("pathEvents", "PathEvent!", f => f.Argument("pathId", "ID").Subscribe(ctx => Events(ctx.CancellationToken))))
        .Build();

    private static object? Find(string id) => (object?)Paths.FirstOrDefault(p => p.Id == id) ?? Peers.FirstOrDefault(p => p.Id == id);

    private static async IAsyncEnumerable<int> Ticks(int count, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (var i = 1; i <= count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return i;
        }
    }

    private static async IAsyncEnumerable<Dictionary<string, object?>> Events([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var path in Paths)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return new Dictionary<string, object?> { ["path"] = path, ["at"] = path.UpdatedAt };
        }
    }
}
