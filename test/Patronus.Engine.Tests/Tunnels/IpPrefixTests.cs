using Patronus.Engine.Tunnels;

namespace Patronus.Engine.Tests.Tunnels;

public class IpPrefixTests
{
    [Theory]
    [InlineData("10.1.2.3/24", "10.1.2.0/24")]
    [InlineData("10.1.2.3", "10.1.2.3/32")]
    [InlineData(" 0.0.0.0/0 ", "0.0.0.0/0")]
    [InlineData("2001:db8::ff/64", "2001:db8::/64")]
    [InlineData("2001:db8::1", "2001:db8::1/128")]
    [InlineData("10.255.255.255/9", "10.128.0.0/9")]
    public void TryParse_Valid_ClearsHostBits(string text, string expected)
    {
        Assert.True(IpPrefix.TryParse(text, out var prefix, out var error), error);
        Assert.Equal(expected, prefix.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("10.0.0.0/33")]
    [InlineData("2001:db8::/129")]
    [InlineData("10.0.0.0/-1")]
    [InlineData("10.0.0.0/")]
    [InlineData("10.0.0/8x")]
    [InlineData("fe80::1%2/64")]
    [InlineData("host.example/24")]
    public void TryParse_Invalid_ReturnsFalseWithError(string? text)
    {
        Assert.False(IpPrefix.TryParse(text, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }
}
