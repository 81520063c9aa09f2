namespace Patronus.GraphQL.Execution;

/// <summary>
/// One request's time bound (<see cref="ExecutorOptions.ExecutionTimeout"/>): a token that fires
/// when the caller cancels or the timeout passes, on <see cref="ExecutorOptions.TimeProvider"/>.
/// Parsing, validation and execution all observe it; resolvers get it as their cancellation token.
/// </summary>
internal sealed class ExecutionDeadline : IDisposable
{
    private readonly CancellationToken _caller;
    private readonly CancellationTokenSource? _timeout;
    private readonly CancellationTokenSource? _linked;
    private readonly TimeSpan? _limit;

    public ExecutionDeadline(ExecutorOptions options, CancellationToken caller)
    {
        _caller = caller;
        _limit = options.ExecutionTimeout;
        if (_limit is { } limit)
        {
            _timeout = new CancellationTokenSource(limit, options.TimeProvider);
            _linked = CancellationTokenSource.CreateLinkedTokenSource(caller, _timeout.Token);
        }
    }

    /// <summary>Cancelled by the caller or at the deadline.</summary>
    public CancellationToken Token => _linked?.Token ?? _caller;

    /// <summary>Whether the deadline (not the caller) ended the request.</summary>
    public bool Expired => _timeout is { IsCancellationRequested: true } && !_caller.IsCancellationRequested;

    /// <summary>The error that replaces the result of a request stopped by its deadline.</summary>
    public GraphQLError Error() => new(
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"The request exceeded the time limit of {_limit!.Value.TotalSeconds:0.###} s and was stopped."),
        Extensions: new Dictionary<string, object?> { ["code"] = "EXECUTION_TIMEOUT", ["timeoutMs"] = (long)_limit.Value.TotalMilliseconds });

    public void Dispose()
    {
        _linked?.Dispose();
        _timeout?.Dispose();
    }
}
