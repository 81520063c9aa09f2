using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Patronus.Persistence;
using Patronus.Persistence.Security;
using Patronus.Server.Hosting;

namespace Patronus.Server.Security;

/// <summary>
/// The HS256 key that signs and checks access tokens. In order: <c>Auth:SigningKey</c> from the
/// configuration; with SQLite a key generated on first start in <c>DATA_DIR/jwt-signing.key</c>
/// (mode 0600, created exclusively); with PostgreSQL a key generated once for every instance in the
/// <c>sdwan_secrets</c> table (insert-if-absent, so instances starting together agree), encrypted
/// with AES-256-GCM under <c>Auth:KeyEncryptionKey</c> when one is configured. The key is never
/// logged. Loaded once, on first use; a failure (store unreachable) is retried on the next use.
/// </summary>
public sealed partial class SigningKeys : IDisposable
{
    public const string FileName = "jwt-signing.key";
    public const string SecretName = "jwt_signing_key";

    private const string PlainPrefix = "plain:";
    private const string SealedPrefix = "aes256gcm:";
    private const int KeyBytes = 64;
    private static readonly byte[] s_associatedData = Encoding.ASCII.GetBytes("patronus " + SecretName);

    private readonly AuthOptions _options;
    private readonly PatronusConfiguration _config;
    private readonly ISecretStore _store;
    private readonly ILogger<SigningKeys> _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile SymmetricSecurityKey? _key;

    public SigningKeys(IOptions<AuthOptions> options, PatronusConfiguration config, ISecretStore store, ILogger<SigningKeys> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _config = config;
        _store = store;
        _logger = logger;
    }

    /// <summary>The key once loaded; null before.</summary>
    public SymmetricSecurityKey? Current => _key;

    public async ValueTask<SymmetricSecurityKey> GetAsync(CancellationToken cancellationToken)
    {
        if (_key is { } key)
        {
            return key;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return _key ??= new SymmetricSecurityKey(await LoadAsync(cancellationToken).ConfigureAwait(false)) { KeyId = "patronus" };
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private async Task<byte[]> LoadAsync(CancellationToken cancellationToken)
    {
        if (_options.SigningKeyBytes() is { } configured)
        {
            LogKeySource(_logger, "configuration (Auth:SigningKey)");
            return configured;
        }

        if (_config.Store.Provider == StoreProvider.Postgres)
        {
            var kek = _options.KeyEncryptionKeyBytes();
            var stored = await _store.GetOrAddSecretAsync(SecretName, Seal(RandomNumberGenerator.GetBytes(KeyBytes), kek), cancellationToken).ConfigureAwait(false);
            var key = Unseal(stored, kek);
            if (stored.StartsWith(PlainPrefix, StringComparison.Ordinal))
            {
                LogUnencryptedKey(_logger);
            }

            LogKeySource(_logger, "the store (sdwan_secrets, shared by every instance)");
            return key;
        }

        var file = Path.Combine(_config.DataDir, FileName);
        LogKeySource(_logger, file);
        return ReadOrCreateFile(file);
    }

    /// <summary>Reads the key file, or creates it (exclusively, 0600) with a fresh random key.</summary>
    internal static byte[] ReadOrCreateFile(string file)
    {
        if (!File.Exists(file))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            var key = RandomNumberGenerator.GetBytes(KeyBytes);
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                using (var stream = new FileStream(file, options))
                using (var writer = new StreamWriter(stream, Encoding.ASCII))
                {
                    writer.Write(Convert.ToBase64String(key));
                }

                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite); // umask cannot widen it, but be explicit
                }

                return key;
            }
            catch (IOException) when (File.Exists(file))
            {
                // Another process created it first: use theirs.
            }
        }

        var text = File.ReadAllText(file).Trim();
        var bytes = new byte[text.Length];
        if (!Convert.TryFromBase64String(text, bytes, out var length) || length < 32)
        {
            throw new InvalidOperationException($"{file} does not hold a base64 key of at least 32 bytes; delete it to generate a new one (every token becomes invalid)");
        }

        return bytes[..length];
    }

    internal static string Seal(byte[] key, byte[]? kek)
    {
        if (kek is null)
        {
            return PlainPrefix + Convert.ToBase64String(key);
        }

        var sealedBytes = new byte[AesGcm.NonceByteSizes.MaxSize + key.Length + AesGcm.TagByteSizes.MaxSize];
        var nonce = sealedBytes.AsSpan(0, AesGcm.NonceByteSizes.MaxSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(kek, AesGcm.TagByteSizes.MaxSize);
        aes.Encrypt(nonce, key, sealedBytes.AsSpan(nonce.Length, key.Length), sealedBytes.AsSpan(nonce.Length + key.Length), s_associatedData);
        return SealedPrefix + Convert.ToBase64String(sealedBytes);
    }

    internal static byte[] Unseal(string stored, byte[]? kek)
    {
        if (stored.StartsWith(PlainPrefix, StringComparison.Ordinal))
        {
            return Convert.FromBase64String(stored[PlainPrefix.Length..]);
        }

        if (!stored.StartsWith(SealedPrefix, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"the stored signing key ({SecretName}) has an unknown format");
        }

        if (kek is null)
        {
            throw new InvalidOperationException($"the signing key in the store is encrypted: set {AuthOptions.Section}:KeyEncryptionKey to the key the other instances use");
        }

        var sealedBytes = Convert.FromBase64String(stored[SealedPrefix.Length..]);
        var nonceLength = AesGcm.NonceByteSizes.MaxSize;
        var tagLength = AesGcm.TagByteSizes.MaxSize;
        var key = new byte[sealedBytes.Length - nonceLength - tagLength];
        using var aes = new AesGcm(kek, tagLength);
        try
        {
            aes.Decrypt(sealedBytes.AsSpan(0, nonceLength), sealedBytes.AsSpan(nonceLength, key.Length), sealedBytes.AsSpan(nonceLength + key.Length), key, s_associatedData);
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new InvalidOperationException($"{AuthOptions.Section}:KeyEncryptionKey does not decrypt the signing key in the store (a different key-encryption key?)", ex);
        }

        return key;
    }

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "Access token signing key from {Source}")]
    private static partial void LogKeySource(ILogger logger, string source);

    [LoggerMessage(EventId = 701, Level = LogLevel.Warning, Message = "The token signing key is stored unencrypted in PostgreSQL: anyone who can read the database can mint access tokens. Set Auth:KeyEncryptionKey (base64, 32 bytes) before the first start to encrypt it, or Auth:SigningKey to keep it out of the database")]
    private static partial void LogUnencryptedKey(ILogger logger);
}
