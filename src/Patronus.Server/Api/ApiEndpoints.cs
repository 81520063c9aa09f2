using Patronus.Server.Security;

namespace Patronus.Server.Api;

/// <summary>
/// Maps the REST API under <c>/api/v1</c>. Every route goes through ASP.NET Core authorization:
/// the fallback policy (<c>AuthorizationOptions.FallbackPolicy</c>, a valid access token: viewer)
/// covers every endpoint that does not opt out; writes need operator, users and audit admin. Only
/// health, /metrics, login and refresh carry <c>AllowAnonymous</c>; a test enforces that list.
/// </summary>
public static class ApiEndpoints
{
    public const string Prefix = "/api/v1";

    public static RouteGroupBuilder MapPatronusApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(Prefix).RequireOperatorForWrites();
        api.MapTopology();
        api.MapPathHealth();
        api.MapBfd();
        api.MapFailover();
        api.MapTunnels();
        api.MapCluster();
        Export.MetricsEndpoints.MapMetricsExport(api);
        api.MapUsers();
        app.MapAuth();
        app.MapOpenApi();
        return api;
    }
}
