using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Patronus.GraphQL.Transport;

namespace Patronus.GraphQL.Tests.Transport;

public sealed class GraphQLWsSessionTests
{
    private const string Init = """{"type":"connection_init"}""";
    private const string Ack = """{"type":"connection_ack"}""";
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    public static TheoryData<string[], int, string> CloseCases => new()
    {
        { ["not json"], 4400, "Invalid message received: not JSON" },
        { ["""{"type":"\ud800"}"""], 4400, "Invalid message received: invalid string" },
        { ["""{"type":"connection_init","payload":{"a":"\udc00"}}"""], 4400, "Invalid message received: invalid string" },
        { ["[]"], 4400, "Invalid message received: 'type' must be a string" },
        { ["{}"], 4400, "Invalid message received: 'type' must be a string" },
        { ["""{"type":1}"""], 4400, "Invalid message received: 'type' must be a string" },
        { ["""{"type":"bogus"}"""], 4400, "Invalid message received: unknown type 'bogus'" },
        { ["""{"type":"connection_ack"}"""], 4400, "Invalid message received: 'connection_ack' is sent by servers only" },
        { [Init, """{"id":"1","type":"next","payload":{}}"""], 4400, "Invalid message received: 'next' is sent by servers only" },
        { [Init, """{"id":"1","type":"error","payload":[]}"""], 4400, "Invalid message received: 'error' is sent by servers only" },
        { ["""{"type":"connection_init","payload":"token"}"""], 4400, "Invalid message received: 'payload' must be an object or null" },
        { ["""{"type":"ping","payload":[1]}"""], 4400, "Invalid message received: 'payload' must be an object or null" },
        { ["""{"type":"pong","payload":2}"""], 4400, "Invalid message received: 'payload' must be an object or null" },
        { [Init, """{"type":"subscribe","payload":{"query":"{ hello }"}}"""], 4400, "Invalid message received: 'id' must be a non-empty string" },
        { [Init, """{"id":"","type":"subscribe","payload":{"query":"{ hello }"}}"""], 4400, "Invalid message received: 'id' must be a non-empty string" },
        { [Init, """{"id":7,"type":"subscribe","payload":{"query":"{ hello }"}}"""], 4400, "Invalid message received: 'id' must be a non-empty string" },
        { [Init, """{"id":"1","type":"subscribe"}"""], 4400, "Invalid message received: subscribe 'payload' must be an object" },
        { [Init, """{"id":"1","type":"subscribe","payload":{"query":1}}"""], 4400, "Invalid message received: Must provide query string." },
        { [Init, """{"id":"1","type":"subscribe","payload":{"query":"{ hello }","variables":[]}}"""], 4400, "Invalid message received: \"variables\" must be an object." },
        { [Init, """{"id":"1","type":"subscribe","payload":{"query":"{ hello }","operationName":1}}"""], 4400, "Invalid message received: \"operationName\" must be a string." },
        { [Init, """{"id":"1","type":"subscribe","payload":{"query":"{ hello }","extensions":"x"}}"""], 4400, "Invalid message received: 'extensions' must be an object or null" },
        { [Init, """{"type":"complete"}"""], 4400, "Invalid message received: 'id' must be a non-empty string" },
        { ["""{"id":"1","type":"subscribe","payload":{"query":"{ hello }"}}"""], 4401, "Unauthorized" },
        { [Init, Init], 4429, "Too many initialisation requests" },
        {
            [Init, """{"id":"s","type":"subscribe","payload":{"query":"subscription { events }"}}""", """{"id":"s","type":"subscribe","payload":{"query":"{ hello }"}}"""],
            4409,
            "Subscriber for s already exists"
        },
    };

    [Theory]
    [MemberData(nameof(CloseCases))]
    public async Task ReceiveAsync_ProtocolViolation_ClosesWithCode(string[] messages, int code, string reason)
    {
        var schema = new TransportSchema();
        await using var session = new GraphQLWsSession(schema.Executor);
        foreach (var message in messages)
        {
            await session.ReceiveAsync(message);
        }

        var close = await session.Closed.WaitAsync(s_timeout);
        Assert.Equal(code, close.Code);
        Assert.Equal(reason, close.Reason);

        // Outgoing completes after the close; nothing but an ack may precede it here.
        var sent = await DrainAsync(session);
        Assert.All(sent, m => Assert.Equal(Ack, m));
    }

