using Patronus.GraphQL.Execution;

namespace Patronus.GraphQL.Transport;

public sealed partial class GraphQLWsSession
{
    // Guards the connection state below. It is held only for a dictionary update or one TryWrite,
    // never across an await and never while cancelling: a cancellation callback may run an
    // operation's continuation inline on this thread.
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Operation> _operations = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ITimer? _initTimer;
    private bool _initReceived;
    private bool _acknowledged;
    private bool _isClosed;
    private object? _userContext;

    // Running background tasks (authenticate, operations) plus one for the session itself, released
    // by DisposeAsync; reaches zero once everything has ended.
    private int _work = 1;
    private int _disposed;

    private enum SendKind
    {
        Control,
        Acknowledge,
        Result,
        Terminal,
    }

    /// <summary>Cancels every operation and waits for them (and a pending authenticate) to end.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Close(new GraphQLWsClose(GraphQLWsCloseCodes.NormalClosure, "Normal Closure"));
        EndWork();
        await _drained.Task.ConfigureAwait(false);
        _lifetime.Dispose();
    }

    private byte[]? StartOperation(string id, GraphQLRequest request)
    {
        Operation? operation = null;
        Operation[]? closing = null;
        GraphQLWsClose close = default;
        object? context = null;
        lock (_gate)
        {
            if (_isClosed)
            {
                return null;
            }

            if (!_acknowledged)
            {
                close = new GraphQLWsClose(GraphQLWsCloseCodes.Unauthorized, "Unauthorized");
                closing = MarkClosedLocked();
            }
            else if (_operations.ContainsKey(id))
            {
                // Single-result operations are held to the same rule: every active id is unique.
                close = new GraphQLWsClose(GraphQLWsCloseCodes.SubscriberAlreadyExists, $"Subscriber for {id} already exists");
                closing = MarkClosedLocked();
            }
            else if (_operations.Count < _options.MaxConcurrentOperations)
            {
                operation = new Operation(id);
                _operations.Add(id, operation);
                Interlocked.Increment(ref _work);
                context = _userContext;
            }
        }

        if (closing is not null)
        {
            FinishClose(close, closing);
            return null;
        }

        if (operation is null)
        {
            return GraphQLWsMessages.Error(id, [new GraphQLError($"Too many concurrent operations: at most {_options.MaxConcurrentOperations} per connection.")]);
        }

        _ = RunOperationAsync(operation, request, context);
        return null;
    }

    private async Task RunOperationAsync(Operation operation, GraphQLRequest request, object? context)
    {
        var token = operation.Cancellation.Token;
        try
        {
            await foreach (var result in _executor.SubscribeAsync(request, context, token).ConfigureAwait(false))
            {
                if (result.IsRequestError)
                {
                    // Parse, validation, variable and limit errors, or no source stream: error, no complete.
                    await SendAsync(GraphQLWsMessages.Error(operation.Id, result.Errors), operation, SendKind.Terminal, token).ConfigureAwait(false);
                    return;
                }

                if (!await SendAsync(GraphQLWsMessages.Next(operation.Id, result), operation, SendKind.Result, token).ConfigureAwait(false))
                {
                    return;
                }
            }

            await SendAsync(GraphQLWsMessages.Complete(operation.Id), operation, SendKind.Terminal, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Completed by the client or the session closed: nothing more is sent for this id.
        }
        catch (Exception e)
        {
            // A source stream threw mid-way: only this operation ends, with an error message.
            var exposed = e is GraphQLException || _executor.Options.ExposeExceptionMessages;
            if (e is not GraphQLException)
            {
                _options.OnUnhandledException?.Invoke(e);
            }

            var error = new GraphQLError(exposed ? e.Message : "Unexpected error.", Extensions: (e as GraphQLException)?.Extensions);
            try
            {
                await SendAsync(GraphQLWsMessages.Error(operation.Id, [error]), operation, SendKind.Terminal, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Closed meanwhile.
            }
        }
        finally
        {
            lock (_gate)
            {
                operation.Stopped = true;
                if (_operations.TryGetValue(operation.Id, out var current) && current == operation)
                {
                    _operations.Remove(operation.Id);
                }
            }

            operation.Cancellation.Dispose();
            EndWork();
        }
    }

    private async Task AuthenticateAsync(IReadOnlyDictionary<string, object?>? payload)
    {
        var token = _lifetime.Token;
        try
        {
            var result = _options.Authenticate is { } authenticate
                ? await authenticate(payload, token).ConfigureAwait(false)
                : GraphQLWsAuthResult.Accept();
            if (!result.Accepted)
            {
                Close(new GraphQLWsClose(GraphQLWsCloseCodes.Forbidden, "Forbidden"));
                return;
            }

            lock (_gate)
            {
                _userContext = result.UserContext;
            }

            await SendAsync(GraphQLWsMessages.ConnectionAck(result.AckPayload), owner: null, SendKind.Acknowledge, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The connection closed while authenticating.
        }
        catch (Exception e)
        {
            _options.OnUnhandledException?.Invoke(e);
            Close(new GraphQLWsClose(GraphQLWsCloseCodes.InternalServerError, "Internal server error"));
        }
        finally
        {
            EndWork();
        }
    }

    // Queues a message unless its operation was stopped or the session closed. The check and the
    // write happen under the gate, so after the client's complete is handled nothing more is queued
    // for that id, and an id is free for reuse from the moment its complete/error is queued.
    private async ValueTask<bool> SendAsync(byte[] message, Operation? owner, SendKind kind, CancellationToken cancellationToken)
    {
        while (await _outgoing.Writer.WaitToWriteAsync(cancellationToken).ConfigureAwait(false))
        {
            lock (_gate)
            {
                if (owner is { Stopped: true })
                {
                    return false;
                }

                if (!_outgoing.Writer.TryWrite(message))
                {
                    // Another producer took the free slot (or the session closed): wait again.
                    continue;
                }

                if (kind == SendKind.Acknowledge)
                {
                    _acknowledged = true;
                }
                else if (kind == SendKind.Terminal)
                {
                    owner!.Stopped = true;
                    if (_operations.TryGetValue(owner.Id, out var current) && current == owner)
                    {
                        _operations.Remove(owner.Id);
                    }
                }

                return true;
            }
        }

        return false;
    }

    private void OnInitTimeout()
    {
        Operation[]? closing;
        lock (_gate)
        {
            if (_initReceived)
            {
                return;
            }

            closing = MarkClosedLocked();
        }

        if (closing is not null)
        {
            FinishClose(new GraphQLWsClose(GraphQLWsCloseCodes.ConnectionInitialisationTimeout, "Connection initialisation timeout"), closing);
        }
    }

    // Under _gate: marks the session closed and completes Outgoing (so nothing more is queued);
    // returns the operations to cancel, or null when it was already closed.
    private Operation[]? MarkClosedLocked()
    {
        if (_isClosed)
        {
            return null;
        }

        _isClosed = true;
        _outgoing.Writer.TryComplete();
        var operations = _operations.Values.ToArray();
        foreach (var operation in operations)
        {
            operation.Stopped = true;
        }

        _operations.Clear();
        return operations;
    }

    // Outside _gate: cancellation callbacks may run operation code inline.
    private void FinishClose(GraphQLWsClose close, Operation[] operations)
    {
        _closed.TrySetResult(close);
        _initTimer?.Dispose();
        foreach (var operation in operations)
        {
            operation.Cancel(_options);
        }

        try
        {
            _lifetime.Cancel();
        }
        catch (AggregateException e)
        {
            _options.OnUnhandledException?.Invoke(e);
        }
    }

    private void EndWork()
    {
        if (Interlocked.Decrement(ref _work) == 0)
        {
            _drained.TrySetResult();
        }
    }

    private sealed class Operation(string id)
    {
        public string Id { get; } = id;

        public CancellationTokenSource Cancellation { get; } = new();

        // Under _gate: the client completed it, it queued its last message, or the session closed.
        public bool Stopped { get; set; }

        public void Cancel(GraphQLWsOptions options)
        {
            try
            {
                Cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // It ended on its own meanwhile.
            }
            catch (AggregateException e)
            {
                // A source stream's cancellation callback threw.
                options.OnUnhandledException?.Invoke(e);
            }
        }
    }
}
