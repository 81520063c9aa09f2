using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Patronus.Persistence.Security;
using Patronus.Server.Tests.TestSupport;
using Xunit.Abstractions;

namespace Patronus.Server.Tests.GraphQL;

/// <summary>
/// Subscriptions over a real WebSocket (graphql-transport-ws) on a real quickstart server: events
/// are pushed as the engine decides them, not polled.
/// </summary>
[Collection(TimingCollectionDefinition.Name)]
public sealed class GraphQLSubscriptionTests(ITestOutputHelper output)
{
    /// <summary>Issue 7's bar: a failover event reaches the subscriber within 100 ms of the decision.</summary>
    private static readonly TimeSpan s_deliveryBound = TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task FailoverEvent_PushedWithin100msOfTheDecision()
    {
        await using var server = await RunningServer.StartAsync();
        await using var ws = await GraphQLWs.ConnectAsync(server, server.Client.DefaultRequestHeaders.Authorization!.Parameter!);
        await ws.SubscribeAsync("1", "subscription { failoverEvents { eventId policyId eventType fromPathId toPathId reason timestamp } }");

        // A primary whose target never answers: the policy fails over to the demo path as soon as
        // the primary's probes prove it down.
        using (var path = await server.PostJsonAsync("/api/v1/paths", """{"id":"dead","link_id":"demo-wan1","targets":["127.0.0.1:9"]}"""))
        {
            Assert.Equal(HttpStatusCode.Created, path.StatusCode);
        }

        using (var policy = await server.PostJsonAsync("/api/v1/failover/policies",
            """{"name":"to-demo","primary_path_id":"dead","backup_path_ids":["demo-wan2-loopback"],"prefixes":["10.99.0.0/16"]}"""))
        {
            Assert.Equal(HttpStatusCode.Created, policy.StatusCode);
        }

        var (message, receivedAt) = await ws.NextAsync("1", m => m.GetProperty("eventType").GetString() == "triggered", TimeSpan.FromSeconds(15));
        var decidedAt = DateTimeOffset.Parse(message.GetProperty("timestamp").GetString()!, CultureInfo.InvariantCulture);
        var delay = receivedAt - decidedAt;
        output.WriteLine($"event {message}; decided {decidedAt:HH:mm:ss.fff}, received {receivedAt:HH:mm:ss.fff}: {delay.TotalMilliseconds:0.0} ms");
        Assert.Equal("dead", message.GetProperty("fromPathId").GetString());
        Assert.Equal("demo-wan2-loopback", message.GetProperty("toPathId").GetString());
        Assert.True(delay <= s_deliveryBound, $"failover event delivered {delay.TotalMilliseconds:0.0} ms after the decision (bar {s_deliveryBound.TotalMilliseconds} ms)");

        // The policy's state as GraphQL shows it (as REST does): when traffic moved, no failback pending (the primary stays dead).
        var policies = await GraphQLApiTests.PostAsync(server.Client, "{ allFailoverPolicies { name activePathId lastSwitch failbackPendingSince heldUntil } }");
        var toDemo = policies.GetProperty("data").GetProperty("allFailoverPolicies").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "to-demo");
        Assert.Equal("demo-wan2-loopback", toDemo.GetProperty("activePathId").GetString());
        Assert.NotEqual(JsonValueKind.Null, toDemo.GetProperty("lastSwitch").ValueKind);
        Assert.Equal(JsonValueKind.Null, toDemo.GetProperty("failbackPendingSince").ValueKind);
    }

    [Fact]
    public async Task Viewer_PathHealthChanged_Pushed_CompleteStops()
    {
        await using var server = await RunningServer.StartAsync();
        var token = await server.CreateUserAndLoginAsync("watcher", UserRole.Viewer);

        // The browser way: the token in the query string of the upgrade request.
        await using var ws = await GraphQLWs.ConnectAsync(server, token, inQuery: true);
        await ws.SubscribeAsync("h", "subscription { pathHealthChanged(pathId: \"demo-wan1-loopback\") { pathId status latencyMs } }");
        var (health, _) = await ws.NextAsync("h", _ => true, TimeSpan.FromSeconds(10));
        Assert.Equal("demo-wan1-loopback", health.GetProperty("pathId").GetString());

        // A viewer cannot subscribe to … nothing is operator-only among subscriptions, but a
        // mutation over the socket is refused like over HTTP.
        await ws.SubscribeAsync("m", "mutation { deleteSite(id: \"demo\") }");
        var refused = await ws.ReadAsync(TimeSpan.FromSeconds(5), m => m.GetProperty("id").GetString() == "m");
        Assert.Contains("FORBIDDEN", refused.ToString(), StringComparison.Ordinal);

        await ws.SendAsync("""{"id":"h","type":"complete"}""");
        await ws.SendAsync("""{"type":"ping"}""");
        var pong = await ws.ReadAsync(TimeSpan.FromSeconds(5), m => m.GetProperty("type").GetString() == "pong", skip: m => m.GetProperty("type").GetString() == "next");
        Assert.Equal("pong", pong.GetProperty("type").GetString());
    }

    [Fact]
    public async Task PathHealthBatches_BothDemoPaths_ComeAsListsOfLatestHealth_BadIntervalRefused()
    {
        await using var server = await RunningServer.StartAsync();
        var token = await server.CreateUserAndLoginAsync("batches", UserRole.Viewer);
        await using var ws = await GraphQLWs.ConnectAsync(server, token, inQuery: true);
        await ws.SubscribeAsync("b", "subscription { pathHealthBatches(intervalMs: 300) { pathId status latencyMs lastChecked } }");

        // The two demo paths probe once a second: within a few lists each has come, and each list
        // has a path at most once (the interval's timing: LatestPerKeyTests, on a fake clock).
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (seen.Count < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, $"both demo paths within 15 s; seen {string.Join(", ", seen)}");
            var (list, _) = await ws.NextAsync("b", _ => true, TimeSpan.FromSeconds(10));
            Assert.Equal(JsonValueKind.Array, list.ValueKind);
            var ids = list.EnumerateArray().Select(h => h.GetProperty("pathId").GetString()!).ToList();
            Assert.NotEmpty(ids);
            Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
            Assert.All(list.EnumerateArray(), h => Assert.Contains(h.GetProperty("status").GetString(), new[] { "UP", "DEGRADED", "DOWN" }));
            seen.UnionWith(ids);
        }

        Assert.Equal(["demo-wan1-loopback", "demo-wan2-loopback"], seen.Order(StringComparer.Ordinal));

        await ws.SubscribeAsync("x", "subscription { pathHealthBatches(intervalMs: 20000) { pathId } }");
        var refused = await ws.ReadAsync(TimeSpan.FromSeconds(5), m => m.GetProperty("id").GetString() == "x");
        Assert.Contains("intervalMs: 20000 is out of range", refused.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BfdSessionChanged_AdminDownAndUp_PushedWithTheNewState()
    {
        await using var server = await RunningServer.StartAsync();
        await using var ws = await GraphQLWs.ConnectAsync(server, server.Client.DefaultRequestHeaders.Authorization!.Parameter!);
        await ws.SubscribeAsync("b", "subscription { bfdSessionChanged(pathId: \"bfd-p\") { pathId state adminDown lastChange } }");

        // A session on a loopback address of its own whose peer never answers: it stays Down until
        // an operator holds it AdminDown, then Down again when released — two state changes.
        var local = $"127.{Random.Shared.Next(100, 250)}.{Random.Shared.Next(1, 250)}.1";
        var peer = local[..^1] + "2";
        using (var link = await server.PostJsonAsync("/api/v1/links", $$"""{"id":"bfd-l","site_id":"demo","source_address":"{{local}}"}"""))
        {
            Assert.Equal(HttpStatusCode.Created, link.StatusCode);
        }

        using (var path = await server.PostJsonAsync("/api/v1/paths", $$$"""{"id":"bfd-p","link_id":"bfd-l","targets":["{{{peer}}}"],"bfd":{"peer":"{{{peer}}}"}}"""))
        {
            Assert.Equal(HttpStatusCode.Created, path.StatusCode);
        }

        // Until the BFD loop's next pass opens the session, GET answers 503 "not started yet" (the
        // wait goes on through it): a loaded box made that window long enough for a 50 ms poll to see.
        var created = Stopwatch.GetTimestamp();
        await server.WaitForJsonAsync("/api/v1/bfd/sessions/bfd-p", s => s.TryGetProperty("state", out _), TimeSpan.FromSeconds(10));
        output.WriteLine($"session shown {Stopwatch.GetElapsedTime(created).TotalMilliseconds:0} ms after the path's 201");
        using (var down = await server.PostJsonAsync("/api/v1/bfd/sessions/bfd-p/admin-down", "{}"))
        {
            Assert.True(down.IsSuccessStatusCode, await down.Content.ReadAsStringAsync());
        }

        var (held, _) = await ws.NextAsync("b", m => m.GetProperty("state").GetString() == "admin_down", TimeSpan.FromSeconds(10));
        Assert.True(held.GetProperty("adminDown").GetBoolean());
        Assert.NotEqual(JsonValueKind.Null, held.GetProperty("lastChange").ValueKind);

        using (var up = await server.PostJsonAsync("/api/v1/bfd/sessions/bfd-p/admin-up", "{}"))
        {
            Assert.True(up.IsSuccessStatusCode, await up.Content.ReadAsStringAsync());
        }

        var (released, _) = await ws.NextAsync("b", m => m.GetProperty("state").GetString() == "down", TimeSpan.FromSeconds(10));
        Assert.False(released.GetProperty("adminDown").GetBoolean());
    }

    [Fact]
    public async Task Connection_ClosesWhenItsAccessTokenExpires()
    {
        await using var server = await RunningServer.StartAsync(environment: new() { ["PATRONUS__AUTH__ACCESSTOKENLIFETIME"] = "00:00:03" });
        await using var ws = await GraphQLWs.ConnectAsync(server, server.Client.DefaultRequestHeaders.Authorization!.Parameter!);
        await ws.SubscribeAsync("f", "subscription { failoverEvents { policyId } }");
        var closed = await ws.WaitClosedAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, closed); // 1001 going away
    }

    [Fact]
    public async Task Connection_ClosesWhenItsUserIsDisabled()
    {
        await using var server = await RunningServer.StartAsync();
        var token = await server.CreateUserAndLoginAsync("leaver", UserRole.Viewer);
        await using var ws = await GraphQLWs.ConnectAsync(server, token);
        await ws.SubscribeAsync("f", "subscription { failoverEvents { policyId } }");

        using (var disable = await server.Client.PutAsync("/api/v1/users/leaver",
            new StringContent("{\"disabled\":true}", Encoding.UTF8, "application/json")))
        {
            Assert.True(disable.IsSuccessStatusCode, await disable.Content.ReadAsStringAsync());
        }

        // Within one check (5 s) and the user cache (5 s), with margin.
        var closed = await ws.WaitClosedAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, closed);
    }

    [Fact]
    public async Task Anonymous_UpgradeRefused401()
    {
        await using var server = await RunningServer.StartAsync();
        using var client = new ClientWebSocket();
        client.Options.AddSubProtocol("graphql-transport-ws");
        client.Options.CollectHttpResponseDetails = true;
        var uri = new UriBuilder(server.Client.BaseAddress!) { Scheme = "ws", Path = "/graphql" }.Uri;
        await Assert.ThrowsAsync<WebSocketException>(() => client.ConnectAsync(uri, CancellationToken.None));
        Assert.Equal(HttpStatusCode.Unauthorized, client.HttpStatusCode);
    }
}