    [Fact]
    public async Task ReceiveAsync_PingBeforeInit_AnswersPong()
    {
        await using var session = new GraphQLWsSession(new TransportSchema().Executor);
        await session.ReceiveAsync("""{"type":"ping"}""");
        await session.ReceiveAsync("""{"type":"ping","payload":{"t":1}}""");
        await session.ReceiveAsync("""{"type":"ping","payload":null}""");

        Assert.Equal("""{"type":"pong"}""", await ReadAsync(session));
        Assert.Equal("""{"type":"pong","payload":{"t":1}}""", await ReadAsync(session));
        Assert.Equal("""{"type":"pong"}""", await ReadAsync(session));
        Assert.False(session.IsClosed);
    }

    [Fact]
    public async Task ReceiveAsync_Pong_IsNotAnswered()
    {
        await using var session = new GraphQLWsSession(new TransportSchema().Executor);
        await session.ReceiveAsync("""{"type":"pong","payload":{"t":1}}""");
        await session.ReceiveAsync("""{"type":"ping"}""");

        // The only reply is the ping's pong.
        Assert.Equal("""{"type":"pong"}""", await ReadAsync(session));
        Assert.False(session.Outgoing.TryRead(out _));
        Assert.False(session.IsClosed);
    }

    [Fact]
    public async Task ConnectionInit_Authenticated_AcksWithPayloadAndUsesUserContext()
    {
        IReadOnlyDictionary<string, object?>? seen = null;
        var options = new GraphQLWsOptions
        {
            Authenticate = (payload, _) =>
            {
                seen = payload;
                return ValueTask.FromResult(GraphQLWsAuthResult.Accept("alice", new Dictionary<string, object?> { ["server"] = "patronus" }));
            },
        };
        await using var session = new GraphQLWsSession(new TransportSchema().Executor, options);
        await session.ReceiveAsync("""{"type":"connection_init","payload":{"token":"t0k","n":2}}""");

        Assert.Equal("""{"type":"connection_ack","payload":{"server":"patronus"}}""", await ReadAsync(session));
        Assert.Equal("t0k", seen!["token"]);

        // Numerically 2 (ResultJson.ToValue currently boxes every JSON number as double).
        Assert.Equal(2d, Convert.ToDouble(seen["n"], CultureInfo.InvariantCulture));

        await session.ReceiveAsync("""{"id":"q","type":"subscribe","payload":{"query":"{ whoami }"}}""");
        Assert.Equal("""{"id":"q","type":"next","payload":{"data":{"whoami":"alice"}}}""", await ReadAsync(session));
        Assert.Equal("""{"id":"q","type":"complete"}""", await ReadAsync(session));
    }

    [Fact]
    public async Task ConnectionInit_Rejected_Closes4403()
    {
        var options = new GraphQLWsOptions { Authenticate = (_, _) => ValueTask.FromResult(GraphQLWsAuthResult.Reject()) };
        await using var session = new GraphQLWsSession(new TransportSchema().Executor, options);
        await session.ReceiveAsync(Init);

        Assert.Equal(new GraphQLWsClose(4403, "Forbidden"), await session.Closed.WaitAsync(s_timeout));
        Assert.Empty(await DrainAsync(session));
    }

    [Fact]
    public async Task ConnectionInit_AuthenticateThrows_Closes4500AndReports()
    {
        Exception? reported = null;
        var options = new GraphQLWsOptions
        {
            Authenticate = (_, _) => throw new InvalidOperationException("db down"),
            OnUnhandledException = e => reported = e,
        };
        await using var session = new GraphQLWsSession(new TransportSchema().Executor, options);
        await session.ReceiveAsync(Init);

        Assert.Equal(new GraphQLWsClose(4500, "Internal server error"), await session.Closed.WaitAsync(s_timeout));
        Assert.Equal("db down", reported?.Message);
    }

