using System.Security.Claims;
using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Types;
using Patronus.Persistence.Security;
using Patronus.Server.Security;

namespace Patronus.Server.GraphQL;

/// <summary>
/// Per root field authorization: every root resolver of the Patronus schema is declared with the
/// role it needs (<see cref="ResolveAs(FieldBuilder, UserRole, Func{ResolveContext, object?})"/>),
/// checked before the resolver runs; roles order as <see cref="UserRole"/> does (admin &gt; operator &gt; viewer). A caller below it gets a GraphQL error with
/// <c>extensions.code = "FORBIDDEN"</c> on that field — the rest of the operation still runs, as
/// GraphQL's partial results mean it to. Anonymous callers never get this far: the endpoint
/// answers 401 before execution.
/// </summary>
public static class GraphQLAuthorization
{
    /// <summary>The highest role in the caller's role claims; null when it has none.</summary>
    public static UserRole? RoleOf(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        UserRole? best = null;
        foreach (var identity in user.Identities.Where(i => i.IsAuthenticated))
        {
            // The identity names its role claim type (ours: PatronusClaims.Role).
            foreach (var claim in identity.FindAll(identity.RoleClaimType))
            {
                if (UserRoles.TryParse(claim.Value, out var role) && (best is null || role > best))
                {
                    best = role;
                }
            }
        }

        return best;
    }

    public static FieldBuilder ResolveAs(this FieldBuilder field, UserRole role, Func<ResolveContext, object?> resolver)
    {
        ArgumentNullException.ThrowIfNull(field);
        return field.Resolve(ctx =>
        {
            Demand(ctx, role);
            return resolver(ctx);
        });
    }

    public static FieldBuilder ResolveAs<T>(this FieldBuilder field, UserRole role, Func<ResolveContext, Task<T>> resolver)
    {
        ArgumentNullException.ThrowIfNull(field);
        return field.Resolve(ctx =>
        {
            Demand(ctx, role);
            return resolver(ctx);
        });
    }

    /// <summary>
    /// A mutation: authorized like <see cref="ResolveAs{T}(FieldBuilder, UserRole, Func{ResolveContext, Task{T}})"/>, and every
    /// attempt — done, refused or failed — goes to the audit log, as REST writes do
    /// (action <c>graphql NAME</c>, the arguments as detail).
    /// </summary>
    public static FieldBuilder MutateAs<T>(this FieldBuilder field, UserRole role, Func<ResolveContext, Task<T>> resolver)
    {
        ArgumentNullException.ThrowIfNull(field);
        return field.Resolve(async ctx =>
        {
            var status = StatusCodes.Status200OK;
            string? detail = null;
            try
            {
                Demand(ctx, role);
                return await resolver(ctx).ConfigureAwait(false);
            }
            catch (GraphQLException ex)
            {
                status = ex.Extensions?.GetValueOrDefault("code") switch
                {
                    "FORBIDDEN" => StatusCodes.Status403Forbidden,
                    "UNAUTHENTICATED" => StatusCodes.Status401Unauthorized,
                    "NOT_FOUND" => StatusCodes.Status404NotFound,
                    "CONFLICT" => StatusCodes.Status409Conflict,
                    "BAD_USER_INPUT" => StatusCodes.Status400BadRequest,
                    _ => StatusCodes.Status500InternalServerError,
                };
                detail = ex.Message;
                throw;
            }
            catch
            {
                status = StatusCodes.Status500InternalServerError;
                throw;
            }
            finally
            {
                var context = ctx.ContextAs<PatronusGraphQLContext>();
                if (context.Http is { } http)
                {
                    var arguments = System.Text.Json.JsonSerializer.Serialize(ctx.Arguments.Where(a => a.Key != "password").ToDictionary());
                    await http.RequestServices.GetRequiredService<AuditLog>()
                        .RecordAsync(http, $"graphql {ctx.FieldDefinition.Name}", arguments, status, detail: detail).ConfigureAwait(false);
                }
            }
        });
    }

    public static FieldBuilder SubscribeAs<T>(this FieldBuilder field, UserRole role, Func<ResolveContext, IAsyncEnumerable<T>> subscribe)
    {
        ArgumentNullException.ThrowIfNull(field);
        return field.Subscribe(ctx =>
        {
            Demand(ctx, role);
            return subscribe(ctx);
        });
    }

    private static void Demand(ResolveContext ctx, UserRole role)
    {
        var user = ctx.ContextAs<PatronusGraphQLContext>().User;
        var has = RoleOf(user);
        if (has is null || has < role)
        {
            throw new GraphQLException(
                $"{ctx.FieldDefinition.Name} needs the {UserRoles.Name(role)} role; this caller has {(has is { } h ? UserRoles.Name(h) : "none")}",
                new Dictionary<string, object?> { ["code"] = has is null ? "UNAUTHENTICATED" : "FORBIDDEN" });
        }
    }
}
