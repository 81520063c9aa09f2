namespace Patronus.GraphQL.Language;

public sealed partial class Parser
{
    private bool PeekDescription() => Peek(TokenKind.String) || Peek(TokenKind.BlockString);

    private StringValueNode? ParseDescription() => PeekDescription() ? ParseStringLiteral() : null;

    private TypeSystemDefinitionNode ParseTypeSystemDefinition()
    {
        var start = Current;
        var description = ParseDescription();
        var keyword = Current;
        switch (keyword.Value)
        {
            case "schema":
                {
                    Advance();
                    var directives = ParseDirectives(true);
                    var types = Many(TokenKind.BraceL, ParseOperationTypeDefinition, TokenKind.BraceR);
                    return Node(start, new SchemaDefinitionNode(description, types) { Directives = directives });
                }

            case "scalar":
                {
                    Advance();
                    var name = ParseName();
                    return Node(start, new ScalarTypeDefinitionNode(description, name) { Directives = ParseDirectives(true) });
                }

            case "type":
                {
                    Advance();
                    var name = ParseName();
                    var interfaces = ParseImplementsInterfaces();
                    var directives = ParseDirectives(true);
                    return Node(start, new ObjectTypeDefinitionNode(description, name, interfaces, ParseFieldsDefinition()) { Directives = directives });
                }

            case "interface":
                {
                    Advance();
                    var name = ParseName();
                    var interfaces = ParseImplementsInterfaces();
                    var directives = ParseDirectives(true);
                    return Node(start, new InterfaceTypeDefinitionNode(description, name, interfaces, ParseFieldsDefinition()) { Directives = directives });
                }

            case "union":
                {
                    Advance();
                    var name = ParseName();
                    var directives = ParseDirectives(true);
                    return Node(start, new UnionTypeDefinitionNode(description, name, ParseUnionMembers()) { Directives = directives });
                }

            case "enum":
                {
                    Advance();
                    var name = ParseName();
                    var directives = ParseDirectives(true);
                    return Node(start, new EnumTypeDefinitionNode(description, name, ParseEnumValues()) { Directives = directives });
                }

            case "input":
                {
                    Advance();
                    var name = ParseName();
                    var directives = ParseDirectives(true);
                    return Node(start, new InputObjectTypeDefinitionNode(description, name, ParseInputFields()) { Directives = directives });
                }

            case "directive":
                return ParseDirectiveDefinition(start, description);
            default:
                throw Unexpected(keyword);
        }
    }

    private TypeSystemDefinitionNode ParseTypeSystemExtension()
    {
        var start = Current;
        var keyword = _lexer.Lookahead();
        if (keyword.Kind != TokenKind.Name)
        {
            throw Unexpected(keyword);
        }

        ExpectKeyword("extend");
        Advance();
        TypeSystemDefinitionNode node;
        switch (keyword.Value)
        {
            case "schema":
                {
                    var directives = ParseDirectives(true);
                    var types = OptionalMany(TokenKind.BraceL, ParseOperationTypeDefinition, TokenKind.BraceR);
                    node = new SchemaExtensionNode(types) { Directives = directives };
                    return RequireSome(node, directives.Count + types.Count);
                }

            case "scalar":
                {
                    var name = ParseName();
                    var directives = ParseDirectives(true);
                    return RequireSome(new ScalarTypeDefinitionNode(null, name, true) { Directives = directives }, directives.Count);
                }

            case "type" or "interface":
                {
                    var name = ParseName();
                    var interfaces = ParseImplementsInterfaces();
                    var directives = ParseDirectives(true);
                    var fields = ParseFieldsDefinition();
                    node = keyword.Value == "type"
                        ? new ObjectTypeDefinitionNode(null, name, interfaces, fields, true) { Directives = directives }
                        : new InterfaceTypeDefinitionNode(null, name, interfaces, fields, true) { Directives = directives };
                    return RequireSome(node, interfaces.Count + directives.Count + fields.Count);
                }

            case "union":
                {
                    var name = ParseName();
                    var directives = ParseDirectives(true);
                    var types = ParseUnionMembers();
                    return RequireSome(new UnionTypeDefinitionNode(null, name, types, true) { Directives = directives }, directives.Count + types.Count);
                }

            case "enum":
                {
                    var name = ParseName();
                    var directives = ParseDirectives(true);
                    var values = ParseEnumValues();
                    return RequireSome(new EnumTypeDefinitionNode(null, name, values, true) { Directives = directives }, directives.Count + values.Count);
                }

            case "input":
                {
                    var name = ParseName();
                    var directives = ParseDirectives(true);
                    var fields = ParseInputFields();
                    return RequireSome(new InputObjectTypeDefinitionNode(null, name, fields, true) { Directives = directives }, directives.Count + fields.Count);
                }

            default:
                throw Unexpected(keyword);
        }

        TypeSystemDefinitionNode RequireSome(TypeSystemDefinitionNode extension, int parts) =>
            parts == 0 ? throw Unexpected(Current) : Node(start, extension);
    }

