using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.Api;

public sealed class EndpointSecurityTests
{
    /// <summary>
    /// Authentication will be a fallback policy over every endpoint; it only works if no route opts
    /// out. Health and /metrics (a scraper holds no user token; Metrics:Token can require one) are
    /// the deliberate exceptions.
    /// </summary>
    [Fact]
    public async Task Endpoints_OnlyHealthAllowsAnonymous()
    {
        await using var server = await RunningServer.StartAsync();
        var endpoints = server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();

        Assert.Contains(endpoints, e => e.RoutePattern.RawText == "/api/v1/sites/");
        var anonymous = endpoints.Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null)
            .Select(e => e.RoutePattern.RawText).Order().ToList();
        Assert.Equal(["/health", "/health/live", "/health/ready", "/metrics"], anonymous);
        Assert.All(endpoints.Where(e => e.RoutePattern.RawText!.StartsWith("/api/", StringComparison.Ordinal)),
            e => Assert.StartsWith("/api/v1/", e.RoutePattern.RawText, StringComparison.Ordinal));
    }
}
