using Patronus.Persistence.Security;
using Patronus.Server.Api;

namespace Patronus.Server.Security;

/// <summary>
/// First-run setup (anonymous, like login): <c>GET /api/v1/auth/setup</c> tells the dashboard
/// whether a setup token is waiting (no user exists yet), <c>POST /api/v1/auth/setup
/// {"token","username","password"}</c> creates the first admin with the token <c>serve</c> logged —
/// only from a loopback address, once, within an hour (<see cref="SetupToken"/>).
/// </summary>
internal static class SetupEndpoints
{
    internal sealed record SetupRequest(string? Token, string? Username, string? Password);

    public static void MapSetup(this RouteGroupBuilder auth)
    {
        auth.MapGet("/setup", SetupRequiredAsync).AllowAnonymous();
        auth.MapPost("/setup", SetupAsync).AllowAnonymous();
    }

    /// <summary>
    /// Whether the setup page applies: a token is waiting and still no user exists (an admin made
    /// with the CLI meanwhile ends the token). The store is read only while a token is pending.
    /// </summary>
    private static async Task<IResult> SetupRequiredAsync(SetupToken setup, UserAccounts accounts, CancellationToken cancellationToken)
    {
        if (setup.Pending && (await accounts.ListAsync(cancellationToken).ConfigureAwait(false)).Count > 0)
        {
            setup.Clear();
        }

        return Results.Ok(new { setup_required = setup.Pending });
    }

    private static async Task<IResult> SetupAsync(HttpContext context, SetupToken setup, UserAccounts accounts, CancellationToken cancellationToken)
    {
        if (context.Connection.RemoteIpAddress is not { } address || !System.Net.IPAddress.IsLoopback(address))
        {
            return Problems.Status(StatusCodes.Status403Forbidden, "Setup is local only",
                "open the setup link on the machine that runs patronus serve (a loopback address)");
        }

        var (body, problem) = await ApiJson.ReadAsync<SetupRequest>(context.Request, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        foreach (var (field, value) in new[] { ("token", body!.Token), ("username", body.Username), ("password", body.Password) })
        {
            if (string.IsNullOrEmpty(value))
            {
                return Problems.Invalid(field, "is required");
            }
        }

        var (matched, result) = await setup.UseAsync(body.Token!, async () =>
        {
            if ((await accounts.ListAsync(cancellationToken).ConfigureAwait(false)).Count > 0)
            {
                return (true, new AccountResult(AccountStatus.Conflict, "a user exists already: setup is over, log in"));
            }

            var added = await accounts.AddAsync(body.Username!, UserRole.Admin, body.Password!, cancellationToken).ConfigureAwait(false);
            return (added.Succeeded, added);
        }, cancellationToken).ConfigureAwait(false);

        if (!matched)
        {
            return Problems.Status(StatusCodes.Status401Unauthorized, "Setup refused",
                "the setup token is wrong, used or expired (it is valid for one hour); restart patronus serve for a new link, or use: patronus users add");
        }

        return result.Status switch
        {
            AccountStatus.Ok => Results.Created($"{ApiEndpoints.Prefix}/users/{body.Username}", new { username = body.Username, role = UserRoles.Admin }),
            AccountStatus.Conflict => Problems.Status(StatusCodes.Status409Conflict, "Setup is over", result.Message ?? "a user exists already"),
            _ => Problems.Invalid(PasswordPolicy.CheckUsername(body.Username) is null ? "password" : "username", result.Message ?? "is invalid"),
        };
    }
}
