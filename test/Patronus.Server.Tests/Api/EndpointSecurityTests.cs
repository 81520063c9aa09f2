using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Patronus.Persistence.Security;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.Api;

/// <summary>
/// Every mapped endpoint, enumerated from the running server's <see cref="EndpointDataSource"/>
/// (so a route added later is covered without touching this file), against every role.
/// </summary>
public sealed partial class EndpointSecurityTests
{
    private static readonly string[] s_anonymous =
        ["/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/setup", "/api/v1/auth/setup", "/health", "/health/live", "/health/ready", "/metrics"];

    /// <summary>Admin only: user management and the audit log.</summary>
    private static bool IsAdminRoute(string route) =>
        route.StartsWith("/api/v1/users", StringComparison.Ordinal) || route.StartsWith("/api/v1/audit", StringComparison.Ordinal);

    /// <summary>Writes any valid token may make: ending one's own session.</summary>
    private static bool IsSelfService(string route) => route == "/api/v1/auth/logout";

    private static bool IsWrite(string method) => method is not ("GET" or "HEAD" or "OPTIONS");

    /// <summary>
    /// REST writes need operator. Outside /api/v1 a POST is not necessarily a change (a GraphQL
    /// query is a POST): such an endpoint authorizes its own operations and needs only a token here.
    /// </summary>
    private static bool IsRestWrite(string route, string method) =>
        IsWrite(method) && route.StartsWith("/api/v1/", StringComparison.Ordinal) && !IsSelfService(route);

    [Fact]
    public async Task Endpoints_OnlyHealthMetricsLoginRefreshAllowAnonymous()
    {
        await using var server = await RunningServer.StartAsync();
        var endpoints = Routes(server);

        Assert.Contains(endpoints, e => e.Route == "/api/v1/sites/");
        var anonymous = server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null)
            .Select(e => e.RoutePattern.RawText).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(s_anonymous, anonymous);
        Assert.All(endpoints.Where(e => e.Route.StartsWith("/api/", StringComparison.Ordinal)),
            e => Assert.StartsWith("/api/v1/", e.Route, StringComparison.Ordinal));
    }

    [Fact]
    public async Task EveryEndpoint_EachRole_GetsExactlyItsRights()
    {
        await using var server = await RunningServer.StartAsync();
        var viewer = await server.ClientAsAsync("vera", UserRole.Viewer);
        var op = await server.ClientAsAsync("oscar", UserRole.Operator);
        var endpoints = Routes(server).Where(e => !s_anonymous.Contains(e.Route)).ToList();
        Assert.True(endpoints.Count > 20, $"only {endpoints.Count} endpoints found");

        var wrong = new List<string>();
        foreach (var (route, method) in endpoints)
        {
            var anonymousStatus = await SendAsync(server.Anonymous, method, route);
            Expect(anonymousStatus == HttpStatusCode.Unauthorized, "anonymous", anonymousStatus);

            var viewerStatus = await SendAsync(viewer, method, route);
            var viewerDenied = IsAdminRoute(route) || IsRestWrite(route, method);
            Expect(viewerDenied ? viewerStatus == HttpStatusCode.Forbidden : Allowed(viewerStatus), "viewer", viewerStatus);

            var operatorStatus = await SendAsync(op, method, route);
            Expect(IsAdminRoute(route) ? operatorStatus == HttpStatusCode.Forbidden : Allowed(operatorStatus), "operator", operatorStatus);

            var adminStatus = await SendAsync(server.Client, method, route);
            Expect(Allowed(adminStatus), "admin", adminStatus);

            void Expect(bool ok, string who, HttpStatusCode status)
            {
                if (!ok)
                {
                    wrong.Add($"{who} {method} {route}: {(int)status}");
                }
            }
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    private static bool Allowed(HttpStatusCode status) => status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden);

    private static List<(string Route, string Method)> Routes(RunningServer server) =>
        server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (e.RoutePattern.RawText!, m)))
            .ToList();

    private static async Task<HttpStatusCode> SendAsync(HttpClient client, string method, string route)
    {
        // Parameters get a value that matches any constraint and names nothing that exists.
        var url = Parameter().Replace(route, m => m.Value.StartsWith("{documentName", StringComparison.Ordinal) ? "v1" : "999999");
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (IsWrite(method))
        {
            request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Parameter();
}
