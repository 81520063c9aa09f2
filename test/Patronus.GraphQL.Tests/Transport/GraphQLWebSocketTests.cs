using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using Patronus.GraphQL.Transport;
using Xunit.Abstractions;

namespace Patronus.GraphQL.Tests.Transport;

/// <summary>End to end over a real loopback WebSocket: <see cref="ClientWebSocket"/> against <see cref="GraphQLWebSocket.RunAsync"/>.</summary>
public sealed class GraphQLWebSocketTests(ITestOutputHelper output)
{
    private const string Init = """{"type":"connection_init"}""";
    private const string Ack = """{"type":"connection_ack"}""";
    private const string SubscribeEvents = """{"id":"s","type":"subscribe","payload":{"query":"subscription { events }"}}""";
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task RunAsync_Subscription_NextInOrderThenComplete()
    {
        var schema = new TransportSchema();
        await using var server = new LoopbackWebSocketServer(schema.Executor, new GraphQLWsOptions());
        using var client = await ConnectAsync(server);
        Assert.Equal(GraphQLWebSocket.SubProtocol, client.SubProtocol);

        await SendAsync(client, Init);
        Assert.Equal(Ack, await ReceiveAsync(client));
        await SendAsync(client, SubscribeEvents);
        await schema.SourceStarted.Task.WaitAsync(s_timeout);
        foreach (var value in new[] { 1, 2, 3 })
        {
            await schema.Events.Writer.WriteAsync(value);
        }

        schema.Events.Writer.Complete();
        Assert.Equal("""{"id":"s","type":"next","payload":{"data":{"events":1}}}""", await ReceiveAsync(client));
        Assert.Equal("""{"id":"s","type":"next","payload":{"data":{"events":2}}}""", await ReceiveAsync(client));
        Assert.Equal("""{"id":"s","type":"next","payload":{"data":{"events":3}}}""", await ReceiveAsync(client));
        Assert.Equal("""{"id":"s","type":"complete"}""", await ReceiveAsync(client));

        // Ping/pong and a query share the connection afterwards.
        await SendAsync(client, """{"type":"ping"}""");
        Assert.Equal("""{"type":"pong"}""", await ReceiveAsync(client));
        await CloseAsync(client);
        Assert.Equal(1000, (await server.FirstConnectionClosed.WaitAsync(s_timeout)).Code);
    }

    [Fact]
    public async Task RunAsync_PushedEvent_ReachesClientWithinMilliseconds()
    {
        var schema = new TransportSchema();
        await using var server = new LoopbackWebSocketServer(schema.Executor, new GraphQLWsOptions());
        using var client = await ConnectAsync(server);
        await SendAsync(client, Init);
        Assert.Equal(Ack, await ReceiveAsync(client));
        await SendAsync(client, SubscribeEvents);
        await schema.SourceStarted.Task.WaitAsync(s_timeout);

        var latencies = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            await schema.Events.Writer.WriteAsync(i);
            Assert.Equal("{\"id\":\"s\",\"type\":\"next\",\"payload\":{\"data\":{\"events\":" + i.ToString(CultureInfo.InvariantCulture) + "}}}", await ReceiveAsync(client));
            latencies.Add(stopwatch.Elapsed.TotalMilliseconds);
        }

        var first = latencies[0];
        latencies.Sort();
        output.WriteLine($"push → client latency over {latencies.Count} events: first (cold) {first:F2} ms, min {latencies[0]:F2} ms, median {latencies[latencies.Count / 2]:F2} ms, max {latencies[^1]:F2} ms");

