using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Net.Http.Headers;

namespace Patronus.Server.Dashboard;

/// <summary>
/// Serves the built dashboard (Vite's output, <c>ui/</c>) at <c>/</c>, anonymously: the files carry
/// no data, every number comes from the API with the user's token. A GET or HEAD that no endpoint
/// matched and that is outside the API's prefixes gets the file it names; a client route (a path
/// without a file extension) gets <c>index.html</c>, so a reload on <c>/paths/x</c> works.
/// Hashed files under <c>/assets/</c> are cached for a year as immutable, everything else is
/// revalidated (<c>no-cache</c>); a <c>.br</c> or <c>.gz</c> twin written by the build is sent when
/// the client accepts it. Without a build, <c>/</c> says in one line how to make one.
/// </summary>
public sealed class DashboardFiles
{
    /// <summary>Configuration key of the folder with the built files (default: <c>wwwroot</c> beside the executable).</summary>
    public const string RootKey = "Dashboard:Root";

    /// <summary>The one line <c>/</c> answers when no build exists.</summary>
    public const string NotBuiltMessage = "The Patronus dashboard is not built: run ./patronus serve from the repository (it builds ui/ with npm), or build it (cd ui && npm ci && npm run build) and start serve with PATRONUS__DASHBOARD__ROOT=ui/dist";

    /// <summary>
    /// The content security policy of every dashboard response: only this origin's scripts, styles,
    /// images and connections (the API and its WebSocket); no inline script or style, no eval, no
    /// framing (click-jacking), no plugins, no &lt;base&gt; rewriting.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
        "manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

    /// <summary>A year: the most any cache honours, for files whose name changes with their content.</summary>
    private const string ImmutableCache = "public, max-age=31536000, immutable";

    /// <summary>Requests under these prefixes belong to the API, never to the dashboard (not even an unknown route there).</summary>
    private static readonly string[] s_reserved = ["/api", "/graphql", "/health", "/metrics", "/openapi"];

    private static readonly FileExtensionContentTypeProvider s_types = new();

    private readonly RequestDelegate _next;
    private readonly string _root;

    public DashboardFiles(RequestDelegate next, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        _next = next;
        _root = Path.GetFullPath(configuration[RootKey] is { Length: > 0 } root ? root : Path.Combine(AppContext.BaseDirectory, "wwwroot"));
    }

    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        if (context.GetEndpoint() is not null || !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)) || IsReserved(request.Path))
        {
            return _next(context);
        }

        var index = Path.Combine(_root, "index.html");
        if (!File.Exists(index))
        {
            return NotBuiltAsync(context);
        }

        var path = request.Path.Value ?? "/";
        var file = Resolve(path);
        if (file is null)
        {
            // A client route: the app decides what to show. A missing file (a name with an extension) is a 404.
            if (Path.HasExtension(path))
            {
                return _next(context);
            }

            file = index;
        }

        var immutable = path.StartsWith("/assets/", StringComparison.Ordinal) && file != index;
        return SendAsync(context, file, immutable);
    }

    /// <summary>The file <paramref name="path"/> names inside the root, or null (missing, a folder, or outside the root).</summary>
    private string? Resolve(string path)
    {
        var relative = path.TrimStart('/');
        if (relative.Length == 0 || relative.Contains('\\', StringComparison.Ordinal) || relative.Split('/').Any(s => s is "" or "." or ".."))
        {
            return null;
        }

        var full = Path.GetFullPath(Path.Combine(_root, relative));
        return full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal) && File.Exists(full) ? full : null;
    }

    private static bool IsReserved(PathString path) =>
        s_reserved.Any(p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase));

    private static async Task SendAsync(HttpContext context, string file, bool immutable)
    {
        var response = context.Response;
        SetSecurityHeaders(response.Headers);
        response.Headers.CacheControl = immutable ? ImmutableCache : "no-cache";
        response.ContentType = s_types.TryGetContentType(file, out var type) ? type : "application/octet-stream";
        if (type is not null && (type.StartsWith("text/", StringComparison.Ordinal) || type is "application/javascript" or "text/javascript" or "application/json" or "image/svg+xml"))
        {
            response.ContentType = type + "; charset=utf-8";
        }

        var (send, encoding) = Precompressed(context.Request, file);
        if (encoding is not null)
        {
            response.Headers.ContentEncoding = encoding;
        }

        // Compressible types exist in several encodings: caches must key on what was asked.
        if (encoding is not null || File.Exists(file + ".br") || File.Exists(file + ".gz"))
        {
            response.Headers.Vary = HeaderNames.AcceptEncoding;
        }

        // no-cache means "revalidate": a validator lets an unchanged index.html cost a 304, not the file.
        var info = new FileInfo(send);
        var etag = $"\"{info.Length:x}-{info.LastWriteTimeUtc.Ticks:x}{(encoding is null ? "" : "-" + encoding)}\"";
        response.Headers.ETag = etag;
        if (context.Request.Headers.IfNoneMatch.Any(v => v is not null && v.Split(',').Any(t => t.Trim() == etag || t.Trim() == "*")))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            response.Headers.Remove(HeaderNames.ContentEncoding);
            return;
        }

        response.ContentLength = info.Length;
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }

        await response.SendFileAsync(send, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The brotli or gzip twin of <paramref name="file"/> when it exists and the client accepts it (brotli first: smaller).</summary>
    private static (string File, string? Encoding) Precompressed(HttpRequest request, string file)
    {
        var accepted = request.Headers.AcceptEncoding.ToString();
        foreach (var (suffix, encoding) in new[] { (".br", "br"), (".gz", "gzip") })
        {
            if (Accepts(accepted, encoding) && File.Exists(file + suffix))
            {
                return (file + suffix, encoding);
            }
        }

        return (file, null);
    }

    /// <summary>Whether an <c>Accept-Encoding</c> value lists <paramref name="encoding"/> without <c>q=0</c>.</summary>
    internal static bool Accepts(string acceptEncoding, string encoding)
    {
        foreach (var item in acceptEncoding.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = item.Split(';', StringSplitOptions.TrimEntries);
            if (!parts[0].Equals(encoding, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var zero = parts.Skip(1).Any(p => p.Replace(" ", "", StringComparison.Ordinal) is "q=0" or "q=0.0" or "q=0.00" or "q=0.000");
            return !zero;
        }

        return false;
    }

    private static Task NotBuiltAsync(HttpContext context)
    {
        SetSecurityHeaders(context.Response.Headers);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(NotBuiltMessage + "\n", context.RequestAborted);
    }

    /// <summary>CSP and the usual hardening headers of every dashboard response.</summary>
    internal static void SetSecurityHeaders(IHeaderDictionary headers)
    {
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";
    }
}