    [Fact]
    public async Task Subscribe_WhileAuthenticatePending_Closes4401AndCancelsAuthenticate()
    {
        var authCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new GraphQLWsOptions
        {
            Authenticate = async (_, ct) =>
            {
                ct.Register(() => authCancelled.TrySetResult());
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
                return GraphQLWsAuthResult.Accept();
            },
        };
        await using var session = new GraphQLWsSession(new TransportSchema().Executor, options);
        await session.ReceiveAsync(Init);
        await session.ReceiveAsync("""{"id":"1","type":"subscribe","payload":{"query":"{ hello }"}}""");

        Assert.Equal(new GraphQLWsClose(4401, "Unauthorized"), await session.Closed.WaitAsync(s_timeout));
        await authCancelled.Task.WaitAsync(s_timeout);
        Assert.Empty(await DrainAsync(session));
    }

    [Fact]
    public async Task InitTimeout_NoConnectionInit_Closes4408AfterTimeout()
    {
        var time = new FakeTimeProvider();
        await using var session = new GraphQLWsSession(new TransportSchema().Executor, new GraphQLWsOptions { TimeProvider = time });

        time.Advance(TimeSpan.FromMilliseconds(2999));
        Assert.False(session.IsClosed);
        time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(new GraphQLWsClose(4408, "Connection initialisation timeout"), await session.Closed.WaitAsync(s_timeout));
    }

    [Fact]
    public async Task InitTimeout_ConnectionInitInTime_StaysOpenAndDisarmsTimer()
    {
        var time = new TimerCountingTimeProvider();
        var options = new GraphQLWsOptions { TimeProvider = time, ConnectionInitWaitTimeout = TimeSpan.FromSeconds(10) };
        await using var session = new GraphQLWsSession(new TransportSchema().Executor, options);
        time.Advance(TimeSpan.FromSeconds(9));
        await session.ReceiveAsync(Init);
        Assert.Equal(Ack, await ReadAsync(session));

        time.Advance(TimeSpan.FromHours(1));
        Assert.False(session.IsClosed);
        Assert.Equal(0, time.UndisposedTimers);
    }

    [Fact]
    public async Task InitTimeout_PingDoesNotCountAsInit_Closes4408()
    {
        var time = new FakeTimeProvider();
        await using var session = new GraphQLWsSession(new TransportSchema().Executor, new GraphQLWsOptions { TimeProvider = time });
        await session.ReceiveAsync("""{"type":"ping"}""");
        time.Advance(TimeSpan.FromSeconds(3));

        Assert.Equal(4408, (await session.Closed.WaitAsync(s_timeout)).Code);
        Assert.Equal(["""{"type":"pong"}"""], await DrainAsync(session));
    }

    [Fact]
    public async Task Subscribe_Query_SendsNextThenComplete()
    {
        await using var session = await AcknowledgedAsync(new TransportSchema());
        await session.ReceiveAsync("""{"id":"1","type":"subscribe","payload":{"query":"query Q { hello failing }","operationName":"Q","variables":{"x":"y"},"extensions":{}}}""");

        Assert.Equal(
            """{"id":"1","type":"next","payload":{"errors":[{"message":"boom","locations":[{"line":1,"column":17}],"path":["failing"]}],"data":{"hello":"world","failing":null}}}""",
            await ReadAsync(session));
        Assert.Equal("""{"id":"1","type":"complete"}""", await ReadAsync(session));
    }

    [Fact]
    public async Task Subscribe_ValidationError_SendsErrorWithoutComplete()
    {
        await using var session = await AcknowledgedAsync(new TransportSchema());
        await session.ReceiveAsync("""{"id":"1","type":"subscribe","payload":{"query":"{ nope }"}}""");
        await session.ReceiveAsync("""{"id":"2","type":"subscribe","payload":{"query":"{ hello }"}}""");

        var messages = await ReadUntilAsync(session, """{"id":"2","type":"complete"}""");
        var forFirst = messages.Where(m => m.Contains("\"id\":\"1\"", StringComparison.Ordinal)).ToList();
        Assert.Equal(["""{"id":"1","type":"error","payload":[{"message":"Cannot query field \"nope\" on type \"Query\".","locations":[{"line":1,"column":3}]}]}"""], forFirst);
        Assert.False(session.IsClosed);
    }

