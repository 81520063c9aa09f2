using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Patronus.Server.Cli;

namespace Patronus.Server.Tests.Cli;

public class ReflectorCommandTests
{
    [Theory]
    [InlineData("0.0.0.0:862", "0.0.0.0", 862)]
    [InlineData("127.0.0.1:0", "127.0.0.1", 0)]
    [InlineData("[::]:862", "::", 862)]
    [InlineData("[::1]:10862", "::1", 10862)]
    [InlineData(" 10.0.0.1:862 ", "10.0.0.1", 862)]
    public void TryParseListen_Valid_ReturnsEndPoint(string text, string address, int port)
    {
        Assert.True(ReflectorCommand.TryParseListen(text, out var endPoint, out var error), error);
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), endPoint);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0.0.0.0")]
    [InlineData("::1")]
    [InlineData("::1:862")]
    [InlineData("[::1]")]
    [InlineData("[127.0.0.1]:862")]
    [InlineData("localhost:862")]
    [InlineData("0.0.0.0:65536")]
    [InlineData("0.0.0.0:-1")]
    [InlineData("0.0.0.0:http")]
    public void TryParseListen_Invalid_ReturnsFalseWithMessage(string text)
    {
        Assert.False(ReflectorCommand.TryParseListen(text, out _, out var error));
        Assert.StartsWith("--listen", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_BadListen_ExitCode2()
    {
        var root = new RootCommand { ReflectorCommand.Create() };

        var exit = await root.Parse(["reflector", "--listen", "not-an-endpoint"]).InvokeAsync();

        Assert.Equal(PatronusCli.BadConfig, exit);
    }

    [Fact]
    public async Task Invoke_PortInUse_ExitCode1()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var root = new RootCommand { ReflectorCommand.Create() };

        var exit = await root.Parse(["reflector", "--listen", holder.LocalEndPoint!.ToString()!]).InvokeAsync();

        Assert.Equal(PatronusCli.Failure, exit);
    }

    [Fact]
    public async Task Invoke_Cancelled_StopsWithExitCode0()
    {
        var root = new RootCommand { ReflectorCommand.Create() };
        using var cts = new CancellationTokenSource();
        var run = root.Parse(["reflector", "--listen", "127.0.0.1:0"]).InvokeAsync(cancellationToken: cts.Token);

        await cts.CancelAsync();

        Assert.Equal(PatronusCli.Ok, await run.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
