using Patronus.GraphQL.Types;
using Patronus.GraphQL.Utilities;

namespace Patronus.GraphQL.Tests.Utilities;

public sealed class SchemaPrinterTests
{
    [Fact]
    public void Print_SmallSchema_MatchesGraphqlJsShape()
    {
        var schema = new SchemaBuilder()
            .Enum("Color", e => e.Value("RED").Value("BLUE", deprecationReason: "Gone"))
            .Object("Query", o => o
                .Description("Root.")
                .Field("color", "Color", f => f.Argument("c", "Color", a => a.DefaultValue("RED")).Argument("n", "[Int!]", a => a.DefaultLiteral("1")))
                .Field("old", "String", f => f.Deprecated()))
            .Build();
        Assert.Equal(
            "enum Color {\n  RED\n  BLUE @deprecated(reason: \"Gone\")\n}\n\n\"\"\"Root.\"\"\"\ntype Query {\n  color(c: Color = RED, n: [Int!] = [1]): Color\n  old: String @deprecated\n}",
            SchemaPrinter.Print(schema));
    }
}
