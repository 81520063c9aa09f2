using System.Net;
using System.Net.Sockets;
using Patronus.Engine.Net;

namespace Patronus.Engine.Tests.Net;

public sealed class NativeSocketAddressTests
{
    [Theory]
    [InlineData("192.0.2.7", 862, "192.0.2.7:862")]
    [InlineData("2001:db8::7", 50000, "[2001:db8::7]:50000")]
    public void Describe_KernelSockaddr_AddressAndPort(string address, int port, string expected)
    {
        var endPoint = new IPEndPoint(IPAddress.Parse(address), port);
        var sockaddr = endPoint.Serialize();

        Assert.Equal(expected, NativeSocketAddress.Describe(sockaddr.Buffer.Span[..sockaddr.Size], endPoint.AddressFamily));
    }

    [Fact]
    public void Describe_TooShortForItsFamily_QuestionMarkNoThrow()
    {
        Assert.Equal("?", NativeSocketAddress.Describe(new byte[3], AddressFamily.InterNetworkV6));
    }
}
