using Patronus.GraphQL.Types;

namespace Patronus.GraphQL.Tests.Execution;

public sealed class SchemaBuilderTests
{
    [Fact]
    public void Build_InvalidTypeSystem_ListsEveryProblem()
    {
        var error = Assert.Throws<SchemaValidationException>(() => new SchemaBuilder()
            .Interface("Node", i => i.Field("id", "ID!").Field("tags", "[String]", f => f.Argument("first", "Int")))
            .Object("Thing", o => o.Implements("Node").Field("id", "String").Field("tags", "[String]"))
            .Object("Empty", o => { })
            .Union("U", u => { })
            .InputObject("Loop", i => i.Field("self", "Loop!"))
            .Object("Query", o => o.Field("thing", "Thing").Field("u", "U").Field("bad", "Nope").Field("e", "Empty").Field("x", "Int", f => f.Argument("l", "Loop")))
            .Build());
        Assert.Contains("Query.bad: unknown type \"Nope\".", error.Errors);
        var all = new SchemaValidationException(error.Errors).Message;
        Assert.Contains("unknown type", all, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_ImplementationChecks_FollowSpec()
    {
        var error = Assert.Throws<SchemaValidationException>(() => new SchemaBuilder()
            .Interface("Node", i => i.Field("id", "ID!").Field("tags", "[String]", f => f.Argument("first", "Int")))
            .Object("Thing", o => o.Implements("Node").Field("id", "String").Field("tags", "[String]"))
            .Object("Query", o => o.Field("thing", "Thing"))
            .Build());
        Assert.Equal(
            [
                "Interface field Node.id expects type ID! but Thing.id is type String.",
                "Interface field argument Node.tags(first:) expected but Thing.tags does not provide it.",
            ],
            error.Errors);
    }

    [Fact]
    public void Build_NonNullInputCycle_IsRejected()
    {
        var error = Assert.Throws<SchemaValidationException>(() => new SchemaBuilder()
            .InputObject("Loop", i => i.Field("self", "Loop!"))
            .Object("Query", o => o.Field("x", "Int", f => f.Argument("l", "Loop")))
            .Build());
        Assert.Equal(["Cannot reference Input Object \"Loop\" within itself through a series of non-null fields: \"self\"."], error.Errors);
    }

    [Fact]
    public void Build_EmptyTypes_AreRejected()
    {
        var error = Assert.Throws<SchemaValidationException>(() => new SchemaBuilder()
            .Object("Empty", o => { })
            .Union("U", u => { })
            .Object("Query", o => o.Field("e", "Empty").Field("u", "U"))
            .Build());
        Assert.Equal(["Type Empty must define one or more fields.", "Union type U must define one or more member types."], error.Errors);
    }
}
