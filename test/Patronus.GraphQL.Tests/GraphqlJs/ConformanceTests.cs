using System.Text;
using Patronus.GraphQL.Language;
using Patronus.GraphQL.Utilities;
using Patronus.GraphQL.Validation;

namespace Patronus.GraphQL.Tests.GraphqlJs;

public sealed class ConformanceTests(GraphqlJsOracle oracle) : IClassFixture<GraphqlJsOracle>
{
    [Fact]
    public void IntrospectionQuery_IsGraphqlJsCurrent()
    {
        Assert.Equal(oracle.Output.GetProperty("introspectionQuery").GetString()!.Trim(), oracle.IntrospectionQuery.Trim());
    }

    [Fact]
    public void Introspection_BuildClientSchemaAndValidateSchema_Accept()
    {
        var errors = oracle.Output.GetProperty("schemaErrors").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.True(errors.Count == 0, "graphql-js validateSchema: " + string.Join("\n", errors));
    }

    [Fact]
    public void SchemaPrinter_Sorted_MatchesGraphqlJs()
    {
        Assert.Equal(oracle.Output.GetProperty("printedSorted").GetString(), SchemaPrinter.Print(oracle.Schema, sorted: true));
    }

    [Fact]
    public void SchemaPrinter_DefinitionOrder_MatchesGraphqlJs()
    {
        Assert.Equal(oracle.Output.GetProperty("printed").GetString(), SchemaPrinter.Print(oracle.Schema));
    }

    [Fact]
    public void Corpus_HasAtLeastHundredDocuments()
    {
        Assert.True(oracle.Documents.Count >= 100, $"{oracle.Documents.Count} documents");
    }

    [Fact]
    public void Corpus_AcceptRejectVerdicts_MatchGraphqlJs()
    {
        var mismatches = new StringBuilder();
        foreach (var (name, text) in oracle.Documents)
        {
            var theirs = Their(name);
            var ours = Ours(text);
            if (theirs.Valid != (ours.Count == 0))
            {
                mismatches.AppendLine($"{name}: graphql-js {(theirs.Valid ? "accepts" : "rejects: " + string.Join(" | ", theirs.Messages))}; we {(ours.Count == 0 ? "accept" : "reject: " + string.Join(" | ", ours))}");
            }
        }

        Assert.True(mismatches.Length == 0, "Verdicts differ:\n" + mismatches);
    }

    [Fact]
    public void Corpus_ErrorMessages_MatchGraphqlJs()
    {
        var mismatches = new StringBuilder();
        foreach (var (name, text) in oracle.Documents)
        {
            var theirs = Their(name);
            var ours = Ours(text);
            if (!theirs.Messages.Order(StringComparer.Ordinal).SequenceEqual(ours.Order(StringComparer.Ordinal)))
            {
                mismatches.AppendLine($"{name}:\n  graphql-js: {string.Join(" | ", theirs.Messages)}\n  ours:       {string.Join(" | ", ours)}");
            }
        }

        Assert.True(mismatches.Length == 0, "Messages differ:\n" + mismatches);
    }

    private (bool Valid, List<string> Messages) Their(string name)
    {
        var verdict = oracle.Output.GetProperty("verdicts").GetProperty(name);
        var syntax = verdict.GetProperty("syntaxError").GetString();
        var messages = syntax is not null ? [syntax] : verdict.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
        return (messages.Count == 0, messages);
    }

    private List<string> Ours(string text) =>
        Parser.TryParse(text, out var document, out var syntaxError)
            ? DocumentValidator.Validate(oracle.Schema, document!).Select(e => e.Message).ToList()
            : [syntaxError!.Message];
}
