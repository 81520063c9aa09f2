using Patronus.Engine.Bfd;
using Patronus.Engine.Paths;

namespace Patronus.Server.Api;

/// <summary>
/// BFD sessions over REST: their live state and negotiated timers, and the operator's AdminDown
/// switch. Sessions themselves are configured on their path (<c>bfd</c> of /api/v1/paths).
/// </summary>
internal static class BfdEndpoints
{
    public static RouteGroupBuilder MapBfd(this RouteGroupBuilder api)
    {
        api.MapGet("/bfd/sessions", (BfdService bfd) =>
            Results.Ok(new { sessions = bfd.Sessions.Values.OrderBy(s => s.PathId, StringComparer.Ordinal).Select(Session) }));

        api.MapGet("/bfd/sessions/{pathId}", (string pathId, BfdService bfd, TopologyService topology) =>
            bfd.Sessions.TryGetValue(pathId, out var session) ? Results.Ok(Session(session)) : Missing(pathId, topology));

        api.MapPost("/bfd/sessions/{pathId}/admin-down", (string pathId, BfdService bfd, TopologyService topology) =>
            bfd.SetAdminDownOverride(pathId, true) ? Results.Accepted($"{ApiEndpoints.Prefix}/bfd/sessions/{pathId}") : Missing(pathId, topology));

        api.MapPost("/bfd/sessions/{pathId}/admin-up", (string pathId, BfdService bfd, TopologyService topology) =>
            bfd.SetAdminDownOverride(pathId, false) ? Results.Accepted($"{ApiEndpoints.Prefix}/bfd/sessions/{pathId}") : Missing(pathId, topology));
        return api;
    }

    private static IResult Missing(string pathId, TopologyService topology) =>
        topology.Current.PathsById.TryGetValue(pathId, out var path)
            ? path.Bfd is null
                ? Problems.NotFound("BFD session", pathId)
                : Problems.Status(StatusCodes.Status503ServiceUnavailable, "Not started yet", $"path '{pathId}' has a BFD session that has not started yet")
            : Problems.NotFound("path", pathId);

    internal static object Session(BfdSessionView s)
    {
        var state = s.State;
        return new
        {
            path_id = s.PathId,
            peer = s.Settings.Peer,
            local = s.Local,
            multihop = s.Settings.Multihop,
            source_port = s.SourcePort,
            state = BfdNames.State(s.SessionState),
            remote_state = state is null ? null : BfdNames.State(state.RemoteSessionState),
            local_diagnostic = state is null ? null : BfdNames.Diagnostic(state.LocalDiag),
            remote_diagnostic = state is null ? null : BfdNames.Diagnostic(state.RemoteDiag),
            local_discriminator = state?.LocalDiscr,
            remote_discriminator = state?.RemoteDiscr,
            health_score = s.HealthScore,
            admin_down = s.Settings.AdminDown || s.AdminDownOverride,
            admin_down_override = s.AdminDownOverride,
            peer_admin_down = s.PeerAdminDown,
            error = s.Error,
            last_change = s.LastChange is { } t ? PathHealthEndpoints.Iso(t) : null,
            last_change_reason = s.LastChangeReason?.ToString(),
            opened_at = s.OpenedAt is { } o ? PathHealthEndpoints.Iso(o) : null,
            timers = state is null ? null : new
            {
                desired_min_tx_ms = Ms(state.DesiredMinTxInterval),
                required_min_rx_ms = Ms(state.RequiredMinRxInterval),
                detect_multiplier = state.DetectMult,
                remote_desired_min_tx_ms = Ms(state.RemoteDesiredMinTxInterval),
                remote_required_min_rx_ms = Ms(state.RemoteMinRxInterval),
                remote_detect_multiplier = state.RemoteDetectMult,
                transmit_interval_ms = Ms(state.TransmitInterval),
                detection_time_ms = Ms(state.DetectionTime),
                poll_active = state.PollActive,
            },
            authentication = s.Settings.Auth is { } a ? BfdAuthModeNames.Name(a.Type) : null,
            packets = new
            {
                received = s.Counters.Received,
                sent = s.Counters.Sent,
                dropped = s.Counters.Dropped,
                auth_failures = s.Counters.AuthFailures,
            },
        };
    }

    private static double Ms(ulong microseconds) => microseconds / 1000.0;
}
