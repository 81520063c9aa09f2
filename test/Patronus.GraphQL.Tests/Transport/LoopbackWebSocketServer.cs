using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Transport;

namespace Patronus.GraphQL.Tests.Transport;

/// <summary>
/// A real WebSocket server on 127.0.0.1:0: a TCP listener doing the RFC 6455 §4.2 upgrade by hand
/// (accepting only the graphql-transport-ws sub-protocol, as a host does), then
/// <see cref="GraphQLWebSocket.RunAsync"/> over the upgraded stream.
/// </summary>
internal sealed class LoopbackWebSocketServer : IAsyncDisposable
{
    private const string WebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Executor _executor;
    private readonly GraphQLWsOptions _options;
    private readonly Task _acceptLoop;
    private readonly TaskCompletionSource<GraphQLWsClose> _firstConnectionClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public LoopbackWebSocketServer(Executor executor, GraphQLWsOptions options)
    {
        _executor = executor;
        _options = options;
        _listener.Start();
        Uri = new Uri($"ws://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/graphql");
        _acceptLoop = AcceptLoopAsync();
    }

    public Uri Uri { get; }

    /// <summary>What <see cref="GraphQLWebSocket.RunAsync"/> returned for the first connection.</summary>
    public Task<GraphQLWsClose> FirstConnectionClosed => _firstConnectionClosed.Task;

    /// <summary>Host shutdown: cancels the token given to RunAsync.</summary>
    public void Shutdown() => _shutdown.Cancel();

    public async ValueTask DisposeAsync()
    {
        _shutdown.Cancel();
        _listener.Stop();
        await _acceptLoop;
        _shutdown.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_shutdown.Token);
                connections.Add(ServeAsync(client));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        await Task.WhenAll(connections);
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var request = await ReadRequestHeadAsync(stream);
            var key = Header(request, "Sec-WebSocket-Key");
            var protocols = Header(request, "Sec-WebSocket-Protocol")?.Split(',', StringSplitOptions.TrimEntries) ?? [];
            if (key is null || !protocols.Contains(GraphQLWebSocket.SubProtocol))
            {
                await stream.WriteAsync("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());
                return;
            }

            // RFC 6455 §4.2.2 defines Sec-WebSocket-Accept with SHA-1; it is not used for security here.
#pragma warning disable CA5350
            var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + WebSocketGuid)));
#pragma warning restore CA5350
            var response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + $"Sec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: {GraphQLWebSocket.SubProtocol}\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(response));
            using var socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions
            {
                IsServer = true,
                SubProtocol = GraphQLWebSocket.SubProtocol,
                KeepAliveInterval = TimeSpan.Zero,
            });
            var close = await GraphQLWebSocket.RunAsync(socket, _executor, _options, _shutdown.Token);
            _firstConnectionClosed.TrySetResult(close);
        }
    }

    // Reads byte by byte up to the blank line so no WebSocket frame byte is consumed.
    private static async Task<string> ReadRequestHeadAsync(NetworkStream stream)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 16 * 1024 && !(head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await stream.ReadAsync(one) == 0)
            {
                break;
            }

            head.Add(one[0]);
        }

        return Encoding.ASCII.GetString(head.ToArray());
    }

    private static string? Header(string head, string name) => head
        .Split("\r\n")
        .Select(line => line.Split(':', 2))
        .Where(parts => parts.Length == 2 && parts[0].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
        .Select(parts => parts[1].Trim())
        .FirstOrDefault();
}
