using Patronus.Engine.Tunnels;
using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Types;
using Patronus.Persistence.Security;
using Patronus.Server.Api;

namespace Patronus.Server.GraphQL;

/// <summary>
/// Tunnels in GraphQL (issue 15), the same view as <c>GET /api/v1/tunnels</c>: the query
/// <c>tunnels</c> (viewer) and its types. Public keys only, never a private or preshared key.
/// Kept apart from the other parts so the schema's regions merge independently.
/// </summary>
public static partial class PatronusSchema
{
    private static ObjectTypeBuilder AddTunnelQueries(this ObjectTypeBuilder query) => query
        .Field("tunnels", "[Tunnel!]!", f => f
            .Description("The running tunnel interfaces (empty while tunnels are off): peers, endpoints per path, the active path, traffic and drops.")
            .ResolveAs(UserRole.Viewer, ctx =>
                Ctx(ctx).Service<TunnelService>() is { Device: { } device } service ? new List<object> { TunnelView(device, service.ListenPort) } : []));

    private static SchemaBuilder AddTunnelTypes(this SchemaBuilder schema) => schema
        .Object("Tunnel", o => o
            .Field("interface", "String!").Field("publicKey", "String!").Field("listenPort", "Int!")
            .Field("drops", "[TunnelDrop!]!").Field("peers", "[TunnelPeer!]!"))
        .Object("TunnelPeer", o => o
            .Field("name", "String!").Field("publicKey", "String!")
            .Field("endpoint", "String", f => f.Description("Where packets no failover policy steers go now (ADDR:PORT)."))
            .Field("activePathId", "ID", f => f.Description("The path of endpoint; null for a peer with one plain endpoint."))
            .Field("lastPathId", "ID", f => f.Description("The path the last transport message left on."))
            .Field("lastSource", "String", f => f.Description("Where the last authenticated datagram came from (roaming)."))
            .Field("lastHandshake", "String")
            .Field("rxBytes", "Float!").Field("rxPackets", "Float!").Field("txBytes", "Float!").Field("txPackets", "Float!")
            .Field("pathSwitches", "Float!").Field("paths", "[TunnelPath!]!").Field("drops", "[TunnelDrop!]!"))
        .Object("TunnelPath", o => o
            .Field("pathId", "ID!").Field("endpoint", "String!").Field("inTopology", "Boolean!")
            .Field("rxBytes", "Float!").Field("rxPackets", "Float!").Field("txBytes", "Float!").Field("txPackets", "Float!"))
        .Object("TunnelDrop", o => o.Field("reason", "String!").Field("count", "Float!"));

    private static Dictionary<string, object?> TunnelView(TunnelDevice device, int listenPort) => new()
    {
        ["interface"] = device.Name,
        ["publicKey"] = device.PublicKey,
        ["listenPort"] = listenPort,
        ["drops"] = DropViews(device.Drops()),
        ["peers"] = device.Peers.Select(p => TunnelPeerView(p.Snapshot())).ToList(),
    };

    private static Dictionary<string, object?> TunnelPeerView(TunnelPeerSnapshot p) => new()
    {
        ["name"] = p.Name,
        ["publicKey"] = p.PublicKey,
        ["endpoint"] = p.Endpoint?.ToString(),
        ["activePathId"] = p.ActivePathId,
        ["lastPathId"] = p.LastPathId,
        ["lastSource"] = p.LastSource?.ToString(),
        ["lastHandshake"] = p.LastHandshake is { } t ? PathHealthEndpoints.Iso(t) : null,
        ["rxBytes"] = (double)p.ReceivedBytes,
        ["rxPackets"] = (double)p.ReceivedPackets,
        ["txBytes"] = (double)p.SentBytes,
        ["txPackets"] = (double)p.SentPackets,
        ["pathSwitches"] = (double)p.PathSwitches,
        ["paths"] = p.Paths.Select(x => new Dictionary<string, object?>
        {
            ["pathId"] = x.PathId,
            ["endpoint"] = x.Endpoint.ToString(),
            ["inTopology"] = x.InTopology,
            ["rxBytes"] = (double)x.Traffic.ReceivedBytes,
            ["rxPackets"] = (double)x.Traffic.ReceivedPackets,
            ["txBytes"] = (double)x.Traffic.SentBytes,
            ["txPackets"] = (double)x.Traffic.SentPackets,
        }).ToList(),
        ["drops"] = DropViews(p.Drops),
    };

    private static List<Dictionary<string, object?>> DropViews(IReadOnlyDictionary<TunnelDropReason, long> drops) =>
        TunnelEndpoints.Drops(drops).Select(d => new Dictionary<string, object?> { ["reason"] = d.Key, ["count"] = (double)d.Value }).ToList();
}
