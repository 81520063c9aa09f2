using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;

namespace Patronus.Server.Security;

/// <summary>
/// The one-time token of the first-run setup page: while no user exists, <see cref="AuthBootstrap"/>
/// issues one and logs a URL carrying it (in the fragment, so it never reaches a server log or a
/// Referer). It creates the first admin once, from a loopback address, within <see cref="Lifetime"/>.
/// A new start issues a new token; the CLI path (<c>patronus users add</c>) stays.
/// </summary>
public sealed class SetupToken : IDisposable
{
    /// <summary>How long a setup token is valid: long enough to open the page, short enough that a forgotten log line is not a standing key.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _use = new(1, 1);
    private byte[]? _hash;
    private DateTimeOffset _expires;

    public SetupToken(TimeProvider time)
    {
        _time = time;
    }

    /// <summary>Whether a token is waiting to be used (and not expired).</summary>
    public bool Pending
    {
        get
        {
            lock (_lock)
            {
                return _hash is not null && _time.GetUtcNow() < _expires;
            }
        }
    }

    /// <summary>A new random token (32 bytes, base64url); any earlier one stops working.</summary>
    public string Issue()
    {
        var token = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        lock (_lock)
        {
            _hash = SHA256.HashData(Encoding.UTF8.GetBytes(token));
            _expires = _time.GetUtcNow() + Lifetime;
        }

        return token;
    }

    /// <summary>Whether <paramref name="token"/> is the pending one (compared in constant time); does not use it up.</summary>
    public bool Matches(string token)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        lock (_lock)
        {
            return _hash is not null && _time.GetUtcNow() < _expires && CryptographicOperations.FixedTimeEquals(hash, _hash);
        }
    }

    /// <summary>
    /// Runs <paramref name="create"/> (which makes the first admin) if <paramref name="token"/> is the
    /// pending one, one caller at a time, and ends the token when it succeeds: of two pages posting
    /// the same token at once, one creates the admin and the other finds the token used.
    /// </summary>
    public async Task<(bool Matched, T Result)> UseAsync<T>(string token, Func<Task<(bool Succeeded, T Result)>> create, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(create);
        await _use.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!Matches(token))
            {
                return (false, default!);
            }

            var (succeeded, result) = await create().ConfigureAwait(false);
            if (succeeded)
            {
                Clear();
            }

            return (true, result);
        }
        finally
        {
            _use.Release();
        }
    }

    public void Dispose() => _use.Dispose();

    /// <summary>Ends the token (used, or users exist now).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _hash = null;
        }
    }
}
