using System.Runtime.CompilerServices;
using Patronus.GraphQL.Language;

namespace Patronus.GraphQL.Execution;

public sealed partial class Executor
{
    /// <summary>
    /// Runs a subscription (spec §6.2.3): resolves the root field's source stream, then executes the
    /// selection set once per event, yielding one result each. A request error (parse, validation,
    /// variables, limits, or the source stream could not be created) is yielded alone with
    /// <see cref="ExecutionResult.IsRequestError"/> set. A query or mutation yields its single result,
    /// so transports can route every operation through here. Cancel <paramref name="cancellationToken"/>
    /// (or stop enumerating) to unsubscribe; the source stream is disposed either way.
    /// </summary>
    public async IAsyncEnumerable<ExecutionResult> SubscribeAsync(
        GraphQLRequest request,
        object? context = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);

        // The deadline bounds parsing and validation, then each execution; not the stream's life.
        (ExecutionContext? Context, ExecutionResult? Error) prepared;
        using (var deadline = new ExecutionDeadline(Options, cancellationToken))
        {
            prepared = Prepare(request, context, deadline);
        }

        if (prepared.Error is { } error)
        {
            yield return error;
            yield break;
        }

        // The source stream lives as long as the subscription: it gets the caller's token.
        var execution = prepared.Context!.Renew(cancellationToken);
        if (execution.Operation.Operation != OperationType.Subscription)
        {
            yield return await RunOnceAsync(execution, request.RootValue, cancellationToken).ConfigureAwait(false);
            yield break;
        }

        var (stream, streamError) = await CreateSourceStreamAsync(execution, request.RootValue).ConfigureAwait(false);
        if (streamError is not null)
        {
            yield return streamError;
            yield break;
        }

        await foreach (var payload in stream!.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            // Each event runs with a fresh error list: MapSourceToResponseEvent (§6.2.3.2).
            yield return await RunOnceAsync(execution, payload, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Executes the prepared operation once with a fresh error list, under its own deadline.</summary>
    private async Task<ExecutionResult> RunOnceAsync(ExecutionContext prepared, object? rootValue, CancellationToken cancellationToken)
    {
        using var deadline = new ExecutionDeadline(Options, cancellationToken);
        return await RunAsync(prepared.Renew(deadline.Token), rootValue, deadline).ConfigureAwait(false);
    }

    private async Task<(IAsyncEnumerable<object?>? Stream, ExecutionResult? Error)> CreateSourceStreamAsync(ExecutionContext execution, object? rootValue)
    {
        var rootType = Schema.Subscription!;
        var fields = FieldCollector.Collect(execution, rootType, execution.Operation.SelectionSet);
        if (fields.Count == 0)
        {
            return (null, ExecutionResult.RequestError([GraphQLError.At("Subscription must select one top level field.", execution.Operation)]));
        }

        var (key, nodes) = fields.GetAt(0);
        var field = rootType.GetField(nodes[0].Name.Value);
        var path = ResponsePath.Root(key, rootType.Name);
        var locations = nodes.Select(n => n.Location.StartLocation).ToList();
        if (field?.Subscriber is not { } subscriber)
        {
            return (null, ExecutionResult.RequestError([new GraphQLError($"Subscription field \"{nodes[0].Name.Value}\" has no source stream.", locations, path.ToList())]));
        }

        try
        {
            var arguments = ArgumentValues.Get(field.Arguments, nodes[0].Arguments, execution.Variables, nodes[0]);
            var resolveContext = new ResolveContext(execution, rootValue, arguments, rootType, field, nodes, path);
            var stream = await subscriber(resolveContext).ConfigureAwait(false);
            return (stream, null);
        }
        catch (Exception e) when (e is not OperationCanceledException || !execution.CancellationToken.IsCancellationRequested)
        {
            var fieldError = e is FieldErrorException f ? f.Error : ToError(execution, e, nodes, path);
            return (null, ExecutionResult.RequestError([fieldError]));
        }
    }
}
