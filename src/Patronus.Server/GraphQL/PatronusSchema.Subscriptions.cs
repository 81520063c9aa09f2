using System.Globalization;
using System.Runtime.CompilerServices;
using Patronus.Engine.Bfd;
using Patronus.Engine.Cluster;
using Patronus.Engine.Health;
using Patronus.GraphQL.Execution;
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
            .Field("pathHealthBatches", "[PathHealth!]!", f => f
                .Description("Changes of path health gathered: each event is the latest health of every path that changed since the previous event (one per path), "
                    + "at most one event per intervalMs (default 250, 0 to 10000; the first change after a quiet spell comes at once). "
                    + "For a client that shows many paths: one message instead of one per change.")
                .Argument("intervalMs", "Int", a => a.DefaultLiteral(DefaultBatchIntervalMs.ToString(CultureInfo.InvariantCulture)))
                .SubscribeAs(UserRole.Viewer, ctx => HealthBatches(Ctx(ctx).Service<ClusterFeed>(), Ctx(ctx).Service<TimeProvider>(), BatchInterval(ctx.Argument<int?>("intervalMs")), ctx.CancellationToken)))
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

    private const int DefaultBatchIntervalMs = 250;
    private const int MaxBatchIntervalMs = 10_000;

    private static TimeSpan BatchInterval(int? intervalMs) => intervalMs is null or (>= 0 and <= MaxBatchIntervalMs)
        ? TimeSpan.FromMilliseconds(intervalMs ?? DefaultBatchIntervalMs)
        : throw new GraphQLException($"intervalMs: {intervalMs} is out of range (0–{MaxBatchIntervalMs})", new Dictionary<string, object?> { ["code"] = "BAD_USER_INPUT" });

    private static async IAsyncEnumerable<IReadOnlyList<PathHealthView>> HealthBatches(ClusterFeed feed, TimeProvider time, TimeSpan interval, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The feed is read all the time (its subscriber channel is bounded and drops the oldest
        // changes: a reader that paused for the interval would lose some), into one change per path.
        var batches = new LatestPerKey<PathHealthSnapshot>(s => s.PathId, interval, time);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pump = Task.Run(async () =>
        {
            await foreach (var snapshot in feed.HealthChangesAsync(stop.Token).ConfigureAwait(false))
            {
                batches.Add(snapshot);
            }
        }, CancellationToken.None);
        try
        {
            while (true)
            {
                var take = batches.TakeAsync(cancellationToken);
                if (await Task.WhenAny(take, pump).ConfigureAwait(false) == pump && !take.IsCompleted)
                {
                    // The feed ended (or failed: its exception is the subscription's) with nothing waiting.
                    await pump.ConfigureAwait(false);
                    yield break;
                }

                var batch = await take.ConfigureAwait(false);
                var views = new PathHealthView[batch.Count];
                for (var i = 0; i < views.Length; i++)
                {
                    views[i] = PathHealthView.From(batch[i]);
                }

                yield return views;
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await pump.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The subscription ended.
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
