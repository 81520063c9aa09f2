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

        admin.MapPost("/users", CreateAsync);
        admin.MapPut("/users/{name}", UpdateAsync);

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

    /// <summary>
    /// <c>POST /api/v1/users</c>: 201 with the user's view. Under an <c>Idempotency-Key</c> that answer is
    /// made from the row as inserted and kept in the insert's transaction (<see cref="Writes.AnswerKeyedWith"/>,
    /// docs/ha.md): a node that dies after the commit leaves a key whose retry replays the 201, not a 409.
    /// </summary>
    internal static async Task<IResult> CreateAsync(HttpContext context, UserAccounts accounts, CancellationToken ct)
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

        Writes.AnswerKeyedWith<UserRecord>(context.Request, Dto, u => $"users/{u.Username}");
        var result = await accounts.AddAsync(body.Username ?? "", role, body.Password, ct).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            return Problem(result, result.Message?.Contains("password", StringComparison.Ordinal) == true ? "password" : "username");
        }

        return Writes.KeptAnswer() ??
            Results.Created($"{ApiEndpoints.Prefix}/users/{body.Username}", Dto((await accounts.ListAsync(ct).ConfigureAwait(false)).First(u => u.Username == body.Username)));
    }

    /// <summary><c>PUT /api/v1/users/{name}</c>: 200 with the user's view; under an <c>Idempotency-Key</c> kept in the update's transaction, as <see cref="CreateAsync"/>.</summary>
    internal static async Task<IResult> UpdateAsync(string name, HttpContext context, UserAccounts accounts, UserCache cache, CancellationToken ct)
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

        Writes.AnswerKeyedWith<UserRecord>(context.Request, Dto, null);
        var result = await accounts.UpdateAsync(name, role, body.Disabled, body.Password, ct).ConfigureAwait(false);
        cache.Invalidate(name);
        if (!result.Succeeded)
        {
            return Problem(result, body.Password is not null ? "password" : "role");
        }

        return Writes.KeptAnswer() ?? Results.Ok(Dto((await accounts.ListAsync(ct).ConfigureAwait(false)).First(u => u.Username == name)));
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
