using Patronus.GraphQL.Language;
using Patronus.GraphQL.Limits;

namespace Patronus.GraphQL.Execution;

/// <summary>Options of <see cref="Executor"/>.</summary>
public sealed record ExecutorOptions
{
    /// <summary>Parser limits (default: 100,000 tokens, nesting 200).</summary>
    public ParserOptions Parser { get; init; } = new();

    /// <summary>Depth and complexity limits checked before execution (default: none).</summary>
    public QueryLimits Limits { get; init; } = QueryLimits.None;

    /// <summary>
    /// Whether messages of exceptions other than <see cref="GraphQLException"/> reach the client
    /// (default false: they read "Unexpected error." so internals do not leak).
    /// </summary>
    public bool ExposeExceptionMessages { get; init; }

    /// <summary>Called for every resolver exception that is not a <see cref="GraphQLException"/> (for logging).</summary>
    public Action<Exception, ResponsePath>? OnUnhandledException { get; init; }

    /// <summary>Most variable coercion errors reported before giving up (default 50, as graphql-js).</summary>
    public int MaxVariableErrors { get; init; } = 50;
}
