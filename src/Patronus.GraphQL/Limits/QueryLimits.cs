namespace Patronus.GraphQL.Limits;

/// <summary>
/// Limits checked after validation and before execution; a request over a limit is rejected whole
/// with one error per exceeded limit and nothing runs (<see cref="QueryLimitsChecker"/>).
/// </summary>
/// <remarks>
/// Introspection (<c>__schema</c>, <c>__type</c> and everything below them) is measured apart from
/// the application's fields, because its shape is fixed by the spec and its size is known before
/// anything runs: the standard introspection query of graphql-js (<c>getIntrospectionQuery()</c>, what
/// GraphiQL, Apollo, Postman and code generators send) nests 15 levels, 9 of them <c>ofType</c>
/// to unwrap types such as <c>[[String!]!]!</c>, and asks for every list of every type, which a
/// list multiplier prices at hundreds of thousands although the answer is a few thousand fields.
/// So introspection fields do not count towards <see cref="MaxDepth"/>; they have their own
/// <see cref="MaxIntrospectionDepth"/>, and they cost what they return: their complexity is counted
/// by evaluating them against the schema (which is finite and in memory) rather than estimated. The
/// recursion that could make introspection explode (<c>fields</c> → <c>type</c> → <c>fields</c> …) is
/// refused by validation as graphql-js refuses it (3 nested <c>fields</c>/<c>interfaces</c>/
/// <c>possibleTypes</c>/<c>inputFields</c>), and many aliased copies add up in the complexity.
/// </remarks>
public sealed record QueryLimits
{
    /// <summary>No limits.</summary>
    public static QueryLimits None { get; } = new();

    /// <summary>
    /// Deepest nesting of the application's fields (root fields are depth 1; <c>__typename</c> and
    /// introspection fields are not counted); null: unlimited (default).
    /// </summary>
    public int? MaxDepth { get; init; }

    /// <summary>
    /// Deepest nesting below <c>__schema</c> or <c>__type</c> (which is depth 1); null: unlimited
    /// (default). graphql-js's <c>getIntrospectionQuery()</c> is 15 deep.
    /// </summary>
    public int? MaxIntrospectionDepth { get; init; }

    /// <summary>
    /// Largest complexity allowed; null: unlimited (default). Complexity is the sum over selected
    /// fields of the field's cost (default 1; <c>__typename</c> 1), where a list field multiplies
    /// its sub-selection's complexity by its size: the value of its <c>ListSize</c> argument when
    /// given, else <see cref="DefaultListSize"/>. Fragments on different types all count (an upper
    /// bound). An introspection field costs the number of fields it returns when evaluated against
    /// the schema; that evaluation stops once the total exceeds this limit.
    /// </summary>
    public int? MaxComplexity { get; init; }

    /// <summary>Assumed size of a list field without a size argument (default 10).</summary>
    public int DefaultListSize { get; init; } = 10;
}

/// <summary>What <see cref="QueryLimitsChecker.Measure"/> found in an operation.</summary>
/// <param name="Depth">Deepest nesting of application fields.</param>
/// <param name="IntrospectionDepth">Deepest nesting below <c>__schema</c>/<c>__type</c> (0 without introspection).</param>
/// <param name="Complexity">The complexity (<see cref="QueryLimits.MaxComplexity"/>); past that limit, a lower bound.</param>
public readonly record struct QueryMeasure(int Depth, int IntrospectionDepth, long Complexity);
