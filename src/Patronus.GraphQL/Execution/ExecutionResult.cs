namespace Patronus.GraphQL.Execution;

/// <summary>
/// A GraphQL response (spec §7.1): <c>errors</c> (when any), <c>data</c> (absent when the request
/// failed before execution), <c>extensions</c>. Data maps keep field order.
/// </summary>
public sealed class ExecutionResult
{
    /// <summary>A successful or partial result.</summary>
    public ExecutionResult(IReadOnlyDictionary<string, object?>? data, IReadOnlyList<GraphQLError> errors)
    {
        Data = data;
        HasData = true;
        Errors = errors;
    }

    private ExecutionResult(IReadOnlyList<GraphQLError> errors)
    {
        Errors = errors;
    }

    /// <summary>A request error: no <c>data</c> entry at all (parse, validation, variable or limit errors).</summary>
    public static ExecutionResult RequestError(IReadOnlyList<GraphQLError> errors) => new(errors);

    /// <summary>The data; null either when absent (see <see cref="HasData"/>) or when null propagated to the root.</summary>
    public IReadOnlyDictionary<string, object?>? Data { get; }

    /// <summary>Whether the response has a <c>data</c> entry (false for request errors).</summary>
    public bool HasData { get; }

    /// <summary>Whether this is a request error (the operation never started executing).</summary>
    public bool IsRequestError => !HasData;

    /// <summary>Errors, empty when none.</summary>
    public IReadOnlyList<GraphQLError> Errors { get; }

    /// <summary>Optional <c>extensions</c> entries.</summary>
    public IDictionary<string, object?>? Extensions { get; init; }
}

/// <summary>A request to execute: the document text, the operation to run and variable values (JSON-like .NET values).</summary>
public sealed record GraphQLRequest(string Query, string? OperationName = null, IReadOnlyDictionary<string, object?>? Variables = null)
{
    /// <summary>The root value handed to root field resolvers as their source.</summary>
    public object? RootValue { get; init; }
}
