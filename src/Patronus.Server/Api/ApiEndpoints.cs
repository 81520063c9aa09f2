namespace Patronus.Server.Api;

/// <summary>
/// Maps the REST API under <c>/api/v1</c>. Every route goes through ASP.NET Core authorization:
/// once authentication exists, its fallback policy (<c>AuthorizationOptions.FallbackPolicy</c>)
/// covers every endpoint that does not opt out, and only the health endpoints carry
/// <c>AllowAnonymous</c>. A test enforces that no other route opts out.
/// </summary>
public static class ApiEndpoints
{
    public const string Prefix = "/api/v1";

    public static RouteGroupBuilder MapPatronusApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(Prefix);
        api.MapTopology();
        api.MapPathHealth();
        api.MapBfd();
        api.MapFailover();
        Export.MetricsEndpoints.MapMetricsExport(api);
        return api;
    }
}
