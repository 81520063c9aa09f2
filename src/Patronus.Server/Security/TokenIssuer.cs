using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Patronus.Persistence.Security;

namespace Patronus.Server.Security;

/// <summary>An access token and a refresh token, as the login and refresh endpoints return them.</summary>
public sealed record TokenPair(string AccessToken, string RefreshToken, int ExpiresIn, string TokenType = "Bearer");

/// <summary>
/// Issues tokens. Access tokens are HS256 JWTs with header <c>typ: at+jwt</c> (RFC 9068) and the
/// <see cref="PatronusClaims"/>: <c>sub</c> (username), <c>jti</c>, <c>role</c>, <c>ver</c> (the user's
/// token version) and <c>token_use: access</c>;
/// both the type and the claim are checked on every request. Refresh tokens are not JWTs: 32 random
/// bytes (base64url) of which the store keeps only the SHA-256 hash; each is good for one rotation.
/// </summary>
public sealed class TokenIssuer
{
    public const string Issuer = "patronus";
    public const string Audience = "patronus-api";
    public const string AccessTokenType = "at+jwt";

    private static readonly JsonWebTokenHandler s_handler = new();

    private readonly SigningKeys _keys;
    private readonly IUserStore _store;
    private readonly AuthOptions _options;
    private readonly TimeProvider _time;

    public TokenIssuer(SigningKeys keys, IUserStore store, IOptions<AuthOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _keys = keys;
        _store = store;
        _options = options.Value;
        _time = time;
    }

    /// <summary>A new session (a new refresh token family) for a verified user.</summary>
    public async Task<TokenPair> IssueAsync(UserRecord user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        var refresh = NewRefreshToken(out var record, user.Username, NewId());
        var stored = await _store.InsertRefreshTokenAsync(record, cancellationToken).ConfigureAwait(false);
        if (!stored.Succeeded)
        {
            throw new InvalidOperationException(stored.Message);
        }

        return new(await AccessTokenAsync(user, cancellationToken).ConfigureAwait(false), refresh, ExpiresIn);
    }

    /// <summary>
    /// Rotates a refresh token: the old one is consumed and a new pair issued. Anything but
    /// <see cref="RefreshRotationStatus.Rotated"/> comes back without tokens.
    /// </summary>
    public async Task<(RefreshRotation Rotation, TokenPair? Tokens)> RefreshAsync(string refreshToken, CancellationToken cancellationToken)
    {
        var refresh = NewRefreshToken(out var record, "", "");
        var rotation = await _store.RotateRefreshTokenAsync(Hash(refreshToken), record, cancellationToken).ConfigureAwait(false);
        if (rotation.Status != RefreshRotationStatus.Rotated)
        {
            return (rotation, null);
        }

        // Read past any cache: a disabled user must not get a new token from an old session.
        var user = await _store.GetUserAsync(rotation.Username!, cancellationToken).ConfigureAwait(false);
        if (user is null or { Disabled: true })
        {
            await _store.RevokeRefreshFamilyAsync(record.TokenHash, cancellationToken: cancellationToken).ConfigureAwait(false);
            return (rotation with { Status = RefreshRotationStatus.Revoked }, null);
        }

        return (rotation, new(await AccessTokenAsync(user, cancellationToken).ConfigureAwait(false), refresh, ExpiresIn));
    }

    /// <summary>
    /// Revokes the session (family) of a refresh token — only one of <paramref name="owner"/>'s when
    /// given (logout: nobody ends another user's session); false when there is no such token.
    /// </summary>
    public Task<bool> RevokeAsync(string refreshToken, string? owner, CancellationToken cancellationToken) =>
        _store.RevokeRefreshFamilyAsync(Hash(refreshToken), owner, cancellationToken);

    private int ExpiresIn => (int)_options.AccessTokenLifetime.TotalSeconds;

    private async Task<string> AccessTokenAsync(UserRecord user, CancellationToken cancellationToken)
    {
        var key = await _keys.GetAsync(cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow().UtcDateTime;
        return s_handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            TokenType = AccessTokenType,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + _options.AccessTokenLifetime,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
            Subject = new ClaimsIdentity(
            [
                new Claim(PatronusClaims.Subject, user.Username),
                new Claim(PatronusClaims.TokenId, NewId()),
                new Claim(PatronusClaims.Role, UserRoles.Name(user.Role)),
                new Claim(PatronusClaims.Version, user.TokenVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), ClaimValueTypes.Integer64),
                new Claim(PatronusClaims.Use, PatronusClaims.AccessUse),
            ]),
        });
    }

    private string NewRefreshToken(out RefreshTokenRecord record, string username, string family)
    {
        var token = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var now = _time.GetUtcNow();
        record = new RefreshTokenRecord(Hash(token), family, username, now, now + _options.RefreshTokenLifetime);
        return token;
    }

    /// <summary>What the store keeps of a refresh token: SHA-256, hex.</summary>
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string NewId() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16));
}