    [Fact]
    public async Task Subscribe_SyntaxError_SendsError()
    {
        await using var session = await AcknowledgedAsync(new TransportSchema());
        await session.ReceiveAsync("""{"id":"1","type":"subscribe","payload":{"query":"{"}}""");

        var message = JsonDocument.Parse(await ReadAsync(session)).RootElement;
        Assert.Equal("error", message.GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.Array, message.GetProperty("payload").ValueKind);
        Assert.StartsWith("Syntax Error", message.GetProperty("payload")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subscribe_Subscription_SendsEventsInOrderThenComplete()
    {
        var schema = new TransportSchema();
        await using var session = await AcknowledgedAsync(schema);
        await session.ReceiveAsync("""{"id":"s","type":"subscribe","payload":{"query":"subscription { events }"}}""");
        await schema.SourceStarted.Task.WaitAsync(s_timeout);
        Assert.Equal(1, session.ActiveOperationCount);

        foreach (var value in new[] { 1, 2, 3 })
        {
            await schema.Events.Writer.WriteAsync(value);
        }

        schema.Events.Writer.Complete();
        Assert.Equal("""{"id":"s","type":"next","payload":{"data":{"events":1}}}""", await ReadAsync(session));
        Assert.Equal("""{"id":"s","type":"next","payload":{"data":{"events":2}}}""", await ReadAsync(session));
        Assert.Equal("""{"id":"s","type":"next","payload":{"data":{"events":3}}}""", await ReadAsync(session));
        Assert.Equal("""{"id":"s","type":"complete"}""", await ReadAsync(session));
        Assert.Equal(0, session.ActiveOperationCount);
    }

    [Fact]
    public async Task Subscribe_ResolverError_IsInsideNextPayload()
    {
        var schema = new TransportSchema();
        await using var session = await AcknowledgedAsync(schema);
        await session.ReceiveAsync("""{"id":"s","type":"subscribe","payload":{"query":"subscription { resolverFails }"}}""");
        await schema.Events.Writer.WriteAsync(1);

        Assert.Equal(
            """{"id":"s","type":"next","payload":{"errors":[{"message":"bad event","locations":[{"line":1,"column":16}],"path":["resolverFails"]}],"data":{"resolverFails":null}}}""",
            await ReadAsync(session));
        Assert.False(session.IsClosed);
    }

    [Fact]
    public async Task Subscribe_SourceThrows_SendsErrorForThatOperationOnly()
    {
        Exception? reported = null;
        var schema = new TransportSchema();
        await using var session = await AcknowledgedAsync(schema, new GraphQLWsOptions { OnUnhandledException = e => reported = e });
        await session.ReceiveAsync("""{"id":"b","type":"subscribe","payload":{"query":"subscription { broken }"}}""");

        Assert.Equal("""{"id":"b","type":"next","payload":{"data":{"broken":1}}}""", await ReadAsync(session));
        Assert.Equal("""{"id":"b","type":"error","payload":[{"message":"Unexpected error."}]}""", await ReadAsync(session));
        Assert.Equal("secret", reported?.Message);

        await session.ReceiveAsync("""{"type":"ping"}""");
        Assert.Equal("""{"type":"pong"}""", await ReadAsync(session));
        Assert.False(session.IsClosed);
    }

    [Fact]
    public async Task Complete_FromClient_CancelsSourceAndSendsNothingMore()
    {
        var schema = new TransportSchema();
        await using var session = await AcknowledgedAsync(schema);
        await session.ReceiveAsync("""{"id":"s","type":"subscribe","payload":{"query":"subscription { events }"}}""");
        await schema.SourceStarted.Task.WaitAsync(s_timeout);
        await schema.Events.Writer.WriteAsync(1);
        Assert.Equal("""{"id":"s","type":"next","payload":{"data":{"events":1}}}""", await ReadAsync(session));

        await session.ReceiveAsync("""{"id":"s","type":"complete"}""");
        await schema.SourceCancelled.Task.WaitAsync(s_timeout);
        Assert.Equal(0, session.ActiveOperationCount);

        // The id is free again at once; the new operation's messages are the only ones that follow.
        await session.ReceiveAsync("""{"id":"s","type":"subscribe","payload":{"query":"{ hello }"}}""");
        Assert.Equal("""{"id":"s","type":"next","payload":{"data":{"hello":"world"}}}""", await ReadAsync(session));
        Assert.Equal("""{"id":"s","type":"complete"}""", await ReadAsync(session));
        Assert.False(session.IsClosed);
    }

    [Fact]
    public async Task Complete_UnknownId_IsIgnored()
    {
        await using var session = await AcknowledgedAsync(new TransportSchema());
        await session.ReceiveAsync("""{"id":"nope","type":"complete"}""");
        await session.ReceiveAsync("""{"type":"ping"}""");

        Assert.Equal("""{"type":"pong"}""", await ReadAsync(session));
        Assert.False(session.IsClosed);
    }

    [Fact]
    public async Task Subscribe_IdOfFinishedOperation_MayBeReused()
    {
        await using var session = await AcknowledgedAsync(new TransportSchema());
        for (var i = 0; i < 3; i++)
        {
            await session.ReceiveAsync("""{"id":"q","type":"subscribe","payload":{"query":"{ hello }"}}""");
            Assert.Equal("""{"id":"q","type":"next","payload":{"data":{"hello":"world"}}}""", await ReadAsync(session));
            Assert.Equal("""{"id":"q","type":"complete"}""", await ReadAsync(session));
        }

        Assert.False(session.IsClosed);
    }

    [Fact]
    public async Task Subscribe_OverConcurrencyLimit_SendsErrorAndStaysOpen()
    {
        var schema = new TransportSchema();
        await using var session = await AcknowledgedAsync(schema, new GraphQLWsOptions { MaxConcurrentOperations = 1 });
        await session.ReceiveAsync("""{"id":"a","type":"subscribe","payload":{"query":"subscription { events }"}}""");
        await session.ReceiveAsync("""{"id":"b","type":"subscribe","payload":{"query":"{ hello }"}}""");

        Assert.Equal("""{"id":"b","type":"error","payload":[{"message":"Too many concurrent operations: at most 1 per connection."}]}""", await ReadAsync(session));
        Assert.False(session.IsClosed);

        await session.ReceiveAsync("""{"id":"a","type":"complete"}""");
        await session.ReceiveAsync("""{"id":"b","type":"subscribe","payload":{"query":"{ hello }"}}""");
        Assert.Equal("""{"id":"b","type":"next","payload":{"data":{"hello":"world"}}}""", await ReadAsync(session));
    }

    [Fact]
    public async Task Close_CancelsOperationsAndIgnoresLaterMessages()
    {
        var schema = new TransportSchema();
        var session = await AcknowledgedAsync(schema);
        await session.ReceiveAsync("""{"id":"s","type":"subscribe","payload":{"query":"subscription { events }"}}""");
        await schema.SourceStarted.Task.WaitAsync(s_timeout);

        Assert.True(session.Close(new GraphQLWsClose(1001, "bye")));
        Assert.False(session.Close(new GraphQLWsClose(1000, "again")));
        await schema.SourceCancelled.Task.WaitAsync(s_timeout);
        await session.ReceiveAsync("""{"type":"ping"}""");
        await session.DisposeAsync();

        Assert.Equal(new GraphQLWsClose(1001, "bye"), await session.Closed);
        Assert.Empty(await DrainAsync(session));
        Assert.Equal(0, session.ActiveOperationCount);
    }

    [Fact]
    public async Task DisposeAsync_WaitsForOperationsToEnd()
    {
        var schema = new TransportSchema();
        var session = await AcknowledgedAsync(schema);
        await session.ReceiveAsync("""{"id":"s","type":"subscribe","payload":{"query":"subscription { events }"}}""");
        await schema.SourceStarted.Task.WaitAsync(s_timeout);

        await session.DisposeAsync().AsTask().WaitAsync(s_timeout);

        Assert.True(schema.SourceCancelled.Task.IsCompleted);
        Assert.Equal(1000, (await session.Closed).Code);
    }

    [Fact]
    public void Close_LongReason_IsCutTo123Bytes()
    {
        var close = new GraphQLWsClose(4409, $"Subscriber for {new string('é', 200)} already exists");
        Assert.True(Encoding.UTF8.GetByteCount(close.Reason) <= GraphQLWsClose.MaxReasonBytes);
        Assert.EndsWith("...", close.Reason, StringComparison.Ordinal);
        Assert.Equal("Normal", new GraphQLWsClose(1000, "Normal").Reason);
    }

    [Fact]
    public async Task ReceiveAsync_RandomAndMutatedInput_NeverThrows()
    {
        var random = new Random(20240501);
        string[] seeds =
        [
            Init,
            """{"type":"ping","payload":{"a":[1,2,{"b":null}]}}""",
            """{"id":"1","type":"subscribe","payload":{"query":"subscription { events }","variables":{"x":1.5e3}}}""",
            """{"id":"1","type":"complete"}""",
            """{"type":"\ud800"}""",
            """{"type":"connection_init","payload":{"a":"\udc00x"}}""",
        ];
        for (var i = 0; i < 500; i++)
        {
            var schema = new TransportSchema();
            await using var session = new GraphQLWsSession(schema.Executor);
            await session.ReceiveAsync(Init);
            var bytes = Encoding.UTF8.GetBytes(seeds[random.Next(seeds.Length)]);
            if (i % 5 == 0)
            {
                bytes = new byte[random.Next(0, 64)];
                random.NextBytes(bytes);
            }
            else
            {
                for (var m = random.Next(1, 4); m > 0; m--)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }
            }

            await session.ReceiveAsync(bytes);
        }
    }

    internal static async Task<GraphQLWsSession> AcknowledgedAsync(TransportSchema schema, GraphQLWsOptions? options = null)
    {
        var session = new GraphQLWsSession(schema.Executor, options);
        await session.ReceiveAsync(Init);
        Assert.Equal(Ack, await ReadAsync(session));
        return session;
    }

    private static async Task<string> ReadAsync(GraphQLWsSession session) =>
        Encoding.UTF8.GetString(await session.Outgoing.ReadAsync().AsTask().WaitAsync(s_timeout));

    private static async Task<List<string>> ReadUntilAsync(GraphQLWsSession session, string last)
    {
        var messages = new List<string>();
        while (messages.Count == 0 || messages[^1] != last)
        {
            messages.Add(await ReadAsync(session));
        }

        return messages;
    }

    // After the close: everything still queued, then the completed channel.
    private static async Task<List<string>> DrainAsync(GraphQLWsSession session)
    {
        var messages = new List<string>();
        await foreach (var message in session.Outgoing.ReadAllAsync().WithCancellation(new CancellationTokenSource(s_timeout).Token))
        {
            messages.Add(Encoding.UTF8.GetString(message));
        }

        return messages;
    }

    /// <summary>A <see cref="FakeTimeProvider"/> that also counts the timers created and not yet disposed.</summary>
    private sealed class TimerCountingTimeProvider : FakeTimeProvider
    {
        private int _undisposed;

        public int UndisposedTimers => Volatile.Read(ref _undisposed);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Interlocked.Increment(ref _undisposed);
            return new CountedTimer(base.CreateTimer(callback, state, dueTime, period), this);
        }

        private sealed class CountedTimer(ITimer inner, TimerCountingTimeProvider owner) : ITimer
        {
            private int _disposed;

            public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(dueTime, period);

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _disposed, 1) == 0)
                {
                    Interlocked.Decrement(ref owner._undisposed);
                }

                inner.Dispose();
            }

            public ValueTask DisposeAsync()
            {
                Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }
}
