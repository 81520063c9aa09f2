using Microsoft.AspNetCore.Authorization;
using Patronus.Persistence.Security;

namespace Patronus.Server.Security;

/// <summary>
/// The authorization policies built on the roles (their names and parsing: <see cref="UserRoles"/>). The role itself is <see cref="UserRole"/> — the one model,
/// stored, compared and checked by REST policies and GraphQL fields alike. Each role includes the
/// ones below it: admin &gt; operator &gt; viewer. Viewer reads (GET), operator also changes
/// (POST/PUT/DELETE under /api/v1), admin also manages users and reads the audit log.
/// </summary>
public static class Roles
{
    public const string Viewer = UserRoles.Viewer;
    public const string Operator = UserRoles.Operator;
    public const string Admin = UserRoles.Admin;

    /// <summary>Policy names (one per role: "at least this role").</summary>
    public const string ViewerPolicy = "viewer";
    public const string OperatorPolicy = "operator";
    public const string AdminPolicy = "admin";

    internal static void AddPolicies(AuthorizationOptions options)
    {
        var viewer = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().RequireRole(Viewer, Operator, Admin).Build();
        options.AddPolicy(ViewerPolicy, viewer);
        options.AddPolicy(OperatorPolicy, p => p.RequireAuthenticatedUser().RequireRole(Operator, Admin));
        options.AddPolicy(AdminPolicy, p => p.RequireAuthenticatedUser().RequireRole(Admin));

        // Every endpoint without its own policy or AllowAnonymous needs a valid access token.
        options.FallbackPolicy = viewer;
    }
}
