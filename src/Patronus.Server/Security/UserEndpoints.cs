using System.Globalization;
using Patronus.Persistence.Security;
using Patronus.Server.Api;

namespace Patronus.Server.Security;

/// <summary>User management and the audit log, admin only: <c>/api/v1/users</c>, <c>/api/v1/audit</c>.</summary>
internal static class UserEndpoints
{
    /// <summary>Largest page of audit entries.</summary>
    public const int MaxAuditLimit = 1000;

    internal sealed record NewUser(string? Username, string? Role, string? Password);

    internal sealed record UserUpdate(string? Role, bool? Disabled, string? Password);

    public static RouteGroupBuilder MapUsers(this RouteGroupBuilder api)
    {
        var admin = api.MapGroup("").RequireAuthorization(Roles.AdminPolicy);
        admin.MapGet("/users", async (UserAccounts accounts, CancellationToken ct) =>
            Results.Ok(new { users = (await accounts.ListAsync(ct).ConfigureAwait(false)).Select(Dto) }));

        admin.MapPost("/users", async (HttpContext context, UserAccounts accounts, CancellationToken ct) =>
        {
            var (body, problem) = await ApiJson.ReadAsync<NewUser>(context.Request, ct).ConfigureAwait(false);
            if (problem is not null)
            {
                return problem;
            }

            if (!UserRoles.TryParse(body!.Role, out var role))
            {
                return Problems.Invalid("role", "must be admin, operator or viewer");
            }

            if (body.Password is null)
            {
                return Problems.Invalid("password", "is required");
            }

            var result = await accounts.AddAsync(body.Username ?? "", role, body.Password, ct).ConfigureAwait(false);
            return result.Succeeded
                ? Results.Created($"{ApiEndpoints.Prefix}/users/{body.Username}", Dto((await accounts.ListAsync(ct).ConfigureAwait(false)).First(u => u.Username == body.Username)))
                : Problem(result, result.Message?.Contains("password", StringComparison.Ordinal) == true ? "password" : "username");
        });

        admin.MapPut("/users/{name}", async (string name, HttpContext context, UserAccounts accounts, UserCache cache, CancellationToken ct) =>
        {
            var (body, problem) = await ApiJson.ReadAsync<UserUpdate>(context.Request, ct).ConfigureAwait(false);
            if (problem is not null)
            {
                return problem;
            }

            UserRole? role = null;
            if (body!.Role is not null)
            {
                if (!UserRoles.TryParse(body.Role, out var parsed))
                {
                    return Problems.Invalid("role", "must be admin, operator or viewer");
                }

                role = parsed;
            }

            var result = await accounts.UpdateAsync(name, role, body.Disabled, body.Password, ct).ConfigureAwait(false);
            cache.Invalidate(name);
            return result.Succeeded
                ? Results.Ok(Dto((await accounts.ListAsync(ct).ConfigureAwait(false)).First(u => u.Username == name)))
                : Problem(result, body.Password is not null ? "password" : "role");
        });

        admin.MapGet("/audit", async (string? since, int? limit, IAuditStore store, TimeProvider time, CancellationToken ct) =>
        {
            var from = DateTimeOffset.MinValue;
            if (since is not null && !DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out from))
            {
                return Problems.Invalid("since", "must be an ISO 8601 timestamp such as 2026-03-01T12:00:00Z");
            }

            if (limit is < 1 or > MaxAuditLimit)
            {
                return Problems.Invalid("limit", $"must be between 1 and {MaxAuditLimit}");
            }

            var entries = await store.GetAuditAsync(since is null ? DateTimeOffset.UnixEpoch : from, limit ?? 100, ct).ConfigureAwait(false);
            return Results.Ok(new
            {
                entries = entries.Select(e => new
                {
                    id = e.AuditId,
                    timestamp = e.Timestamp,
                    username = e.Username,
                    action = e.Action,
                    target = e.Target,
                    client_address = e.ClientAddress,
                    result = e.Result,
                    status_code = e.StatusCode,
                    detail = e.Detail,
                }),
            });
        });
        return api;
    }

    private static object Dto(UserRecord u) => new
    {
        username = u.Username,
        role = UserRoles.Name(u.Role),
        disabled = u.Disabled,
        created_at = u.CreatedAt,
        updated_at = u.UpdatedAt,
    };

    private static IResult Problem(AccountResult result, string field) => result.Status switch
    {
        AccountStatus.NotFound => Problems.Status(StatusCodes.Status404NotFound, "Not found", result.Message ?? "no such user"),
        AccountStatus.Conflict => Problems.Status(StatusCodes.Status409Conflict, "Conflict", result.Message ?? "conflict"),
        _ => Problems.Invalid(field, result.Message ?? "invalid"),
    };
}
