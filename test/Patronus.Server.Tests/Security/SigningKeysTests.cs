using System.Security.Cryptography;
using Patronus.Server.Security;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.Security;

public sealed class SigningKeysTests
{
    [Fact]
    public void ReadOrCreateFile_FirstCall_CreatesOwnerOnlyFileThenReadsSameKey()
    {
        using var dir = new TempDir();
        var file = Path.Combine(dir.Path, "data", SigningKeys.FileName);

        var created = SigningKeys.ReadOrCreateFile(file);
        var read = SigningKeys.ReadOrCreateFile(file);

        Assert.True(created.Length >= 32);
        Assert.Equal(created, read);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
    }

    [Fact]
    public void ReadOrCreateFile_Garbage_ClearError()
    {
        using var dir = new TempDir();
        var file = Path.Combine(dir.Path, SigningKeys.FileName);
        File.WriteAllText(file, "c2hvcnQ=");
        var ex = Assert.Throws<InvalidOperationException>(() => SigningKeys.ReadOrCreateFile(file));
        Assert.Contains("at least 32 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Seal_WithKek_EncryptsAndOnlyThatKekOpens()
    {
        var key = RandomNumberGenerator.GetBytes(64);
        var kek = RandomNumberGenerator.GetBytes(32);

        var sealedText = SigningKeys.Seal(key, kek);

        Assert.StartsWith("aes256gcm:", sealedText, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(key), sealedText, StringComparison.Ordinal);
        Assert.Equal(key, SigningKeys.Unseal(sealedText, kek));
        Assert.Contains("does not decrypt", Assert.Throws<InvalidOperationException>(() => SigningKeys.Unseal(sealedText, RandomNumberGenerator.GetBytes(32))).Message, StringComparison.Ordinal);
        Assert.Contains("KeyEncryptionKey", Assert.Throws<InvalidOperationException>(() => SigningKeys.Unseal(sealedText, null)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Seal_WithoutKek_PlainRoundTrip()
    {
        var key = RandomNumberGenerator.GetBytes(64);
        Assert.Equal(key, SigningKeys.Unseal(SigningKeys.Seal(key, null), null));
    }
}
