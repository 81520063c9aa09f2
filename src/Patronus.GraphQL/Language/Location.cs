namespace Patronus.GraphQL.Language;

/// <summary>A 1-based line and column in a GraphQL source text, as the spec's error format reports it.</summary>
public readonly record struct SourceLocation(int Line, int Column);

/// <summary>Where an AST node or token sits in its source: character offsets [Start, End) and the start's line/column.</summary>
public readonly record struct Location(int Start, int End, int Line, int Column)
{
    /// <summary>The start as a line/column pair.</summary>
    public SourceLocation StartLocation => new(Line, Column);
}
