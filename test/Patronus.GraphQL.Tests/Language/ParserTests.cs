using Patronus.GraphQL.Language;

namespace Patronus.GraphQL.Tests.Language;

public sealed class ParserTests
{
    [Fact]
    public void Parse_Query_RecordsLineAndColumn()
    {
        var document = Parser.Parse("query Q {\n  paths(first: 2) {\n    id\n  }\n}");
        var operation = Assert.IsType<OperationDefinitionNode>(document.Definitions[0]);
        var field = Assert.IsType<FieldNode>(operation.SelectionSet.Selections[0]);
        Assert.Equal(new SourceLocation(2, 3), field.Location.StartLocation);
        var id = Assert.IsType<FieldNode>(field.SelectionSet!.Selections[0]);
        Assert.Equal(new SourceLocation(3, 5), id.Location.StartLocation);
        Assert.Equal("2", Assert.IsType<IntValueNode>(field.Arguments[0].Value).Value);
    }

    [Theory]
    [InlineData("{ a", "Syntax Error: Expected Name, found <EOF>.", 1, 4)]
    [InlineData("{ a % }", "Syntax Error: Unexpected character: \"%\".", 1, 5)]
    [InlineData("", "Syntax Error: Unexpected <EOF>.", 1, 1)]
    [InlineData("{ a(x: 01) }", "Syntax Error: Invalid number, unexpected digit after 0: \"1\".", 1, 9)]
    [InlineData("{ a(x: \"abc) }", "Syntax Error: Unterminated string.", 1, 15)]
    [InlineData("query ($a: Int = $b) { a }", "Syntax Error: Unexpected variable \"$b\" in constant value.", 1, 18)]
    [InlineData("fragment on on T { a }", "Syntax Error: Unexpected Name \"on\".", 1, 10)]
    [InlineData("{ a(x: 'y') }", "Syntax Error: Unexpected single quote character ('), did you mean to use a double quote (\")?", 1, 8)]
    public void TryParse_InvalidDocument_ReportsGraphqlJsMessageAndLocation(string source, string message, int line, int column)
    {
        Assert.False(Parser.TryParse(source, out _, out var error));
        Assert.Equal(message, error!.Message);
        Assert.Equal(new SourceLocation(line, column), error.SourceLocation);
    }

    [Fact]
    public void Parse_BlockString_DedentsAndKeepsEscapedQuotes()
    {
        var value = Parser.ParseValue("\"\"\"\n    hello\n      world \\\"\"\"\n\"\"\"");
        Assert.Equal("hello\n  world \"\"\"", Assert.IsType<StringValueNode>(value).Value);
    }

    [Fact]
    public void Parse_StringEscapes_AreCooked()
    {
        var value = Parser.ParseValue("\"a\\n\\u0041\\u{1F600}\\\"\"");
        Assert.Equal("a\nA\U0001F600\"", Assert.IsType<StringValueNode>(value).Value);
    }

    [Fact]
    public void Parse_TypeSystemDocument_ParsesEveryDefinitionKind()
    {
        var document = Parser.Parse("""
            "desc" schema { query: Q }
            scalar Date @specifiedBy(url: "x")
            type Q implements A & B @d { f(a: Int = 1): [String!]! }
            interface A implements B { f: Int }
            union U = | X | Y
            enum E { ONE TWO @deprecated }
            input I { a: Int = 2 }
            directive @d(x: Int) repeatable on FIELD | OBJECT
            extend type Q { g: Int }
            """);
        Assert.Equal(9, document.Definitions.Count);
        Assert.True(Assert.IsType<DirectiveDefinitionNode>(document.Definitions[7]).Repeatable);
        Assert.True(Assert.IsType<ObjectTypeDefinitionNode>(document.Definitions[8]).IsExtension);
    }

    [Fact]
    public void Parse_DeepNesting_IsASyntaxErrorNotAStackOverflow()
    {
        var source = new string('[', 100_000);
        Assert.False(Parser.TryParse("{ a(x: " + source + ") }", out _, out var error));
        Assert.Contains("nesting", error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_RandomInput_NeverThrows()
    {
        var random = new Random(7);
        const string alphabet = "{}()[]:$@!.=|&\"\\#,\n abcXYZ019-_eE\u00e9\t\r'";
        for (var i = 0; i < 2000; i++)
        {
            var chars = new char[random.Next(0, 40)];
            for (var j = 0; j < chars.Length; j++)
            {
                chars[j] = alphabet[random.Next(alphabet.Length)];
            }

            _ = Parser.TryParse(new string(chars), out _, out _);
        }
    }
}
