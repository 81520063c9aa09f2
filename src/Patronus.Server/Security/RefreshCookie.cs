namespace Patronus.Server.Security;

/// <summary>
/// The browser's way to hold a refresh token: an HttpOnly cookie (script cannot read it, so an
/// injected script cannot steal the session), SameSite=Strict (no other site's page can make the
/// browser send it), Secure when the request came over https, and scoped to the auth routes (it
/// travels with login, refresh and logout only, never with API calls). The JSON mode, the refresh
/// token in the body, stays for API clients.
/// </summary>
internal static class RefreshCookie
{
    public const string Name = "patronus_refresh";

    public static string? Read(HttpRequest request) =>
        request.Cookies.TryGetValue(Name, out var value) && value.Length > 0 ? value : null;

    public static void Set(HttpContext context, string refreshToken, TimeSpan lifetime) =>
        context.Response.Cookies.Append(Name, refreshToken, Options(context, lifetime));

    /// <summary>Tells the browser to drop the cookie (same name, path and flags, expired).</summary>
    public static void Clear(HttpContext context) =>
        context.Response.Cookies.Delete(Name, Options(context, null));

    private static CookieOptions Options(HttpContext context, TimeSpan? lifetime) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = context.Request.IsHttps,
        Path = AuthEndpoints.Prefix,
        MaxAge = lifetime,
        IsEssential = true,
    };
}
