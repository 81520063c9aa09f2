using System.Globalization;

namespace Patronus.Server.Security;

/// <summary>Authentication settings, section <c>Auth</c>. Every duration is a .NET TimeSpan (<c>"00:15:00"</c>).</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>
    /// HS256 signing key for access tokens, base64, at least 32 bytes. Default: none — a key is
    /// generated on first start and kept in the data dir (SQLite, file <c>jwt-signing.key</c>, mode
    /// 0600) or in the store's <c>sdwan_secrets</c> table (PostgreSQL, shared by every instance).
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>
    /// Key-encryption key (base64, exactly 32 bytes) that encrypts the generated signing key with
    /// AES-256-GCM before it is stored in PostgreSQL. Default: none — the key is stored unencrypted
    /// and anyone who can read the database can mint tokens (a warning says so at start).
    /// </summary>
    public string? KeyEncryptionKey { get; set; }

    /// <summary>Lifetime of an access token (JWT). Default 15 minutes.</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Lifetime of a refresh token. Default 7 days.</summary>
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Audit log entries are kept this long, then deleted (hourly, with expired refresh tokens).
    /// Default 90 days: a quarter of who-changed-what for review, and a bound on a table that every
    /// audited request grows.
    /// </summary>
    public TimeSpan AuditRetention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>
    /// How long a user record read to validate access tokens is reused. A change made through this
    /// instance applies at once; one made by another instance or the CLI within this time. Default 5 s.
    /// </summary>
    public TimeSpan UserCacheDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Failed logins for one username from one client address before that address must back off for that user. Default 5.</summary>
    public int LoginFailuresPerUser { get; set; } = 5;

    /// <summary>Failed logins from one client address before backoff starts (higher: several users may share a NAT or proxy). Default 20.</summary>
    public int LoginFailuresPerAddress { get; set; } = 20;

    /// <summary>
    /// Failed logins for one username from all addresses together before the user counts as under
    /// attack: from then on an address that has failed for the user waits the user's backoff, while
    /// an address that has not is still let through (so the real user is never locked out). Default 20.
    /// </summary>
    public int LoginUserGuessBudget { get; set; } = 20;

    /// <summary>First backoff once the free failures are used up; doubles with every further failure. Default 1 s.</summary>
    public TimeSpan LoginBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest backoff. Default 5 minutes.</summary>
    public TimeSpan LoginBackoffMax { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Failures are forgotten after this long without a new one. Default 15 minutes.</summary>
    public TimeSpan LoginFailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Decodes <see cref="SigningKey"/>; null when not set.</summary>
    internal byte[]? SigningKeyBytes() => SigningKey is { Length: > 0 } k ? Convert.FromBase64String(k) : null;

    internal byte[]? KeyEncryptionKeyBytes() => KeyEncryptionKey is { Length: > 0 } k ? Convert.FromBase64String(k) : null;

    /// <summary>Reads and checks the section; every problem names its key. Used by configuration loading (exit code 2).</summary>
    public static (AuthOptions Options, IReadOnlyList<string> Errors) Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new AuthOptions();
        var errors = new List<string>();
        try
        {
            configuration.GetSection(Section).Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException ex)
        {
            errors.Add($"{Section}: {ex.Message}");
            return (options, errors);
        }

        CheckKey(options.SigningKey, nameof(SigningKey), exact: false, errors);
        CheckKey(options.KeyEncryptionKey, nameof(KeyEncryptionKey), exact: true, errors);
        Positive(options.AccessTokenLifetime, nameof(AccessTokenLifetime));
        Positive(options.RefreshTokenLifetime, nameof(RefreshTokenLifetime));
        Positive(options.AuditRetention, nameof(AuditRetention));
        Positive(options.LoginBackoff, nameof(LoginBackoff));
        Positive(options.LoginFailureWindow, nameof(LoginFailureWindow));
        if (options.UserCacheDuration < TimeSpan.Zero)
        {
            errors.Add($"{Section}:{nameof(UserCacheDuration)}: must not be negative");
        }

        if (options.LoginBackoffMax < options.LoginBackoff)
        {
            errors.Add($"{Section}:{nameof(LoginBackoffMax)}: {options.LoginBackoffMax} is shorter than {nameof(LoginBackoff)} {options.LoginBackoff}");
        }

        if (options.LoginFailuresPerUser < 1 || options.LoginFailuresPerAddress < 1 || options.LoginUserGuessBudget < 1)
        {
            errors.Add($"{Section}: {nameof(LoginFailuresPerUser)}, {nameof(LoginFailuresPerAddress)} and {nameof(LoginUserGuessBudget)} must be at least 1");
        }

        return (options, errors);

        void Positive(TimeSpan value, string name)
        {
            if (value <= TimeSpan.Zero)
            {
                errors.Add($"{Section}:{name}: must be positive (got {value.ToString("c", CultureInfo.InvariantCulture)})");
            }
        }
    }

    private static void CheckKey(string? value, string name, bool exact, List<string> errors)
    {
        if (value is not { Length: > 0 })
        {
            return;
        }

        var bytes = new byte[value.Length];
        if (!Convert.TryFromBase64String(value, bytes, out var length))
        {
            errors.Add($"{Section}:{name}: is not valid base64");
        }
        else if (exact ? length != 32 : length < 32)
        {
            errors.Add($"{Section}:{name}: must decode to {(exact ? "exactly" : "at least")} 32 bytes (got {length}); generate one with: openssl rand -base64 {(exact ? 32 : 64)}");
        }
    }
}
