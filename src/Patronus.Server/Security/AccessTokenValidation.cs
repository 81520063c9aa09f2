using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;
using Patronus.Server.Export;

namespace Patronus.Server.Security;

/// <summary>Raised for a well-signed access token whose user changed since (password, role, disabled) or is gone.</summary>
public sealed class SecurityTokenUserChangedException : SecurityTokenException
{
    public SecurityTokenUserChangedException()
        : base("the token was revoked: the user's password, role or status changed, or the user no longer exists")
    {
    }

    public SecurityTokenUserChangedException(string message)
        : base(message)
    {
    }

    public SecurityTokenUserChangedException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>
/// JwtBearer settings and events: what an access token must be (HS256 with our key, issuer,
/// audience, lifetime, <c>typ: at+jwt</c>, <c>token_use: access</c>), the per-request check of the
/// token version against the (cached) user record — how password, role and disabled changes revoke
/// access tokens at once — and the failure reasons counted in <c>patronus_auth_failures_total</c>.
/// </summary>
internal static partial class AccessTokenValidation
{
    [LoggerMessage(EventId = 740, Level = LogLevel.Error, Message = "The token signing key cannot be loaded; requests with tokens are refused until it can")]
    private static partial void LogKeyUnavailable(this ILogger logger, Exception exception);

    public static void Configure(JwtBearerOptions options, SigningKeys keys)
    {
        options.MapInboundClaims = false;
        options.RequireHttpsMetadata = false;
        options.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = TokenIssuer.Issuer,
            ValidAudience = TokenIssuer.Audience,
            ValidTypes = [TokenIssuer.AccessTokenType],
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            IssuerSigningKeyResolver = (_, _, _, _) => keys.Current is { } key ? [key] : [],
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = TimeSpan.FromSeconds(5),
            NameClaimType = PatronusClaims.Subject,
            RoleClaimType = PatronusClaims.Role,
        };
        options.Events = new JwtBearerEvents
        {
            OnMessageReceived = LoadKeyAsync,
            OnTokenValidated = ValidatedAsync,
            OnChallenge = context =>
            {
                var metrics = context.HttpContext.RequestServices.GetRequiredService<AuthMetrics>();
                metrics.Failed(Reason(context.AuthenticateFailure));
                return Task.CompletedTask;
            },
        };
    }

    /// <summary>The metric reason for a refused request.</summary>
    internal static string Reason(Exception? failure) => failure switch
    {
        null => "missing_token",
        SecurityTokenExpiredException => "expired_token",
        SecurityTokenUserChangedException => "revoked_token",
        _ => "invalid_token",
    };

    /// <summary>
    /// The key loads on first use (with PostgreSQL it comes from the store), and only for a request
    /// that carries credentials: health and metrics must answer while the store is down. A key that
    /// cannot be loaded leaves the token unverifiable, so it is refused (401), not a 500.
    /// </summary>
    private static async Task LoadKeyAsync(MessageReceivedContext context)
    {
        // A browser cannot set headers on a WebSocket: the GraphQL subscription endpoint also takes
        // the access token as ?access_token= on the upgrade request (and only there).
        if (context.Request.Headers.Authorization.Count == 0 && context.HttpContext.WebSockets.IsWebSocketRequest &&
            context.Request.Path.Equals(GraphQL.GraphQLEndpoints.Path, StringComparison.Ordinal) &&
            context.Request.Query["access_token"] is [{ Length: > 0 } queryToken])
        {
            context.Token = queryToken;
        }

        var keys = context.HttpContext.RequestServices.GetRequiredService<SigningKeys>();
        if (keys.Current is not null || (context.Request.Headers.Authorization.Count == 0 && context.Token is null))
        {
            return;
        }

        try
        {
            await keys.GetAsync(context.HttpContext.RequestAborted).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // logged; the request is refused as unauthenticated
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AccessTokenValidation).FullName!)
                .LogKeyUnavailable(ex);
        }
    }

    private static async Task ValidatedAsync(TokenValidatedContext context)
    {
        var principal = context.Principal!;
        if (principal.FindFirst(PatronusClaims.Use)?.Value != PatronusClaims.AccessUse)
        {
            context.Fail(new SecurityTokenInvalidTypeException("not an access token"));
            return;
        }

        var name = principal.FindFirst(PatronusClaims.Subject)?.Value;
        var version = principal.FindFirst(PatronusClaims.Version)?.Value;
        if (name is null || version is null)
        {
            // Malformed (invalid_token), not a token whose user changed (revoked_token).
            context.Fail(new SecurityTokenValidationException($"the access token lacks {PatronusClaims.Subject} or {PatronusClaims.Version}"));
            return;
        }

        var cache = context.HttpContext.RequestServices.GetRequiredService<UserCache>();
        if (!await cache.IsCurrentAsync(name, version, context.HttpContext.RequestAborted).ConfigureAwait(false))
        {
            context.Fail(new SecurityTokenUserChangedException());
        }
    }
}
