using Patronus.GraphQL.Language;
using Patronus.GraphQL.Limits;

namespace Patronus.GraphQL.Execution;

/// <summary>Options of <see cref="Executor"/>.</summary>
public sealed record ExecutorOptions
{
    /// <summary>Default of <see cref="MaxDocumentBytes"/>: 64 KiB.</summary>
    public const int DefaultMaxDocumentBytes = 64 * 1024;

    /// <summary>Default of <see cref="ParserOptions.MaxTokens"/> for requests: 10,000.</summary>
    public const int DefaultMaxTokens = 10_000;

    /// <summary>
    /// Largest document (the request's query text) in UTF-8 bytes; a larger one is refused before it
    /// is parsed, with <c>extensions.code</c> <c>DOCUMENT_TOO_LARGE</c>. Default 64 KiB: every
    /// real operation is a few KiB, and parsing and validating 64 KiB takes milliseconds. Null: unlimited.
    /// </summary>
    public int? MaxDocumentBytes { get; init; } = DefaultMaxDocumentBytes;

    /// <summary>
    /// Parser limits for requests (default: 10,000 tokens, as graphql-js's <c>maxTokens</c> is used
    /// by servers; nesting 200). A document with more tokens is a syntax error ("Document contains
    /// more than 10000 tokens").
    /// </summary>
    public ParserOptions Parser { get; init; } = new() { MaxTokens = DefaultMaxTokens };

    /// <summary>Depth and complexity limits checked before execution (default: none).</summary>
    public QueryLimits Limits { get; init; } = QueryLimits.None;

    /// <summary>
    /// Longest a request may take from parsing to its last resolver (default null: no limit). At
    /// the deadline the request's cancellation token fires (resolvers get it), the engine stops
    /// between fields and list items, and the result is one error with <c>extensions.code</c>
    /// <c>EXECUTION_TIMEOUT</c> (no data). For a subscription it bounds setting the stream up and
    /// each event's execution, not the stream's life.
    /// </summary>
    public TimeSpan? ExecutionTimeout { get; init; }

    /// <summary>The clock of <see cref="ExecutionTimeout"/> (default <see cref="TimeProvider.System"/>).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Whether messages of exceptions other than <see cref="GraphQLException"/> reach the client
    /// (default false: they read "Unexpected error." so internals do not leak).
    /// </summary>
    public bool ExposeExceptionMessages { get; init; }

    /// <summary>Called for every resolver exception that is not a <see cref="GraphQLException"/> (for logging).</summary>
    public Action<Exception, ResponsePath>? OnUnhandledException { get; init; }

    /// <summary>Most variable coercion errors reported before giving up (default 50, as graphql-js).</summary>
    public int MaxVariableErrors { get; init; } = 50;

    /// <summary>Default of <see cref="DocumentCacheSize"/>: 256 documents.</summary>
    public const int DefaultDocumentCacheSize = 256;

    /// <summary>
    /// How many parsed and validated documents are kept, keyed by their exact text, so a repeated
    /// query skips parsing and validation (default 256; 0: none). Only documents that parsed and
    /// passed validation are kept; size and token limits are checked before the cache is asked, and
    /// variables, the operation name and depth/complexity limits are still checked per request.
    /// When full, the cache starts over empty.
    /// </summary>
    public int DocumentCacheSize { get; init; } = DefaultDocumentCacheSize;
}
