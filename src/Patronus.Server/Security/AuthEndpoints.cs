using System.Globalization;
using Microsoft.Extensions.Options;
using Patronus.Persistence.Security;
using Patronus.Server.Api;
using Patronus.Server.Export;

namespace Patronus.Server.Security;

/// <summary>
/// <c>POST /api/v1/auth/login</c> and <c>/refresh</c> (anonymous: they are how a token is obtained),
/// <c>POST /api/v1/auth/logout</c> and <c>GET /api/v1/auth/me</c> (any valid access token).
/// </summary>
internal static partial class AuthEndpoints
{
    public const string Prefix = ApiEndpoints.Prefix + "/auth";

    /// <summary><c>cookie: true</c>: the browser's mode — the refresh token goes into <see cref="RefreshCookie"/>, not the body.</summary>
    internal sealed record LoginRequest(string? Username, string? Password, bool? Cookie);

    internal sealed record RefreshRequest(string? RefreshToken);

    public static RouteGroupBuilder MapAuth(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup(Prefix);
        auth.MapPost("/login", LoginAsync).AllowAnonymous();
        auth.MapPost("/refresh", RefreshAsync).AllowAnonymous();
        auth.MapPost("/logout", LogoutAsync);
        auth.MapSetup();
        auth.MapGet("/me", (HttpContext context) => Results.Ok(new
        {
            username = context.User.Identity?.Name,
            role = context.User.FindFirst(PatronusClaims.Role)?.Value,
        }));
        return auth;
    }

