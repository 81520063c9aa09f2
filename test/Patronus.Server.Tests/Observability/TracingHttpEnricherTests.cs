using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Patronus.Server.Observability;

namespace Patronus.Server.Tests.Observability;

public sealed class TracingHttpEnricherTests
{
    private static (Activity Activity, DefaultHttpContext Context) Request(string method, string path, int status, string? route)
    {
        var activity = new Activity("Microsoft.AspNetCore.Hosting.HttpRequestIn");
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Scheme = "http";
        context.Request.Path = path;
        context.Response.StatusCode = status;
        if (route is not null)
        {
            context.SetEndpoint(new RouteEndpoint(_ => Task.CompletedTask, RoutePatternFactory.Parse(route), 0, EndpointMetadataCollection.Empty, route));
        }

        return (activity, context);
    }

    [Fact]
    public void Enrich_Routed_NamedAfterMethodAndRoute()
    {
        var (activity, context) = Request("GET", "/api/v1/paths/a", 200, "/api/v1/paths/{id}");

        TracingHttpEnricher.Enrich(activity, context);

        Assert.Equal("GET /api/v1/paths/{id}", activity.DisplayName);
        Assert.Equal("/api/v1/paths/{id}", activity.GetTagItem("http.route"));
        Assert.Equal("GET", activity.GetTagItem("http.request.method"));
        Assert.Equal("/api/v1/paths/a", activity.GetTagItem("url.path"));
        Assert.Equal("http", activity.GetTagItem("url.scheme"));
        Assert.Equal(200, activity.GetTagItem("http.response.status_code"));
        Assert.Equal(ActivityStatusCode.Unset, activity.Status);
    }

    [Fact]
    public void Enrich_NoRoute_NamedAfterMethodOnly()
    {
        var (activity, context) = Request("GET", "/nothing/here/42", 404, route: null);

        TracingHttpEnricher.Enrich(activity, context);

        Assert.Equal("GET", activity.DisplayName); // not the path: one name per URL would be unbounded
        Assert.Null(activity.GetTagItem("http.route"));
        Assert.Equal(ActivityStatusCode.Unset, activity.Status);
    }

    [Fact]
    public void Enrich_ServerError_ErrorStatusAndType()
    {
        var (activity, context) = Request("POST", "/api/v1/paths", 503, "/api/v1/paths");

        TracingHttpEnricher.Enrich(activity, context);

        Assert.Equal(ActivityStatusCode.Error, activity.Status);
        Assert.Equal("503", activity.GetTagItem("error.type"));
    }
}
