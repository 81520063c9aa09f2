using System.Security.Claims;
using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Types;

namespace Patronus.Server.GraphQL;

/// <summary>Roles, each including the ones below it: admin &gt; operator &gt; viewer.</summary>
public enum PatronusRole
{
    Viewer = 1,
    Operator = 2,
    Admin = 3,
}

/// <summary>
/// Per root field authorization: every root resolver of the Patronus schema is declared with the
/// role it needs (<see cref="ResolveAs(FieldBuilder, PatronusRole, Func{ResolveContext, object?})"/>),
/// checked before the resolver runs. A caller below it gets a GraphQL error with
/// <c>extensions.code = "FORBIDDEN"</c> on that field — the rest of the operation still runs, as
/// GraphQL's partial results mean it to. Anonymous callers never get this far: the endpoint
/// answers 401 before execution.
/// </summary>
public static class GraphQLAuthorization
{
    /// <summary>The highest role in the caller's role claims; null when it has none.</summary>
    public static PatronusRole? RoleOf(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        PatronusRole? best = null;
        foreach (var identity in user.Identities.Where(i => i.IsAuthenticated))
        {
            // The identity names its role claim type (the JWT handler's is "role").
            foreach (var claim in identity.FindAll(identity.RoleClaimType))
            {
                if (Enum.TryParse<PatronusRole>(claim.Value, ignoreCase: true, out var role) && Enum.IsDefined(role) && (best is null || role > best))
                {
                    best = role;
                }
            }
        }

        return best;
    }

    public static FieldBuilder ResolveAs(this FieldBuilder field, PatronusRole role, Func<ResolveContext, object?> resolver)
    {
        ArgumentNullException.ThrowIfNull(field);
        return field.Resolve(ctx =>
        {
            Demand(ctx, role);
            return resolver(ctx);
        });
    }

    public static FieldBuilder ResolveAs<T>(this FieldBuilder field, PatronusRole role, Func<ResolveContext, Task<T>> resolver)
    {
        ArgumentNullException.ThrowIfNull(field);
        return field.Resolve(ctx =>
        {
            Demand(ctx, role);
            return resolver(ctx);
        });
    }

    public static FieldBuilder SubscribeAs<T>(this FieldBuilder field, PatronusRole role, Func<ResolveContext, IAsyncEnumerable<T>> subscribe)
    {
        ArgumentNullException.ThrowIfNull(field);
        return field.Subscribe(ctx =>
        {
            Demand(ctx, role);
            return subscribe(ctx);
        });
    }

    private static void Demand(ResolveContext ctx, PatronusRole role)
    {
        var user = ctx.ContextAs<PatronusGraphQLContext>().User;
        var has = RoleOf(user);
        if (has is null || has < role)
        {
            throw new GraphQLException(
                $"{ctx.FieldDefinition.Name} needs the {role.ToString().ToLowerInvariant()} role; this caller has {has?.ToString().ToLowerInvariant() ?? "none"}",
                new Dictionary<string, object?> { ["code"] = has is null ? "UNAUTHENTICATED" : "FORBIDDEN" });
        }
    }
}