    private static async Task<IResult> LoginAsync(HttpContext context, UserAccounts accounts, TokenIssuer tokens, LoginThrottle throttle,
        TokenIssueBudget budget, AuthMetrics metrics, AuditLog audit, ILoggerFactory loggers, IOptions<AuthOptions> options, CancellationToken cancellationToken)
    {
        var (body, problem) = await ApiJson.ReadAsync<LoginRequest>(context.Request, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (string.IsNullOrEmpty(body!.Username) || string.IsNullOrEmpty(body.Password))
        {
            return Problems.Invalid(string.IsNullOrEmpty(body.Username) ? "username" : "password", "is required");
        }

        var address = context.Connection.RemoteIpAddress;
        if (throttle.RetryAfter(body.Username, address) is { } wait)
        {
            metrics.Failed("rate_limited");
            await audit.RecordAsync(context, "login", body.Username, StatusCodes.Status429TooManyRequests, body.Username, "rate limited").ConfigureAwait(false);
            var seconds = SetRetryAfter(context, wait);
            return Problems.Status(StatusCodes.Status429TooManyRequests, "Too many failed logins",
                $"too many failed logins for this user from this address, or from this address; try again in {seconds} s");
        }

        var user = await accounts.VerifyAsync(body.Username, body.Password, cancellationToken).ConfigureAwait(false);
        if (user is null)
        {
            throttle.Failed(body.Username, address);
            metrics.Failed("login_failed");
            // Logged when audited in full: the first failure of a source in a minute (the rest are summed up there).
            if (await audit.RecordAsync(context, "login", body.Username, StatusCodes.Status401Unauthorized, body.Username, "wrong username or password, or disabled").ConfigureAwait(false))
            {
                LogLoginFailed(loggers.CreateLogger(typeof(AuthEndpoints)), AuditLog.Cap(body.Username, AuditLog.MaxUsernameChars)!, ClientAddress.Key(address));
            }

            return Problems.Status(StatusCodes.Status401Unauthorized, "Login failed", "the username or password is wrong, or the user is disabled");
        }

        throttle.Succeeded(body.Username, address);
        if (budget.TryTake(user.Username) is { } later)
        {
            metrics.Failed("rate_limited");
            await audit.RecordAsync(context, "login", body.Username, StatusCodes.Status429TooManyRequests, user.Username, "too many sessions issued").ConfigureAwait(false);
            return TooManySessions(context, later);
        }

        var pair = await tokens.IssueAsync(user, cancellationToken).ConfigureAwait(false);
        await audit.RecordAsync(context, "login", user.Username, StatusCodes.Status200OK, user.Username).ConfigureAwait(false);
        return body.Cookie == true ? InCookie(context, pair, options.Value) : Results.Ok(pair);
    }

    private static async Task<IResult> RefreshAsync(HttpContext context, TokenIssuer tokens, TokenIssueBudget budget, AuthMetrics metrics, AuditLog audit,
        ILoggerFactory loggers, IOptions<AuthOptions> options, CancellationToken cancellationToken)
    {
        var (body, problem) = await ApiJson.ReadAsync<RefreshRequest>(context.Request, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        // Cookie mode when the body names no token: the browser cannot read its own (HttpOnly).
        var cookie = string.IsNullOrEmpty(body!.RefreshToken);
        var presented = cookie ? RefreshCookie.Read(context.Request) : body.RefreshToken;
        if (string.IsNullOrEmpty(presented))
        {
            return Problems.Invalid("refresh_token", "is required (in the body, or the session cookie of a browser login)");
        }

        var (rotation, pair) = await tokens.RefreshAsync(presented, cancellationToken).ConfigureAwait(false);
        var wait = pair is null ? null : budget.TryTake(rotation.Username!);
        if (pair is not null && wait is null)
        {
            return cookie ? InCookie(context, pair, options.Value) : Results.Ok(pair);
        }

        if (cookie)
        {
            RefreshCookie.Clear(context); // the session it named is over: the browser should stop sending it
        }

        if (pair is not null && wait is { } later)
        {

            // Already stored: end the session it extended, so a refresh loop stops growing the table.
            await tokens.RevokeAsync(pair.RefreshToken, owner: null, cancellationToken).ConfigureAwait(false);
            metrics.Failed("rate_limited");
            await audit.RecordAsync(context, "refresh", null, StatusCodes.Status429TooManyRequests, rotation.Username, "too many sessions issued; the session was revoked").ConfigureAwait(false);
            return TooManySessions(context, later);
        }

        var (reason, detail) = rotation.Status switch
        {
            RefreshRotationStatus.Expired => ("expired_token", "the refresh token has expired; log in again"),
            RefreshRotationStatus.Revoked => ("revoked_token", "the refresh token was revoked; log in again"),
            RefreshRotationStatus.Reused => ("revoked_token", "the refresh token was already used; its session has been revoked, log in again"),
            _ => ("invalid_token", "the refresh token is not valid"),
        };
        metrics.Failed(reason);
        if (rotation.Status == RefreshRotationStatus.Reused)
        {
            if (await audit.RecordAsync(context, "refresh_reuse", rotation.Username, StatusCodes.Status401Unauthorized, rotation.Username,
                "a consumed refresh token was presented again; the session was revoked").ConfigureAwait(false))
            {
                LogRefreshReuse(loggers.CreateLogger(typeof(AuthEndpoints)), rotation.Username, ClientAddress.Key(context.Connection.RemoteIpAddress));
            }
        }

        return Problems.Status(StatusCodes.Status401Unauthorized, "Refresh refused", detail);
    }

    private static async Task<IResult> LogoutAsync(HttpContext context, TokenIssuer tokens, AuditLog audit, CancellationToken cancellationToken)
    {
        var (body, problem) = await ApiJson.ReadAsync<RefreshRequest>(context.Request, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var presented = string.IsNullOrEmpty(body!.RefreshToken) ? RefreshCookie.Read(context.Request) : body.RefreshToken;
        if (string.IsNullOrEmpty(presented))
        {
            return Problems.Invalid("refresh_token", "is required: the session to end (in the body, or the session cookie of a browser login)");
        }

        if (string.IsNullOrEmpty(body.RefreshToken))
        {
            RefreshCookie.Clear(context);
        }

        // Only the caller's own session: another user's token is answered like an unknown one.
        var revoked = await tokens.RevokeAsync(presented, context.User.Identity?.Name ?? string.Empty, cancellationToken).ConfigureAwait(false);
        var status = revoked ? StatusCodes.Status204NoContent : StatusCodes.Status404NotFound;
        await audit.RecordAsync(context, "logout", context.User.Identity?.Name, status).ConfigureAwait(false);
        return revoked ? Results.NoContent() : Problems.Status(StatusCodes.Status404NotFound, "No such session", "the refresh token is not known");
    }

    /// <summary>Cookie mode: the refresh token goes into the HttpOnly cookie; the body carries the access token only.</summary>
    private static IResult InCookie(HttpContext context, TokenPair pair, AuthOptions options)
    {
        RefreshCookie.Set(context, pair.RefreshToken, options.RefreshTokenLifetime);
        return Results.Ok(new { access_token = pair.AccessToken, expires_in = pair.ExpiresIn, token_type = pair.TokenType });
    }

    private static IResult TooManySessions(HttpContext context, TimeSpan wait)
    {
        var seconds = SetRetryAfter(context, wait);
        return Problems.Status(StatusCodes.Status429TooManyRequests, "Too many sessions",
            $"more than {TokenIssueBudget.PerMinute} logins and refreshes a minute for this user; try again in {seconds} s");
    }

    /// <summary>Sets <c>Retry-After</c> to <paramref name="wait"/> in whole seconds (rounded up) and returns them.</summary>
    private static int SetRetryAfter(HttpContext context, TimeSpan wait)
    {
        var seconds = (int)Math.Ceiling(wait.TotalSeconds);
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return seconds;
    }

    [LoggerMessage(EventId = 720, Level = LogLevel.Warning, Message = "Failed login for {User} from {Address}")]
    private static partial void LogLoginFailed(ILogger logger, string user, string address);

    [LoggerMessage(EventId = 721, Level = LogLevel.Warning, Message = "Refresh token reuse for {User} from {Address}: the session was revoked")]
    private static partial void LogRefreshReuse(ILogger logger, string? user, string? address);
}
