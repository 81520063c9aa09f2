using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.Security;

/// <summary>
/// Login throttling must slow guessing without letting anyone lock a user out (issue 13.7): the
/// attacker's address is throttled, the user's right password from another address still works.
/// Two client addresses on loopback: 127.0.0.2 (the attacker) and 127.0.0.1 (the user).
/// </summary>
public sealed class LoginLockoutTests
{
    private static readonly IPAddress s_attacker = IPAddress.Parse("127.0.0.2");

    /// <summary>An HTTP client whose connections come from <paramref name="local"/>.</summary>
    internal static HttpClient ClientFrom(RunningServer server, IPAddress local)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(local, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = server.Client.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    private static async Task<HttpStatusCode> LoginAsync(HttpClient client, string username, string password)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/auth/login", new { username, password });
        return response.StatusCode;
    }

    [Fact]
    public async Task Login_AttackerFailsForAdmin_RightPasswordFromAnotherAddressStillWorks()
    {
        await using var server = await RunningServer.StartAsync(environment: new() { ["PATRONUS__AUTH__LOGINBACKOFF"] = "00:01:00" });
        using var attacker = ClientFrom(server, s_attacker);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 12; i++)
        {
            statuses.Add(await LoginAsync(attacker, RunningServer.AdminName, "Wrong-Passw0rd-xx"));
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, statuses); // the attacker is throttled…
        Assert.Equal(HttpStatusCode.TooManyRequests, await LoginAsync(attacker, RunningServer.AdminName, RunningServer.Password)); // …even with the right password

        // …and the real admin, from its own address, is not.
        Assert.Equal(HttpStatusCode.OK, await LoginAsync(server.Anonymous, RunningServer.AdminName, RunningServer.Password));
    }
}
