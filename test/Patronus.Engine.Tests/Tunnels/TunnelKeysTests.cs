using System.Diagnostics;
using Patronus.Engine.Tunnels;

namespace Patronus.Engine.Tests.Tunnels;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TunnelKeysTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("patronus-tunnel-keys-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void TryPublicKey_Rfc7748AliceKey_ReturnsAlicePublicKey()
    {
        var alice = Convert.ToBase64String(Convert.FromHexString("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));

        Assert.True(TunnelKeys.TryPublicKey(alice, out var publicKey));

        Assert.Equal(Convert.ToBase64String(Convert.FromHexString("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")), publicKey);
    }

    [Fact]
    public async Task PublicKey_GeneratedKeys_MatchWgPubkey()
    {
        // wireguard-tools is the oracle: `wg pubkey` must agree on every key we generate.
        for (var i = 0; i < 5; i++)
        {
            var privateKey = TunnelKeys.GeneratePrivateKey();
            Assert.True(TunnelKeys.TryPublicKey(privateKey, out var ours));

            var theirs = await WgAsync("pubkey", privateKey + "\n");

            Assert.Equal(theirs.Trim(), ours);
        }
    }

    [Fact]
    public async Task GeneratePrivateKey_WgGenkeyOutput_IsReadAndMatchesWgPubkey()
    {
        var privateKey = (await WgAsync("genkey", "")).Trim();

        Assert.True(TunnelKeys.TryPublicKey(privateKey, out var ours));
        Assert.Equal((await WgAsync("pubkey", privateKey)).Trim(), ours);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not base64 at all, not base64 at all, not 44")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==")] // 31 octets
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // 36 octets
    public void TryDecode_NotA32OctetBase64Key_ReturnsFalse(string text)
    {
        Assert.False(TunnelKeys.TryDecode(text, new byte[32]));
    }

    [Fact]
    public void ReadOrCreatePrivateKeyFile_FirstUse_CreatesMode0600AndReadsSameKeyAfter()
    {
        var file = Path.Combine(_dir, "data", TunnelKeys.PrivateKeyFileName);

        var first = TunnelKeys.ReadOrCreatePrivateKeyFile(file, out var created);
        var second = TunnelKeys.ReadOrCreatePrivateKeyFile(file, out var createdAgain);

        Assert.True(created);
        Assert.False(createdAgain);
        Assert.Equal(first, second);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.True(TunnelKeys.TryDecode(File.ReadAllText(file), new byte[32]));
    }

    [Fact]
    public void ReadOrCreatePrivateKeyFile_GarbageFile_ThrowsNamingFileNotContent()
    {
        var file = Path.Combine(_dir, TunnelKeys.PrivateKeyFileName);
        File.WriteAllText(file, "secret-looking-garbage");

        var error = Assert.Throws<InvalidDataException>(() => TunnelKeys.ReadOrCreatePrivateKeyFile(file, out _));

        Assert.Contains(file, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-looking-garbage", error.Message, StringComparison.Ordinal);
    }

    private static async Task<string> WgAsync(string command, string input)
    {
        var info = new ProcessStartInfo("wg", command)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var output = await process.StandardOutput.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, await process.StandardError.ReadToEndAsync(timeout.Token));
        return output;
    }
}