    private OperationTypeDefinitionNode ParseOperationTypeDefinition()
    {
        var start = Current;
        var operation = ParseOperationType();
        Expect(TokenKind.Colon);
        return Node(start, new OperationTypeDefinitionNode(operation, ParseNamedType()));
    }

    private List<NamedTypeNode> ParseImplementsInterfaces()
    {
        var types = new List<NamedTypeNode>();
        if (!SkipKeyword("implements"))
        {
            return types;
        }

        Skip(TokenKind.Amp);
        do
        {
            types.Add(ParseNamedType());
        }
        while (Skip(TokenKind.Amp));
        return types;
    }

    private List<FieldDefinitionNode> ParseFieldsDefinition() =>
        OptionalMany(TokenKind.BraceL, ParseFieldDefinition, TokenKind.BraceR);

    private FieldDefinitionNode ParseFieldDefinition()
    {
        var start = Current;
        var description = ParseDescription();
        var name = ParseName();
        var args = OptionalMany(TokenKind.ParenL, ParseInputValueDefinition, TokenKind.ParenR);
        Expect(TokenKind.Colon);
        var type = ParseTypeReference();
        return Node(start, new FieldDefinitionNode(description, name, args, type, ParseDirectives(true)));
    }

    private InputValueDefinitionNode ParseInputValueDefinition()
    {
        var start = Current;
        var description = ParseDescription();
        var name = ParseName();
        Expect(TokenKind.Colon);
        var type = ParseTypeReference();
        var defaultValue = Skip(TokenKind.Equals) ? ParseValueLiteral(true) : null;
        return Node(start, new InputValueDefinitionNode(description, name, type, defaultValue, ParseDirectives(true)));
    }

    private List<NamedTypeNode> ParseUnionMembers()
    {
        var types = new List<NamedTypeNode>();
        if (!Skip(TokenKind.Equals))
        {
            return types;
        }

        Skip(TokenKind.Pipe);
        do
        {
            types.Add(ParseNamedType());
        }
        while (Skip(TokenKind.Pipe));
        return types;
    }

    private List<EnumValueDefinitionNode> ParseEnumValues() =>
        OptionalMany(TokenKind.BraceL, ParseEnumValueDefinition, TokenKind.BraceR);

    private EnumValueDefinitionNode ParseEnumValueDefinition()
    {
        var start = Current;
        var description = ParseDescription();
        if (Current.Kind == TokenKind.Name && Current.Value is "true" or "false" or "null")
        {
            throw Error(Current, $"{Current.Value} is reserved and cannot be used for an enum value.");
        }

        var name = ParseName();
        return Node(start, new EnumValueDefinitionNode(description, name, ParseDirectives(true)));
    }

    private List<InputValueDefinitionNode> ParseInputFields() =>
        OptionalMany(TokenKind.BraceL, ParseInputValueDefinition, TokenKind.BraceR);

    private DirectiveDefinitionNode ParseDirectiveDefinition(Token start, StringValueNode? description)
    {
        ExpectKeyword("directive");
        Expect(TokenKind.At);
        var name = ParseName();
        var args = OptionalMany(TokenKind.ParenL, ParseInputValueDefinition, TokenKind.ParenR);
        var repeatable = SkipKeyword("repeatable");
        ExpectKeyword("on");
        Skip(TokenKind.Pipe);
        var locations = new List<NameNode>();
        do
        {
            var token = Current;
            var location = ParseName();
            if (!Types.DirectiveLocations.TryParse(location.Value, out _))
            {
                throw Unexpected(token);
            }

            locations.Add(location);
        }
        while (Skip(TokenKind.Pipe));
        return Node(start, new DirectiveDefinitionNode(description, name, args, repeatable, locations));
    }
}
