using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using System.Threading.Channels;
using Patronus.GraphQL.Execution;

namespace Patronus.GraphQL.Transport;

/// <summary>
/// One <c>graphql-transport-ws</c> connection, independent of the transport. Feed it every incoming
/// text message with <see cref="ReceiveAsync(ReadOnlyMemory{byte}, CancellationToken)"/> (one at a
/// time, in order); send what <see cref="Outgoing"/> yields, in order, as text messages; when
/// <see cref="Outgoing"/> completes, close the socket with <see cref="Closed"/>'s code and reason.
/// Operations run concurrently and write their results to <see cref="Outgoing"/> as they happen.
/// A bad message never throws: it closes the session with the protocol's close code. Dispose the
/// session when the socket is gone: it cancels every operation and waits for them to end.
/// </summary>
public sealed partial class GraphQLWsSession : IAsyncDisposable
{
    private static readonly JsonDocumentOptions s_documentOptions = new() { MaxDepth = 64 };

    private readonly Executor _executor;
    private readonly GraphQLWsOptions _options;
    private readonly Channel<byte[]> _outgoing;
    private readonly TaskCompletionSource<GraphQLWsClose> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Starts the session and its <c>connection_init</c> timer.</summary>
    public GraphQLWsSession(Executor executor, GraphQLWsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(executor);
        options ??= new GraphQLWsOptions();
        options.Validate();
        _executor = executor;
        _options = options;
        _outgoing = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(options.OutgoingQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _initTimer = options.TimeProvider.CreateTimer(
            static state => ((GraphQLWsSession)state!).OnInitTimeout(),
            this,
            options.ConnectionInitWaitTimeout,
            Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// The messages to send, UTF-8 JSON, in order. Completes when the session closes (messages
    /// queued before the close are still read out first).
    /// </summary>
    public ChannelReader<byte[]> Outgoing => _outgoing.Reader;

    /// <summary>Completes with the close decision when the session closes.</summary>
    public Task<GraphQLWsClose> Closed => _closed.Task;

    /// <summary>Whether the session has closed.</summary>
    public bool IsClosed => _closed.Task.IsCompleted;

    /// <summary>How many operation ids are active (subscribed, not yet completed by either side).</summary>
    public int ActiveOperationCount
    {
        get
        {
            lock (_gate)
            {
                return _operations.Count;
            }
        }
    }

    /// <summary>Handles one incoming text message.</summary>
    public ValueTask ReceiveAsync(string message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return ReceiveAsync(Encoding.UTF8.GetBytes(message), cancellationToken);
    }

    /// <summary>
    /// Handles one incoming text message (UTF-8). Completes once any direct reply (pong, error) is
    /// queued; waits while <see cref="Outgoing"/> is full. Ignored after the session closed.
    /// </summary>
    public async ValueTask ReceiveAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        if (IsClosed)
        {
            return;
        }

        if (Handle(message) is { } reply)
        {
            await SendAsync(reply, owner: null, SendKind.Control, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Closes the session (for transports: a binary or oversized message, the peer's close, shutdown):
    /// completes <see cref="Outgoing"/> and cancels every operation. False when already closed.
    /// </summary>
    public bool Close(GraphQLWsClose close)
    {
        Operation[]? operations;
        lock (_gate)
        {
            operations = MarkClosedLocked();
        }

        if (operations is null)
        {
            return false;
        }

        FinishClose(close, operations);
        return true;
    }

    // Parses and dispatches one message; returns the direct reply, if any. Everything that reads the
    // document happens here, before any await, so the caller's buffer and the document die together.
    private byte[]? Handle(ReadOnlyMemory<byte> message)
    {
        // The JSON reader does not check UTF-8 inside strings until they are read.
        if (!Utf8.IsValid(message.Span))
        {
            return Reject("Invalid message received: not UTF-8");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(message, s_documentOptions);
        }
        catch (JsonException)
        {
            return Reject("Invalid message received: not JSON");
        }

        try
        {
            return Dispatch(document.RootElement);
        }
        catch (InvalidOperationException)
        {
            // A string the reader cannot decode (e.g. an escaped lone surrogate).
            return Reject("Invalid message received: invalid string");
        }
        finally
        {
            document.Dispose();
        }
    }

    private byte[]? Dispatch(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("type"u8, out var typeElement)
            || typeElement.ValueKind != JsonValueKind.String)
        {
            return Reject("Invalid message received: 'type' must be a string");
        }

        return typeElement.GetString() switch
        {
            GraphQLWsProtocol.ConnectionInit => OnConnectionInit(root),
            GraphQLWsProtocol.Ping => TryGetPayloadObject(root, out var payload) ? GraphQLWsMessages.Pong(payload) : RejectPayload(),
            GraphQLWsProtocol.Pong => TryGetPayloadObject(root, out _) ? null : RejectPayload(),
            GraphQLWsProtocol.Subscribe => OnSubscribe(root),
            GraphQLWsProtocol.Complete => OnComplete(root),
            GraphQLWsProtocol.ConnectionAck or GraphQLWsProtocol.Next or GraphQLWsProtocol.Error =>
                Reject($"Invalid message received: '{typeElement.GetString()}' is sent by servers only"),
            var type => Reject($"Invalid message received: unknown type '{type}'"),
        };
    }

    private byte[]? OnConnectionInit(JsonElement root)
    {
        if (!TryGetPayloadObject(root, out var payload))
        {
            return RejectPayload();
        }

        var values = payload.ValueKind == JsonValueKind.Object ? (IReadOnlyDictionary<string, object?>?)ResultJson.ToValue(payload) : null;
        Operation[]? closing = null;
        lock (_gate)
        {
            if (_isClosed)
            {
                return null;
            }

            if (_initReceived)
            {
                closing = MarkClosedLocked();
            }
            else
            {
                _initReceived = true;
                Interlocked.Increment(ref _work);
            }
        }

        if (closing is not null)
        {
            FinishClose(new GraphQLWsClose(GraphQLWsCloseCodes.TooManyInitialisationRequests, "Too many initialisation requests"), closing);
            return null;
        }

        _initTimer?.Dispose();
        _ = AuthenticateAsync(values);
        return null;
    }

    private byte[]? OnSubscribe(JsonElement root)
    {
        if (!TryGetId(root, out var id))
        {
            return RejectId();
        }

        if (!root.TryGetProperty("payload"u8, out var payload) || payload.ValueKind != JsonValueKind.Object)
        {
            return Reject("Invalid message received: subscribe 'payload' must be an object");
        }

        if (!ResultJson.TryReadRequest(payload, out var request, out var error))
        {
            return Reject($"Invalid message received: {error}");
        }

        if (payload.TryGetProperty("extensions"u8, out var extensions) && extensions.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
        {
            return Reject("Invalid message received: 'extensions' must be an object or null");
        }

        return StartOperation(id, request!);
    }

    private byte[]? OnComplete(JsonElement root)
    {
        if (!TryGetId(root, out var id))
        {
            return RejectId();
        }

        // Unknown or finished ids are ignored: the operation may have completed on its own meanwhile.
        Operation? operation;
        lock (_gate)
        {
            if (_operations.Remove(id, out operation))
            {
                operation.Stopped = true;
            }
        }

        operation?.Cancel(_options);
        return null;
    }

    private static bool TryGetId(JsonElement root, out string id)
    {
        id = root.TryGetProperty("id"u8, out var element) && element.ValueKind == JsonValueKind.String ? element.GetString()! : "";
        return id.Length > 0;
    }

    // The payload of connection_init, ping and pong is optional; when present it is an object or null.
    private static bool TryGetPayloadObject(JsonElement root, out JsonElement payload)
    {
        if (!root.TryGetProperty("payload"u8, out payload) || payload.ValueKind == JsonValueKind.Null)
        {
            payload = default;
            return true;
        }

        return payload.ValueKind == JsonValueKind.Object;
    }

    private byte[]? RejectPayload() => Reject("Invalid message received: 'payload' must be an object or null");

    private byte[]? RejectId() => Reject("Invalid message received: 'id' must be a non-empty string");

    private byte[]? Reject(string reason)
    {
        Close(new GraphQLWsClose(GraphQLWsCloseCodes.BadRequest, reason));
        return null;
    }
}