/// <summary>A minimal graphql-transport-ws client for the tests.</summary>
internal sealed class GraphQLWs : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;

    private GraphQLWs(ClientWebSocket socket) => _socket = socket;

    public static async Task<GraphQLWs> ConnectAsync(RunningServer server, string token, bool inQuery = false)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("graphql-transport-ws");
        var uri = new UriBuilder(server.Client.BaseAddress!) { Scheme = "ws", Path = "/graphql" };
        if (inQuery)
        {
            uri.Query = "access_token=" + Uri.EscapeDataString(token);
        }
        else
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        }

        await socket.ConnectAsync(uri.Uri, CancellationToken.None);
        Assert.Equal("graphql-transport-ws", socket.SubProtocol);
        var ws = new GraphQLWs(socket);
        await ws.SendAsync("""{"type":"connection_init","payload":{}}""");
        var ack = await ws.ReadAsync(TimeSpan.FromSeconds(5), _ => true);
        Assert.Equal("connection_ack", ack.GetProperty("type").GetString());
        return ws;
    }

    public Task SubscribeAsync(string id, string query) =>
        SendAsync(JsonSerializer.Serialize(new { id, type = "subscribe", payload = new { query } }));

    public Task SendAsync(string json) => _socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>The next <c>next</c> payload of <paramref name="id"/> whose root field value matches, with its arrival time.</summary>
    public async Task<(JsonElement Value, DateTimeOffset ReceivedAt)> NextAsync(string id, Func<JsonElement, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            Assert.True(left > TimeSpan.Zero, $"no matching next for {id} within {timeout}");
            var message = await ReadAsync(left, m => true);
            var receivedAt = DateTimeOffset.UtcNow;
            if (message.GetProperty("type").GetString() != "next" || message.GetProperty("id").GetString() != id)
            {
                Assert.NotEqual("error", message.GetProperty("type").GetString());
                continue;
            }

            var data = message.GetProperty("payload").GetProperty("data");
            var value = data.EnumerateObject().First().Value;
            if (match(value))
            {
                return (value, receivedAt);
            }
        }
    }

    public async Task<JsonElement> ReadAsync(TimeSpan timeout, Func<JsonElement, bool> match, Func<JsonElement, bool>? skip = null)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult result;
            do
            {
                result = await _socket.ReceiveAsync(buffer, cts.Token);
                Assert.True(result.MessageType != WebSocketMessageType.Close, $"server closed: {_socket.CloseStatus} {_socket.CloseStatusDescription}");
                message.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage);

            var json = JsonDocument.Parse(message.ToArray()).RootElement.Clone();
            if (match(json) && skip?.Invoke(json) != true)
            {
                return json;
            }
        }
    }

    /// <summary>Reads until the server closes; returns its close status.</summary>
    public async Task<WebSocketCloseStatus?> WaitClosedAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var result = await _socket.ReceiveAsync(buffer, cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return result.CloseStatus;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                // The server may already be gone.
            }
        }

        _socket.Dispose();
    }
}
