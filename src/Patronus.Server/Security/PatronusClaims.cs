using Microsoft.IdentityModel.JsonWebTokens;

namespace Patronus.Server.Security;

/// <summary>
/// The claims of a Patronus access token, by their names on the wire: the one place a claim name is
/// spelt. <see cref="TokenIssuer"/> writes them, <see cref="AccessTokenValidation"/> maps them (no
/// inbound mapping: the principal carries these names as they are), and everything that reads the
/// caller reads them through these constants.
/// </summary>
public static class PatronusClaims
{
    /// <summary><c>sub</c>: the username; the identity's name claim.</summary>
    public const string Subject = JwtRegisteredClaimNames.Sub;

    /// <summary><c>jti</c>: a random id per token.</summary>
    public const string TokenId = JwtRegisteredClaimNames.Jti;

    /// <summary><c>exp</c>: expiry, seconds since the Unix epoch.</summary>
    public const string Expires = JwtRegisteredClaimNames.Exp;

    /// <summary><c>role</c>: the user's role by name (<see cref="Patronus.Persistence.Security.UserRoles.Name"/>); the identity's role claim.</summary>
    public const string Role = "role";

    /// <summary><c>ver</c>: the user's token version when the token was issued; a token of an older version is refused.</summary>
    public const string Version = "ver";

    /// <summary><c>token_use</c>: what the token is for; an access token says <see cref="AccessUse"/>.</summary>
    public const string Use = "token_use";

    /// <summary>The <see cref="Use"/> value of an access token.</summary>
    public const string AccessUse = "access";
}
