using System.ComponentModel.DataAnnotations;
using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Language;
using Patronus.GraphQL.Limits;

namespace Patronus.Server.GraphQL;

/// <summary>
/// Limits of <c>/graphql</c> (section <c>GraphQL</c>), over HTTP and WebSocket alike; docs/api.md
/// lists them. The defaults leave every real operation of the Patronus schema far inside (the
/// largest, graphql-js's full introspection query, is 1.6 KB, ~400 tokens, complexity ~3,500) and
/// keep a hostile one to milliseconds of work before it is refused.
/// </summary>
public sealed class GraphQLOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "GraphQL";

    /// <summary>
    /// Largest HTTP request body and WebSocket message, in bytes (default 256 KiB): room for a
    /// largest document escaped as JSON (quotes and newlines double in size) plus variables. A
    /// larger POST body is answered 413 with problem details; a larger message closes the socket
    /// with 1009.
    /// </summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 256 * 1024;

    /// <summary>Largest document (the query text) in UTF-8 bytes (default 64 KiB); refused unparsed.</summary>
    [Range(128, 16 * 1024 * 1024)]
    public int MaxDocumentBytes { get; set; } = ExecutorOptions.DefaultMaxDocumentBytes;

    /// <summary>Most tokens in a document (default 10,000, graphql-js's <c>maxTokens</c>); parsing stops there.</summary>
    [Range(100, 1_000_000)]
    public int MaxTokens { get; set; } = ExecutorOptions.DefaultMaxTokens;

    /// <summary>Deepest nesting of the schema's own fields (default 12; the schema's deepest real query is 4).</summary>
    [Range(1, 100)]
    public int MaxDepth { get; set; } = 12;

    /// <summary>
    /// Deepest nesting below <c>__schema</c>/<c>__type</c> (default 20): graphql-js's
    /// <c>getIntrospectionQuery()</c> is 15 deep (9 <c>ofType</c> levels), so tools that unwrap a few
    /// more still work. <c>ofType</c> returns one object per level and null past the type's last
    /// wrapper, so depth here costs little; the recursion that multiplies (nested <c>fields</c>) is
    /// refused by validation.
    /// </summary>
    [Range(1, 100)]
    public int MaxIntrospectionDepth { get; set; } = 20;

    /// <summary>
    /// Largest complexity (default 20,000): every field counts 1, lists multiply their
    /// sub-selection by their <c>limit</c> argument or 20; introspection counts the fields it returns.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int MaxComplexity { get; set; } = 20_000;

    /// <summary>
    /// Longest a request (or one subscription event) may run, from parsing to its last resolver
    /// (default 10 s; the slowest real query, a large audit log page on PostgreSQL, takes milliseconds).
    /// The answer is then one <c>EXECUTION_TIMEOUT</c> error.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan ExecutionTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The executor options these limits make.</summary>
    internal ExecutorOptions ToExecutorOptions(TimeProvider time) => new()
    {
        MaxDocumentBytes = MaxDocumentBytes,
        Parser = new ParserOptions { MaxTokens = MaxTokens },
        Limits = new QueryLimits
        {
            MaxDepth = MaxDepth,
            MaxIntrospectionDepth = MaxIntrospectionDepth,
            MaxComplexity = MaxComplexity,
            DefaultListSize = 20,
        },
        ExecutionTimeout = ExecutionTimeout,
        TimeProvider = time,
    };
}

/// <summary>Checks <see cref="GraphQLOptions"/> (its ranges), naming each key; run at start and by <c>serve</c>'s config check.</summary>
public sealed class GraphQLOptionsValidator() : Engine.Hosting.OptionsSectionValidator<GraphQLOptions>(GraphQLOptions.Section);
