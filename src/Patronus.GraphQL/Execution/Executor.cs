using Patronus.GraphQL.Language;
using Patronus.GraphQL.Limits;
using Patronus.GraphQL.Types;
using Patronus.GraphQL.Validation;

namespace Patronus.GraphQL.Execution;

/// <summary>
/// Runs GraphQL requests against a schema (spec §6): parse, validate, check limits, coerce
/// variables, execute. Never throws on user input: every problem is a GraphQL error in the result.
/// Query fields run concurrently, mutation root fields one after another.
/// </summary>
public sealed partial class Executor
{
    public Executor(Schema schema, ExecutorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(schema);
        Schema = schema;
        Options = options ?? new ExecutorOptions();
    }

    /// <summary>The schema.</summary>
    public Schema Schema { get; }

    /// <summary>The options.</summary>
    public ExecutorOptions Options { get; }

    /// <summary>Executes a query or mutation (for subscriptions use <see cref="SubscribeAsync"/>).</summary>
    public async Task<ExecutionResult> ExecuteAsync(GraphQLRequest request, object? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var deadline = new ExecutionDeadline(Options, cancellationToken);
        var prepared = Prepare(request, context, deadline);
        if (prepared.Error is { } error)
        {
            return error;
        }

        // As graphql-js's execute(), a subscription operation here runs its selection once against the root value.
        return await RunAsync(prepared.Context!, request.RootValue, deadline).ConfigureAwait(false);
    }

    /// <summary>Parses and validates a document: the errors, empty when it may be executed.</summary>
    public IReadOnlyList<GraphQLError> Validate(string query)
    {
        if (!Parser.TryParse(query, out var document, out var syntaxError, Options.Parser))
        {
            return [GraphQLError.From(syntaxError!)];
        }

        return DocumentValidator.Validate(Schema, document!);
    }

    private (ExecutionContext? Context, ExecutionResult? Error) Prepare(GraphQLRequest request, object? context, ExecutionDeadline deadline)
    {
        try
        {
            return Prepare(request, context, deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.Expired)
        {
            return (null, ExecutionResult.RequestError([deadline.Error()]));
        }
    }

    private async Task<ExecutionResult> RunAsync(ExecutionContext execution, object? rootValue, ExecutionDeadline deadline)
    {
        try
        {
            return await ExecuteOperationAsync(execution, rootValue).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.Expired)
        {
            return new ExecutionResult(null, [deadline.Error()]);
        }
    }

    private (ExecutionContext? Context, ExecutionResult? Error) Prepare(GraphQLRequest request, object? context, CancellationToken cancellationToken)
    {
        if (request.Query is null)
        {
            return (null, ExecutionResult.RequestError([new GraphQLError("Must provide query string.")]));
        }

        if (Options.MaxDocumentBytes is { } maxBytes && IsLonger(request.Query, maxBytes))
        {
            return (null, ExecutionResult.RequestError([new GraphQLError(
                $"The document is larger than the limit of {maxBytes} bytes.",
                Extensions: new Dictionary<string, object?> { ["code"] = "DOCUMENT_TOO_LARGE", ["maxBytes"] = maxBytes })]));
        }

        if (!TryGetValidDocument(request.Query, cancellationToken, out var document, out var documentError))
        {
            return (null, documentError);
        }

        var fragments = new Dictionary<string, FragmentDefinitionNode>(StringComparer.Ordinal);
        OperationDefinitionNode? operation = null;
        var operationCount = 0;
        foreach (var definition in document!.Definitions)
        {
            switch (definition)
            {
                case FragmentDefinitionNode fragment:
                    fragments.TryAdd(fragment.Name.Value, fragment);
                    break;
                case OperationDefinitionNode op:
                    operationCount++;
                    if (request.OperationName is null ? operation is null : op.Name?.Value == request.OperationName)
                    {
                        operation ??= op;
                    }

                    break;
            }
        }

        if (request.OperationName is null && operationCount > 1)
        {
            return (null, ExecutionResult.RequestError([new GraphQLError("Must provide operation name if query contains multiple operations.")]));
        }

        if (operation is null)
        {
            return (null, ExecutionResult.RequestError([new GraphQLError(request.OperationName is null
                ? "Must provide an operation."
                : $"Unknown operation named \"{request.OperationName}\".")]));
        }

        if (Schema.GetRootType(operation.Operation) is null)
        {
            return (null, ExecutionResult.RequestError([GraphQLError.At($"Schema is not configured to execute {operation.Operation.ToString().ToLowerInvariant()} operation.", operation)]));
        }

        var variables = VariableCoercion.Coerce(Schema, operation.VariableDefinitions, request.Variables, Options.MaxVariableErrors, out var variableErrors);
        if (variableErrors.Count > 0)
        {
            return (null, ExecutionResult.RequestError(variableErrors));
        }

        var limitErrors = QueryLimitsChecker.Check(Schema, operation, fragments, variables, Options.Limits);
        if (limitErrors.Count > 0)
        {
            return (null, ExecutionResult.RequestError(limitErrors));
        }

        return (new ExecutionContext(Schema, Options, operation, fragments, variables, context, cancellationToken), null);
    }

    // Every char is at least one UTF-8 byte, so a long string is over without counting.
    private static bool IsLonger(string text, int maxBytes) =>
        text.Length > maxBytes || (text.Length > maxBytes / 3 && System.Text.Encoding.UTF8.GetByteCount(text) > maxBytes);

    private async Task<ExecutionResult> ExecuteOperationAsync(ExecutionContext execution, object? rootValue)
    {
        var rootType = Schema.GetRootType(execution.Operation.Operation)!;
        var fields = FieldCollector.Collect(execution, rootType, execution.Operation.SelectionSet);
        IReadOnlyDictionary<string, object?>? data;
        try
        {
            data = execution.Operation.Operation == OperationType.Mutation
                ? await ExecuteFieldsSeriallyAsync(execution, rootType, rootValue, null, fields).ConfigureAwait(false)
                : await ExecuteFieldsAsync(execution, rootType, rootValue, null, new SelectionPlan(rootType, fields)).ConfigureAwait(false);
        }
        catch (FieldErrorException e)
        {
            execution.AddError(e.Error);
            data = null;
        }

        return new ExecutionResult(data, execution.TakeErrors());
    }
}
