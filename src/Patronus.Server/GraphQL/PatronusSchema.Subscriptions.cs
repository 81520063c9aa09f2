using System.Globalization;
using System.Runtime.CompilerServices;
using Patronus.Engine.Bfd;
using Patronus.Engine.Cluster;
using Patronus.GraphQL.Types;
using Patronus.Persistence.Security;

namespace Patronus.Server.GraphQL;


/// <summary>
/// Subscriptions: health changes, failover events and BFD state changes pushed as they happen
/// (viewer); health and failover from the <see cref="ClusterFeed"/>: on a follower of a shared
/// store, the leader's (docs/ha.md). BFD changes are the node's own sessions.
/// </summary>
public static partial class PatronusSchema
{
    private static SchemaBuilder AddSubscriptions(this SchemaBuilder schema) => schema
        .Object("Subscription", o => o
            .Field("pathHealthChanged", "PathHealth!", f => f
                .Description("Every change of a path's health as the monitor publishes it (all paths, or one).")
                .Argument("pathId", "ID")
                .SubscribeAs(UserRole.Viewer, ctx => HealthChanges(Ctx(ctx).Service<ClusterFeed>(), ctx.Argument<string?>("pathId"), ctx.CancellationToken)))
            .Field("failoverEvents", "FailoverEvent!", f => f
                .Description("Failover events as they are decided (all policies, or one).")
                .Argument("policyId", "ID")
                .SubscribeAs(UserRole.Viewer, ctx => FailoverChanges(Ctx(ctx).Service<ClusterFeed>(), ctx.Argument<string?>("policyId"), ctx.CancellationToken)))
            .Field("bfdSessionChanged", "BfdSession!", f => f
                .Description("A BFD session after each change of its state (all paths, or one): lastChange is when, localDiagnostic why.")
                .Argument("pathId", "ID")
                .SubscribeAs(UserRole.Viewer, ctx => BfdChanges(Ctx(ctx).Service<BfdService>(), ctx.Argument<string?>("pathId"), ctx.CancellationToken))));

    private static async IAsyncEnumerable<object> BfdChanges(BfdService bfd, string? pathId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reader = bfd.Subscribe(cancellationToken);
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out var e))
            {
                if (pathId is null || e.PathId == pathId)
                {
                    yield return BfdView(e.Session);
                }
            }
        }
    }

    private static async IAsyncEnumerable<PathHealthView> HealthChanges(ClusterFeed feed, string? pathId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var snapshot in feed.HealthChangesAsync(cancellationToken).ConfigureAwait(false))
        {
            if (pathId is null || snapshot.PathId == pathId)
            {
                yield return PathHealthView.From(snapshot);
            }
        }
    }

    private static async IAsyncEnumerable<FailoverEventView> FailoverChanges(ClusterFeed feed, string? policyId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var record in feed.FailoverEventsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (policyId is null || record.Event.PolicyId.ToString(CultureInfo.InvariantCulture) == policyId)
            {
                yield return FailoverEventView.From(record);
            }
        }
    }
}
