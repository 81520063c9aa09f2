using Patronus.Engine.Cluster;

namespace Patronus.Server.Api;

/// <summary>
/// <c>GET /api/v1/cluster</c> (viewer): the controllers on this store, their roles and the lease's
/// term (docs/ha.md). Any node answers the same, from the shared store; the single-node store lists
/// this instance as the leader with term 1.
/// </summary>
internal static class ClusterEndpoints
{
    public static RouteGroupBuilder MapCluster(this RouteGroupBuilder api)
    {
        api.MapGet("/cluster", async (ClusterReader cluster, CancellationToken cancellationToken) =>
            Results.Ok(Report(await cluster.ReadAsync(cancellationToken).ConfigureAwait(false))));
        return api;
    }

    internal static object Report(ClusterReport report) => new
    {
        node_id = report.NodeId,
        mode = report.SharedStore ? "lease" : "single",
        leader = report.Leader,
        term = report.Term,
        nodes = report.Nodes.Select(n => new
        {
            id = n.NodeId,
            url = n.Url,
            role = n.Role == ClusterRole.Leader ? "leader" : "follower",
            term = n.Term,
            last_heartbeat = PathHealthEndpoints.Iso(n.LastHeartbeat),
            version = n.Version,
            healthy = n.Healthy,
            self = n.Self,
        }),
    };
}
