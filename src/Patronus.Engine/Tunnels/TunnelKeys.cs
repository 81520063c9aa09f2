using System.Security.Cryptography;
using System.Text;
using Patronus.Engine.Tunnels.Noise;

namespace Patronus.Engine.Tunnels;

/// <summary>
/// Tunnel keys in WireGuard's text form: 32 octets as base64 (44 characters), the form
/// `wg genkey` and `wg pubkey` print and `wg set` reads, so keys move between Patronus and any
/// WireGuard peer unchanged. Private keys are clamped on generation as `wg genkey` does.
/// </summary>
public static class TunnelKeys
{
    /// <summary>File name of this node's private key in the data directory.</summary>
    public const string PrivateKeyFileName = "tunnel.key";

    /// <summary>Octets of every key.</summary>
    public const int KeySize = Curve25519.KeySize;

    /// <summary>A new random private key as base64.</summary>
    public static string GeneratePrivateKey()
    {
        Span<byte> key = stackalloc byte[KeySize];
        Curve25519.GeneratePrivateKey(key);
        var text = Convert.ToBase64String(key);
        CryptographicOperations.ZeroMemory(key);
        return text;
    }

    /// <summary>
    /// Decodes a base64 key of exactly 32 octets (surrounding white space ignored); false on any
    /// other input. Never echoes the input in an error: it may be a secret.
    /// </summary>
    public static bool TryDecode(string? text, Span<byte> key)
    {
        text = text?.Trim();
        if (key.Length != KeySize || string.IsNullOrEmpty(text) || text.Length != 44)
        {
            return false;
        }

        Span<byte> buffer = stackalloc byte[33];
        var ok = Convert.TryFromBase64String(text, buffer, out var written) && written == KeySize;
        if (ok)
        {
            buffer[..KeySize].CopyTo(key);
        }

        buffer.Clear();
        return ok;
    }

    /// <summary>The base64 public key of a base64 private key; false when <paramref name="privateKey"/> is not a key.</summary>
    public static bool TryPublicKey(string? privateKey, out string publicKey)
    {
        publicKey = "";
        Span<byte> secret = stackalloc byte[KeySize];
        if (!TryDecode(privateKey, secret))
        {
            return false;
        }

        publicKey = PublicKeyOf(secret);
        CryptographicOperations.ZeroMemory(secret);
        return true;
    }

    /// <summary>The base64 public key of <paramref name="privateKey"/> (32 octets).</summary>
    public static string PublicKeyOf(ReadOnlySpan<byte> privateKey)
    {
        Span<byte> publicKey = stackalloc byte[KeySize];
        Curve25519.PublicKey(privateKey, publicKey);
        return Convert.ToBase64String(publicKey);
    }

    /// <summary>
    /// This node's private key from <paramref name="file"/>, created (exclusively, mode 0600) with
    /// a new key when it does not exist; <paramref name="created"/> says which. Throws
    /// <see cref="InvalidDataException"/> when the file holds no key (the message names the file,
    /// never its content).
    /// </summary>
    public static byte[] ReadOrCreatePrivateKeyFile(string file, out bool created)
    {
        ArgumentException.ThrowIfNullOrEmpty(file);
        created = false;
        if (!File.Exists(file))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
            var text = GeneratePrivateKey();
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                using (var stream = new FileStream(file, options))
                {
                    stream.Write(Encoding.ASCII.GetBytes(text + "\n"));
                }

                if (!OperatingSystem.IsWindows())
                {
                    // The umask cannot widen the create mode, but an existing directory ACL could: be explicit.
                    File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }

                created = true;
            }
            catch (IOException) when (File.Exists(file))
            {
                // Another process created it first: use theirs.
            }
        }

        var key = new byte[KeySize];
        if (!TryDecode(File.ReadAllText(file), key))
        {
            throw new InvalidDataException($"{file} does not hold a base64 WireGuard private key (44 characters); replace it with the output of 'patronus tunnel genkey'");
        }

        return key;
    }
}
