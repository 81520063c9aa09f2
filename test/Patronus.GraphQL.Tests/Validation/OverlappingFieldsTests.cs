using System.Diagnostics;
using Patronus.GraphQL.Language;
using Patronus.GraphQL.Types;
using Patronus.GraphQL.Validation;

namespace Patronus.GraphQL.Tests.Validation;

/// <summary>
/// Field merging on documents of many copies: the graphql-js algorithm compares every pair (n²/2;
/// 60,000 <c>__typename</c> took a minute), ours compares each distinct field once. The messages
/// themselves are checked against graphql-js by the conformance corpus (147–151).
/// </summary>
public sealed class OverlappingFieldsTests
{
    private static readonly Schema s_schema = TestSchema.Build();

    // Generous for a loaded 2-core machine: these run in well under a second; quadratic took minutes.
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(20);

    private static (IReadOnlyList<string> Errors, TimeSpan Took) Validate(string query)
    {
        var document = Parser.Parse(query, new ParserOptions { MaxTokens = int.MaxValue });
        var clock = Stopwatch.StartNew();
        var errors = DocumentValidator.Validate(s_schema, document).Select(e => e.Message).ToList();
        return (errors, clock.Elapsed);
    }

    private static string Repeat(string selection, int count) => string.Join(" ", Enumerable.Repeat(selection, count));

    private static readonly Dictionary<string, string> s_manyCopies = new()
    {
        ["60,000 __typename"] = "{ " + Repeat("__typename", 60_000) + " }",
        ["10,000 peers { id name }"] = "{ paths { " + Repeat("peers(first: 1) { id name }", 10_000) + " } }",
        ["30,000 x: name beside a fragment of 30,000 more"] = "{ paths { ...P " + Repeat("x: name", 30_000) + " } } fragment P on Path { " + Repeat("x: name", 30_000) + " }",
    };

    [Theory]
    [InlineData("60,000 __typename")]
    [InlineData("10,000 peers { id name }")]
    [InlineData("30,000 x: name beside a fragment of 30,000 more")]
    public void Validate_ManyCopies_LinearAndValid(string name)
    {
        var (errors, took) = Validate(s_manyCopies[name]);
        Assert.Empty(errors);
        Assert.True(took < s_bound, $"{name} took {took}");
    }

    [Fact]
    public void Validate_ManyCopiesAndOneConflict_StopsAtTheErrorLimit()
    {
        // 20,000 × 20,000 conflicting pairs: graphql-js would collect 400 million before reporting 100.
        var query = "{ paths { " + Repeat("x: id", 20_000) + " " + Repeat("x: name", 20_000) + " } }";
        var (errors, took) = Validate(query);
        Assert.Equal(101, errors.Count);
        Assert.Equal("Fields \"x\" conflict because \"id\" and \"name\" are different fields. Use different aliases on the fields to fetch both if this was intentional.", errors[0]);
        Assert.Equal("Too many validation errors, error limit reached. Validation aborted.", errors[^1]);
        Assert.True(took < s_bound, $"took {took}");
    }

    [Fact]
    public void Validate_CopiesWithConflictingSubfields_EveryPairReported()
    {
        var (errors, _) = Validate("{ paths { " + Repeat("peers { a: id a: name }", 4) + " } }");

        // Each of the 4 selection sets conflicts within itself; each of the 6 pairs of copies too.
        Assert.Equal(4, errors.Count(e => e.StartsWith("Fields \"a\"", StringComparison.Ordinal)));
        Assert.Equal(6, errors.Count(e => e.StartsWith("Fields \"peers\"", StringComparison.Ordinal)));
    }

    [Fact]
    public void Validate_Cancelled_Throws()
    {
        var document = Parser.Parse("{ paths { id } }");
        Assert.Throws<OperationCanceledException>(() => DocumentValidator.Validate(s_schema, document, cancellationToken: new CancellationToken(true)));
    }
}
