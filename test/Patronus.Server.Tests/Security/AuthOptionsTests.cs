using Patronus.Server.Hosting;

namespace Patronus.Server.Tests.Security;

public sealed class AuthOptionsTests
{
    private static IReadOnlyList<string> Load(Dictionary<string, string?> environment)
    {
        PatronusConfiguration.Load(new CommandLineOverrides(DataDir: Path.GetTempPath()), environment, out var errors);
        return errors;
    }

    [Theory]
    [InlineData("PATRONUS__AUTH__SIGNINGKEY", "c2hvcnQ=", "Auth:SigningKey: must decode to at least 32 bytes (got 5)")]
    [InlineData("PATRONUS__AUTH__SIGNINGKEY", "not base64!", "Auth:SigningKey: is not valid base64")]
    [InlineData("PATRONUS__AUTH__KEYENCRYPTIONKEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Auth:KeyEncryptionKey: must decode to exactly 32 bytes")]
    [InlineData("PATRONUS__AUTH__ACCESSTOKENLIFETIME", "-00:01:00", "Auth:AccessTokenLifetime: must be positive")]
    [InlineData("PATRONUS__AUTH__AUDITRETENTION", "00:00:00", "Auth:AuditRetention: must be positive")]
    [InlineData("PATRONUS__AUTH__LOGINBACKOFFMAX", "00:00:00.5", "Auth:LoginBackoffMax")]
    [InlineData("PATRONUS__AUTH__NOSUCHKEY", "1", "Auth:")]
    public void Load_BadAuthSetting_ErrorNamesKey(string variable, string value, string expected)
    {
        var errors = Load(new() { [variable] = value });
        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Load_GoodAuthSettings_NoErrors()
    {
        var errors = Load(new()
        {
            ["PATRONUS__AUTH__SIGNINGKEY"] = Convert.ToBase64String(new byte[48]),
            ["PATRONUS__AUTH__KEYENCRYPTIONKEY"] = Convert.ToBase64String(new byte[32]),
            ["PATRONUS__AUTH__ACCESSTOKENLIFETIME"] = "01:00:00",
        });
        Assert.Empty(errors);
    }
}