        // A correctness bound (no polling, no batching), not a performance claim.
        Assert.True(latencies[latencies.Count / 2] < 1000, $"median {latencies[latencies.Count / 2]} ms");
        Assert.True(latencies[^1] < 1000, $"max {latencies[^1]} ms");
        await CloseAsync(client);
    }

    [Fact]
    public async Task RunAsync_ClientCloses_CancelsServerSideSource()
    {
        var schema = new TransportSchema();
        await using var server = new LoopbackWebSocketServer(schema.Executor, new GraphQLWsOptions());
        using var client = await ConnectAsync(server);
        await SendAsync(client, Init);
        Assert.Equal(Ack, await ReceiveAsync(client));
        await SendAsync(client, SubscribeEvents);
        await schema.SourceStarted.Task.WaitAsync(s_timeout);

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None).WaitAsync(s_timeout);

        await schema.SourceCancelled.Task.WaitAsync(s_timeout);
        Assert.Equal(new GraphQLWsClose(1000, "Normal Closure"), await server.FirstConnectionClosed.WaitAsync(s_timeout));
        Assert.Equal(WebSocketState.Closed, client.State);
    }

    [Fact]
    public async Task RunAsync_ClientVanishes_CancelsServerSideSource()
    {
        var schema = new TransportSchema();
        await using var server = new LoopbackWebSocketServer(schema.Executor, new GraphQLWsOptions());
        var client = await ConnectAsync(server);
        await SendAsync(client, Init);
        Assert.Equal(Ack, await ReceiveAsync(client));
        await SendAsync(client, SubscribeEvents);
        await schema.SourceStarted.Task.WaitAsync(s_timeout);

        client.Abort();
        client.Dispose();

        await schema.SourceCancelled.Task.WaitAsync(s_timeout);
        Assert.Equal(GraphQLWsCloseCodes.AbnormalClosure, (await server.FirstConnectionClosed.WaitAsync(s_timeout)).Code);
    }

    [Fact]
    public async Task RunAsync_SourceIgnoresCancellation_ReturnsAfterCloseTimeoutAndReports()
    {
        var schema = new TransportSchema();
        var reported = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new GraphQLWsOptions { CloseTimeout = TimeSpan.FromMilliseconds(200), OnUnhandledException = e => reported.TrySetResult(e) };
        await using var server = new LoopbackWebSocketServer(schema.Executor, options);
        using var client = await ConnectAsync(server);
        await SendAsync(client, Init);
        Assert.Equal(Ack, await ReceiveAsync(client));
        await SendAsync(client, """{"id":"d","type":"subscribe","payload":{"query":"subscription { deaf }"}}""");
        await schema.SourceStarted.Task.WaitAsync(s_timeout);

        await CloseAsync(client);

        Assert.Equal(1000, (await server.FirstConnectionClosed.WaitAsync(s_timeout)).Code);
        Assert.IsType<TimeoutException>(await reported.Task.WaitAsync(s_timeout));
        schema.Events.Writer.Complete();
    }

    [Theory]
    [InlineData("""{"type":"bogus"}""", 4400, "Invalid message received: unknown type 'bogus'")]
    [InlineData("""{"id":"1","type":"subscribe","payload":{"query":"{ hello }"}}""", 4401, "Unauthorized")]
    public async Task RunAsync_ProtocolViolation_ClosesSocketWithCode(string message, int code, string reason)
    {
        var schema = new TransportSchema();
        await using var server = new LoopbackWebSocketServer(schema.Executor, new GraphQLWsOptions());
        using var client = await ConnectAsync(server);
        await SendAsync(client, message);

        await AssertClosedByServerAsync(client, code, reason);
        Assert.Equal(new GraphQLWsClose(code, reason), await server.FirstConnectionClosed.WaitAsync(s_timeout));
    }

    [Fact]
    public async Task RunAsync_BinaryMessage_Closes4400()
    {
        await using var server = new LoopbackWebSocketServer(new TransportSchema().Executor, new GraphQLWsOptions());
        using var client = await ConnectAsync(server);
        await client.SendAsync(Encoding.UTF8.GetBytes(Init), WebSocketMessageType.Binary, true, CancellationToken.None);

        await AssertClosedByServerAsync(client, 4400, "Invalid message received: binary messages are not supported");
    }

    [Fact]
    public async Task RunAsync_FragmentedMessage_IsReassembled()
    {
        await using var server = new LoopbackWebSocketServer(new TransportSchema().Executor, new GraphQLWsOptions());
        using var client = await ConnectAsync(server);
        var bytes = Encoding.UTF8.GetBytes("{\"type\":\"connection_init\",\"payload\":{\"pad\":\"" + new string('x', 10_000) + "\"}}");
        for (var offset = 0; offset < bytes.Length; offset += 3000)
        {
            var count = Math.Min(3000, bytes.Length - offset);
            await client.SendAsync(bytes.AsMemory(offset, count), WebSocketMessageType.Text, offset + count == bytes.Length, CancellationToken.None);
        }

        Assert.Equal(Ack, await ReceiveAsync(client));
        await CloseAsync(client);
    }

    [Fact]
    public async Task RunAsync_MessageOverLimit_Closes1009()
    {
        await using var server = new LoopbackWebSocketServer(new TransportSchema().Executor, new GraphQLWsOptions { MaxMessageBytes = 1024 });
        using var client = await ConnectAsync(server);
        var bytes = Encoding.UTF8.GetBytes("{\"type\":\"connection_init\",\"payload\":{\"pad\":\"" + new string('x', 2000) + "\"}}");
        await client.SendAsync(bytes.AsMemory(0, 600), WebSocketMessageType.Text, false, CancellationToken.None);
        await client.SendAsync(bytes.AsMemory(600), WebSocketMessageType.Text, true, CancellationToken.None);

        await AssertClosedByServerAsync(client, 1009, "Message too big: at most 1024 bytes");
    }

    [Fact]
    public async Task RunAsync_HostShutdown_Closes1001AndCancelsSources()
    {
        var schema = new TransportSchema();
        await using var server = new LoopbackWebSocketServer(schema.Executor, new GraphQLWsOptions());
        using var client = await ConnectAsync(server);
        await SendAsync(client, Init);
        Assert.Equal(Ack, await ReceiveAsync(client));
        await SendAsync(client, SubscribeEvents);
        await schema.SourceStarted.Task.WaitAsync(s_timeout);

        server.Shutdown();

        await AssertClosedByServerAsync(client, 1001, "Server shutting down");
        await schema.SourceCancelled.Task.WaitAsync(s_timeout);
    }

    private static async Task<ClientWebSocket> ConnectAsync(LoopbackWebSocketServer server)
    {
        var client = new ClientWebSocket();
        client.Options.AddSubProtocol(GraphQLWebSocket.SubProtocol);
        await client.ConnectAsync(server.Uri, CancellationToken.None).WaitAsync(s_timeout);
        return client;
    }

    private static Task SendAsync(ClientWebSocket client, string message) =>
        client.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, CancellationToken.None).WaitAsync(s_timeout);

    // One whole text message, or null when the server closed.
    private static async Task<string?> ReceiveAsync(ClientWebSocket client)
    {
        using var timeout = new CancellationTokenSource(s_timeout);
        using var message = new MemoryStream();
        var buffer = new byte[4096];
        while (true)
        {
            var result = await client.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return Encoding.UTF8.GetString(message.ToArray());
            }
        }
    }

    private static async Task AssertClosedByServerAsync(ClientWebSocket client, int code, string reason)
    {
        Assert.Null(await ReceiveAsync(client));
        Assert.Equal((WebSocketCloseStatus)code, client.CloseStatus);
        Assert.Equal(reason, client.CloseStatusDescription);

        // Complete the close handshake, as browsers do.
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).WaitAsync(s_timeout);
    }

    private static Task CloseAsync(ClientWebSocket client) =>
        client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).WaitAsync(s_timeout);
}
