using System.Security.Claims;
using Patronus.Persistence.Security;
using Patronus.Server.GraphQL;
using Patronus.Server.Security;

namespace Patronus.Server.Tests.GraphQL;

/// <summary>
/// The caller's role as GraphQL fields see it: the stored <see cref="UserRole"/>, read from the
/// token's role claims by name, the highest one winning (admin &gt; operator &gt; viewer).
/// </summary>
public sealed class GraphQLAuthorizationTests
{
    /// <summary>A signed-in caller with one role claim per comma-separated name.</summary>
    private static ClaimsPrincipal Caller(string roles) =>
        new(new ClaimsIdentity(roles.Split(',').Select(r => new Claim(PatronusClaims.Role, r)), "Bearer", PatronusClaims.Subject, PatronusClaims.Role));

    [Theory]
    [InlineData("viewer", UserRole.Viewer)]
    [InlineData("operator", UserRole.Operator)]
    [InlineData("admin", UserRole.Admin)]
    [InlineData("Operator", UserRole.Operator)]
    [InlineData("viewer,admin,operator", UserRole.Admin)]
    [InlineData("operator,viewer", UserRole.Operator)]
    [InlineData("root,viewer", UserRole.Viewer)]
    public void RoleOf_RoleClaims_HighestNamedRole(string claims, UserRole expected) =>
        Assert.Equal(expected, GraphQLAuthorization.RoleOf(Caller(claims)));

    [Theory]
    [InlineData("")]
    [InlineData("root")]
    [InlineData("2")] // a number is no role name (an enum parse would have made it one)
    [InlineData("1,root")]
    public void RoleOf_NoNamedRole_Null(string claims) =>
        Assert.Null(GraphQLAuthorization.RoleOf(Caller(claims)));

    [Fact]
    public void RoleOf_UnauthenticatedIdentity_Null()
    {
        var anonymous = new ClaimsPrincipal(new ClaimsIdentity([new Claim(PatronusClaims.Role, "admin")], authenticationType: null, PatronusClaims.Subject, PatronusClaims.Role));

        Assert.Null(GraphQLAuthorization.RoleOf(anonymous));
    }
}
