using System.Net;
using Patronus.Engine.Bfd.Transport;

namespace Patronus.Engine.Tests.Bfd.Transport;

public sealed class BfdAddressTests
{
    [Theory]
    [InlineData("0200" + "0ec8" + "0af00101" + "0000000000000000", "10.240.1.1", 3784)]                        // sockaddr_in
    [InlineData("0a00" + "0ec8" + "00000000" + "fd000240000100000000000000000001" + "00000000", "fd00:240:1::1", 3784)] // sockaddr_in6 (AF_INET6 = 10)
    public void TryRead_LinuxSockaddr(string hex, string address, int port)
    {
        Assert.True(BfdAddress.TryRead(Convert.FromHexString(hex), out var read, out var readPort));
        Assert.Equal(BfdAddress.From(IPAddress.Parse(address)), read);
        Assert.Equal(address, read.ToString());
        Assert.Equal(port, readPort);
    }

    [Theory]
    [InlineData("")]
    [InlineData("02")]
    [InlineData("0200" + "0ec8")]                     // sockaddr_in cut short
    [InlineData("0a00" + "0ec8" + "00000000" + "fd00")] // sockaddr_in6 cut short
    [InlineData("1700" + "0ec8" + "0af00101" + "0000000000000000")] // .NET's InterNetworkV6 (23) is not a Linux family
    public void TryRead_ShortOrUnknown_False(string hex)
    {
        Assert.False(BfdAddress.TryRead(Convert.FromHexString(hex), out _, out _));
    }

    [Fact]
    public void From_Ipv4AndMappedIpv4_Equal()
    {
        Assert.Equal(BfdAddress.From(IPAddress.Parse("10.0.0.1")), BfdAddress.From(IPAddress.Parse("::ffff:10.0.0.1")));
        Assert.NotEqual(BfdAddress.From(IPAddress.Parse("10.0.0.1")), BfdAddress.From(IPAddress.Parse("10.0.0.2")));
    }
}
