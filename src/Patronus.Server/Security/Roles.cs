using Microsoft.AspNetCore.Authorization;
using Patronus.Persistence.Security;

namespace Patronus.Server.Security;

/// <summary>
/// The names of the roles (as tokens, the REST API and the CLI spell them), their parsing, and the
/// authorization policies built on them. The role itself is <see cref="UserRole"/> — the one model,
/// stored, compared and checked by REST policies and GraphQL fields alike. Each role includes the
/// ones below it: admin &gt; operator &gt; viewer. Viewer reads (GET), operator also changes
/// (POST/PUT/DELETE under /api/v1), admin also manages users and reads the audit log.
/// </summary>
public static class Roles
{
    public const string Viewer = "viewer";
    public const string Operator = "operator";
    public const string Admin = "admin";

    /// <summary>Policy names (one per role: "at least this role").</summary>
    public const string ViewerPolicy = "viewer";
    public const string OperatorPolicy = "operator";
    public const string AdminPolicy = "admin";

    /// <summary>The role's name: <c>admin</c>, <c>operator</c> or <c>viewer</c>.</summary>
    public static string Name(UserRole role) => role switch
    {
        UserRole.Admin => Admin,
        UserRole.Operator => Operator,
        _ => Viewer,
    };

    /// <summary>A role from its name, in any case; false (and viewer) for anything else, numbers included.</summary>
    public static bool TryParse(string? text, out UserRole role)
    {
        switch (text?.ToLowerInvariant())
        {
            case Admin: role = UserRole.Admin; return true;
            case Operator: role = UserRole.Operator; return true;
            case Viewer: role = UserRole.Viewer; return true;
            default: role = UserRole.Viewer; return false;
        }
    }

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
