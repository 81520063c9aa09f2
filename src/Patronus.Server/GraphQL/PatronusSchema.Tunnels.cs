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
            .Field("pathSwitches", "Float!").Field("paths", "[TunnelPath!]!").Field("drops", "[TunnelDrop!]!")
            .Field("patronus", "Boolean!", f => f.Description("The peer is configured as Patronus: Patronus data messages both ways (docs/tunnels.md)."))
            .Field("dataMessagesReceived", "Float!", f => f.Description("Patronus data messages received and accepted."))
            .Field("plainPacketsReceived", "Float!", f => f.Description("Plain IP packets from a peer configured as Patronus (its side sends plain WireGuard)."))
            .Field("duplicatedPackets", "Float!", f => f.Description("Packets sent to a Patronus peer on two paths (a traffic class that duplicates), each counted once."))
            .Field("duplicatesDropped", "Float!", f => f.Description("Later copies of the peer's duplicated packets dropped on arrival (the first copy was delivered)."))
            .Field("duplicatesTooOld", "Float!", f => f.Description("Copies of the peer's duplicated packets dropped as too old to tell whether their twin came."))
            .Field("compression", "TunnelCompression", f => f.Description("LZ4 of the packets sent to a Patronus peer, as measured; null for a WireGuard peer."))
            .Field("classes", "[TunnelClass!]!", f => f.Description("Per traffic class (TrafficClasses, then default): its active path, duplication and traffic per path; empty when no class is configured.")))
        .Object("TunnelClass", o => o
            .Field("class", "String!")
            .Field("activePathId", "ID", f => f.Description("The path the class's last packet to the peer left on; null before its first."))
            .Field("preferredPathId", "ID", f => f.Description("The class's first preferred path meeting its SLA now (used where no class policy steers); null when none does."))
            .Field("duplication", "String!", f => f.Description("off, always or on-sla-breach."))
            .Field("duplicationActive", "Boolean!", f => f.Description("Whether the class's packets go on two paths now."))
            .Field("flows", "Float!", f => f.Description("Distinct 5-tuples of the class's packets sent to the peer, counted in a recent-set of 256 per class (a flow pushed out by more counts again when it returns)."))
            .Field("paths", "[TunnelClassPath!]!"))
        .Object("TunnelClassPath", o => o
            .Description("A class's IP packets to and from the peer on one path (octets before LZ4 and tunnel headers; a duplicated packet counts on both paths it left on).")
            .Field("pathId", "ID", f => f.Description("Null: the plain endpoint."))
            .Field("txBytes", "Float!").Field("txPackets", "Float!").Field("rxBytes", "Float!").Field("rxPackets", "Float!"))
        .Object("TunnelCompression", o => o
            .Field("mode", "String!").Field("bytesBefore", "Float!").Field("bytesAfter", "Float!")
            .Field("packetsCompressed", "Float!").Field("packetsIncompressible", "Float!").Field("packetsNotTried", "Float!")
            .Field("ratio", "Float!", f => f.Description("bytesBefore / bytesAfter (1.0 before any packet).")))
        .Object("TunnelPath", o => o
            .Field("pathId", "ID!").Field("endpoint", "String!").Field("inTopology", "Boolean!")
            .Field("rxBytes", "Float!").Field("rxPackets", "Float!").Field("txBytes", "Float!").Field("txPackets", "Float!")
            .Field("passive", "TunnelPassive", f => f.Description("Passive measurement from a Patronus peer's traffic on the path; null for a WireGuard peer or before traffic.")))
        .Object("TunnelPassive", o => o
            .Field("received", "Float!").Field("expected", "Float!")
            .Field("lossPercent", "Float", f => f.Description("Loss of the peer's messages arriving through the path, over 10 s; null with none."))
            .Field("reorderedPercent", "Float").Field("jitterMs", "Float", f => f.Description("RFC 3550 interarrival jitter."))
            .Field("rttMs", "Float", f => f.Description("Smoothed round trip of our messages on the path, from the peer's echoes."))
            .Field("rttSamples", "Float!"))
        .Object("TunnelDrop", o => o.Field("reason", "String!").Field("count", "Float!"))
        .Object("PathPassive", o => o
            .Description("A path's passive measurement from one Patronus tunnel peer's traffic.")
            .Field("peer", "String!").Field("measurement", "TunnelPassive!"));

    private static List<Dictionary<string, object?>> PathPassiveViews(ResolveContext ctx, string pathId) =>
        TunnelEndpoints.PassiveOf(Ctx(ctx).Service<TunnelService>(), pathId)
            .Select(p => new Dictionary<string, object?> { ["peer"] = p.Peer, ["measurement"] = PassiveView(p.Passive) }).ToList();

    private static Dictionary<string, object?> PassiveView(TunnelPassiveSnapshot v) => new()
    {
        ["received"] = (double)v.Received,
        ["expected"] = (double)v.Expected,
        ["lossPercent"] = v.LossPercent,
        ["reorderedPercent"] = v.ReorderedPercent,
        ["jitterMs"] = v.JitterMs,
        ["rttMs"] = v.RttMs,
        ["rttSamples"] = (double)v.RttSamples,
    };

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
            ["passive"] = x.Passive is { } v ? PassiveView(v) : null,
        }).ToList(),
        ["drops"] = DropViews(p.Drops),
        ["patronus"] = p.Patronus,
        ["dataMessagesReceived"] = (double)p.DataMessagesReceived,
        ["plainPacketsReceived"] = (double)p.PlainPacketsReceived,
        ["duplicatedPackets"] = (double)p.DuplicatedPackets,
        ["duplicatesDropped"] = (double)p.DuplicatesDropped,
        ["duplicatesTooOld"] = (double)p.DuplicatesTooOld,
        ["classes"] = p.Classes.Select(c => new Dictionary<string, object?>
        {
            ["class"] = c.Class,
            ["activePathId"] = c.ActivePathId,
            ["preferredPathId"] = c.PreferredPathId,
            ["duplication"] = c.Duplication,
            ["duplicationActive"] = c.DuplicationActive,
            ["flows"] = (double)c.Flows,
            ["paths"] = c.Paths.Select(x => new Dictionary<string, object?>
            {
                ["pathId"] = x.PathId,
                ["txBytes"] = (double)x.SentBytes,
                ["txPackets"] = (double)x.SentPackets,
                ["rxBytes"] = (double)x.ReceivedBytes,
                ["rxPackets"] = (double)x.ReceivedPackets,
            }).ToList(),
        }).ToList(),
        ["compression"] = p.Compression is { } c ? new Dictionary<string, object?>
        {
            ["mode"] = c.Mode,
            ["bytesBefore"] = (double)c.BytesBefore,
            ["bytesAfter"] = (double)c.BytesAfter,
            ["packetsCompressed"] = (double)c.PacketsCompressed,
            ["packetsIncompressible"] = (double)c.PacketsIncompressible,
            ["packetsNotTried"] = (double)c.PacketsNotTried,
            ["ratio"] = c.Ratio,
        } : null,
    };

    private static List<Dictionary<string, object?>> DropViews(IReadOnlyDictionary<TunnelDropReason, long> drops) =>
        TunnelEndpoints.Drops(drops).Select(d => new Dictionary<string, object?> { ["reason"] = d.Key, ["count"] = (double)d.Value }).ToList();
}
