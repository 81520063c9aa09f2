using System.Net;
using System.Text;
using Patronus.Server.Dashboard;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.Dashboard;

/// <summary>The built dashboard at <c>/</c>: anonymous, SPA fallback, caching, precompressed twins, CSP, and never over the API.</summary>
public sealed class DashboardFilesTests
{
    private const string Index = "<!doctype html><title>Patronus</title><script type=module src=/assets/app-3f2a9c.js></script>";
    private const string Script = "console.log('patronus')";

    private static async Task<(RunningServer Server, TempDir Root)> StartAsync(bool built = true)
    {
        var root = new TempDir();
        if (built)
        {
            Directory.CreateDirectory(Path.Combine(root.Path, "assets"));
            await File.WriteAllTextAsync(Path.Combine(root.Path, "index.html"), Index);
            await File.WriteAllBytesAsync(Path.Combine(root.Path, "index.html.gz"), [7, 8, 9]);
            await File.WriteAllTextAsync(Path.Combine(root.Path, "favicon.svg"), "<svg/>");
            var script = Path.Combine(root.Path, "assets", "app-3f2a9c.js");
            await File.WriteAllTextAsync(script, Script);
            await File.WriteAllBytesAsync(script + ".br", [1, 2, 3]); // not real brotli: tells which file was sent
            await File.WriteAllBytesAsync(script + ".gz", [4, 5, 6]);
        }

        var server = await RunningServer.StartAsync(environment: new() { ["PATRONUS__DASHBOARD__ROOT"] = root.Path });
        return (server, root);
    }

    private static async Task<HttpResponseMessage> GetAsync(HttpClient client, string url, string? acceptEncoding = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (acceptEncoding is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
        }

        return await client.SendAsync(request);
    }

    [Fact]
    public async Task Root_Anonymous_ServesIndexUncachedWithStrictCsp()
    {
        var (server, root) = await StartAsync();
        await using var running = server;
        using var rootDir = root;

        using var response = await GetAsync(server.Anonymous, "/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Index, await response.Content.ReadAsStringAsync());
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
    }

    [Theory]
    [InlineData("/paths/demo-wan1-loopback")]
    [InlineData("/login")]
    [InlineData("/setup")]
    public async Task ClientRoute_Anonymous_ServesIndex(string route)
    {
        var (server, root) = await StartAsync();
        await using var running = server;
        using var rootDir = root;

        using var response = await GetAsync(server.Anonymous, route);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Index, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("br, gzip", "br", new byte[] { 1, 2, 3 })]
    [InlineData("gzip, deflate", "gzip", new byte[] { 4, 5, 6 })]
    [InlineData("br;q=0, gzip", "gzip", new byte[] { 4, 5, 6 })]
    [InlineData(null, null, null)]
    public async Task HashedAsset_ImmutableAndPrecompressedWhenAccepted(string? accept, string? encoding, byte[]? body)
    {
        var (server, root) = await StartAsync();
        await using var running = server;
        using var rootDir = root;

        using var response = await GetAsync(server.Anonymous, "/assets/app-3f2a9c.js", accept);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("public, max-age=31536000, immutable", response.Headers.CacheControl?.ToString());
        Assert.Equal(encoding, response.Content.Headers.ContentEncoding.SingleOrDefault());
        Assert.Equal(body ?? Encoding.UTF8.GetBytes(Script), await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Accept-Encoding", response.Headers.Vary);
    }

    [Fact]
    public async Task Index_RevalidatedWithItsETag_304WithoutBody()
    {
        var (server, root) = await StartAsync();
        await using var running = server;
        using var rootDir = root;
        using var first = await GetAsync(server.Anonymous, "/", "gzip");
        var etag = first.Headers.ETag;
        Assert.NotNull(etag);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.IfNoneMatch.Add(etag!);
        request.Headers.TryAddWithoutValidation("Accept-Encoding", "gzip");
        using var again = await server.Anonymous.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        Assert.Empty(await again.Content.ReadAsByteArrayAsync());
        using var plain = await GetAsync(server.Anonymous, "/");
        Assert.NotEqual(etag, plain.Headers.ETag); // each encoding is its own representation
    }

    [Fact]
    public async Task FileOutsideAssets_RevalidatedNotImmutable()
    {
        var (server, root) = await StartAsync();
        await using var running = server;
        using var rootDir = root;

        using var response = await GetAsync(server.Anonymous, "/favicon.svg");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
    }

    [Theory]
    [InlineData("/api/v1/sites/", HttpStatusCode.Unauthorized)]
    [InlineData("/api/v1/no-such-route", HttpStatusCode.Unauthorized)]
    [InlineData("/graphql", HttpStatusCode.Unauthorized)]
    [InlineData("/openapi/v1.json", HttpStatusCode.Unauthorized)]
    [InlineData("/health/live", HttpStatusCode.OK)]
    [InlineData("/assets/missing-123.js", HttpStatusCode.Unauthorized)]
    public async Task ApiRoutesAndMissingFiles_NeverAnsweredWithTheApp(string url, HttpStatusCode status)
    {
        var (server, root) = await StartAsync();
        await using var running = server;
        using var rootDir = root;

        using var response = await GetAsync(server.Anonymous, url);

        Assert.Equal(status, response.StatusCode);
        Assert.DoesNotContain("<title>Patronus</title>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Root_NotBuilt_503SaysHowToBuildInOneLine()
    {
        var (server, root) = await StartAsync(built: false);
        await using var running = server;
        using var rootDir = root;

        using var response = await GetAsync(server.Anonymous, "/");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(DashboardFiles.NotBuiltMessage + "\n", await response.Content.ReadAsStringAsync());
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("gzip, br", "br", true)]
    [InlineData("GZIP", "gzip", true)]
    [InlineData("br;q=0", "br", false)]
    [InlineData("br; q=0.000", "br", false)]
    [InlineData("gzip;q=0.5", "gzip", true)]
    [InlineData("deflate", "gzip", false)]
    [InlineData("", "br", false)]
    public void Accepts_AcceptEncodingValues_HonoursQZero(string header, string encoding, bool accepted) =>
        Assert.Equal(accepted, DashboardFiles.Accepts(header, encoding));
}
