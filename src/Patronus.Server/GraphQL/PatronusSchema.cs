using System.Globalization;
using Patronus.Engine.Cluster;
using Patronus.Engine.Health;
using Patronus.Engine.Paths;
using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Types;
using Patronus.Server.Commands;

namespace Patronus.Server.GraphQL;


/// <summary>
/// The Patronus schema at <c>/graphql</c>: seed 000's types and operations under their exact names
/// (PathHealth, PathStatus, pathHealth, allPathsHealth, pathHealthHistory; FailoverPolicy,
/// FailoverEvent and the policy mutations; MetricsExport and exportMetrics), plus sites, links,
/// paths (CRUD), BFD sessions, path statistics, and the subscriptions pathHealthChanged and
/// failoverEvents, pushed as they happen. One file a part: types, queries, mutations, subscriptions.
/// <para>
/// GraphQL and REST are sibling adapters: writes run the same use cases
/// (<see cref="TopologyCommands"/>, <see cref="FailoverPolicyCommands"/>), so both refuse the same
/// things with the same words. Every field needs an authenticated caller (the endpoint refuses
/// anonymous requests); reads need viewer, writes operator, user administration admin — checked
/// per root field, before the resolver runs.
/// </para>
/// <para>
/// Deviations from the seed, on purpose: <c>lastChecked</c> is nullable (a path not yet probed has
/// no check time, and an empty string would be a made-up value); traffic counts are Float (the
/// seed's Int is 32-bit and a byte counter passes 2^31 within seconds) and nullable (null when the
/// kernel's accounting does not run); FailoverEvent.eventId is null for an event pushed by the
/// subscription before it is stored.
/// </para>
/// </summary>
public static partial class PatronusSchema
{
    public static Schema Build() => new SchemaBuilder()
        .Description("Patronus SD-WAN controller")
        .AddTypes()
        .AddTunnelTypes()
        .AddClusterTypes()
        .AddQueries()
        .AddMutations()
        .AddSubscriptions()
        .Build();

    private static PatronusGraphQLContext Ctx(ResolveContext ctx) => ctx.ContextAs<PatronusGraphQLContext>();

    private static TopologySnapshot Topology(ResolveContext ctx) => Ctx(ctx).Service<TopologyService>().Current;

    private static PathHealthView? Health(ResolveContext ctx, string pathId) =>
        Ctx(ctx).Service<ClusterFeed>().Get(pathId) is { } h ? PathHealthView.From(h) : null;

    private static DateTimeOffset ParseTime(string? text, string argument, DateTimeOffset fallback)
    {
        if (text is null)
        {
            return fallback;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t
            : throw new GraphQLException($"{argument}: '{text}' is not an ISO-8601 time", new Dictionary<string, object?> { ["code"] = "BAD_USER_INPUT" });
    }
}
