using Patronus.Engine.Cluster;
using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Types;
using Patronus.Persistence.Security;
using Patronus.Server.Api;

namespace Patronus.Server.GraphQL;

/// <summary>The cluster (docs/ha.md): the <c>Cluster</c> and <c>ClusterNode</c> types and the <c>cluster</c> query, the REST <c>/api/v1/cluster</c> in GraphQL's names.</summary>
public static partial class PatronusSchema
{
    private static SchemaBuilder AddClusterTypes(this SchemaBuilder schema) => schema
        .Object("Cluster", o => o
            .Description("The controllers sharing this store and the leader lease (docs/ha.md).")
            .Field("nodeId", "ID!", f => f.Description("The node that answered."))
            .Field("mode", "String!", f => f.Description("lease (a shared PostgreSQL store) or single (the embedded store: this node leads with term 1)."))
            .Field("leader", "ID", f => f.Description("The lease holder; null while the lease is expired (no leader)."))
            .Field("term", "Float!", f => f.Description("The lease's fencing term: one more at every change of holder."))
            .Field("nodes", "[ClusterNode!]!"))
        .Object("ClusterNode", o => o
            .Field("id", "ID!").Field("url", "String!").Field("role", "String!", f => f.Description("leader or follower"))
            .Field("term", "Float!", f => f.Description("The newest term the node reported with its heartbeat."))
            .Field("lastHeartbeat", "String!", f => f.Description("Its last heartbeat, on the database's clock."))
            .Field("version", "String!").Field("healthy", "Boolean!").Field("self", "Boolean!"));

    /// <summary>The <c>cluster</c> root field of Query (viewer).</summary>
    private static ObjectTypeBuilder ClusterQuery(this ObjectTypeBuilder query) => query
        .Field("cluster", "Cluster!", f => f.ResolveAs(UserRole.Viewer, ClusterAsync));

    private static async Task<Dictionary<string, object?>> ClusterAsync(ResolveContext ctx)
    {
        var report = await Ctx(ctx).Service<ClusterReader>().ReadAsync(ctx.CancellationToken).ConfigureAwait(false);
        return new Dictionary<string, object?>
        {
            ["nodeId"] = report.NodeId,
            ["mode"] = report.SharedStore ? "lease" : "single",
            ["leader"] = report.Leader,
            ["term"] = (double)report.Term,
            ["nodes"] = report.Nodes.Select(n => new Dictionary<string, object?>
            {
                ["id"] = n.NodeId,
                ["url"] = n.Url,
                ["role"] = n.Role == ClusterRole.Leader ? "leader" : "follower",
                ["term"] = (double)n.Term,
                ["lastHeartbeat"] = PathHealthEndpoints.Iso(n.LastHeartbeat),
                ["version"] = n.Version,
                ["healthy"] = n.Healthy,
                ["self"] = n.Self,
            }).ToList(),
        };
    }
}
