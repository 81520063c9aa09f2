namespace Patronus.GraphQL.Language;

public sealed partial class Parser
{
    private ValueNode ParseValueLiteral(bool isConst)
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.BracketL:
                {
                    Enter();
                    var list = Node(token, new ListValueNode(Any(TokenKind.BracketL, () => ParseValueLiteral(isConst), TokenKind.BracketR)));
                    Leave();
                    return list;
                }

            case TokenKind.BraceL:
                {
                    Enter();
                    var obj = Node(token, new ObjectValueNode(Any(TokenKind.BraceL, () => ParseObjectField(isConst), TokenKind.BraceR)));
                    Leave();
                    return obj;
                }

            case TokenKind.Int:
                Advance();
                return Node(token, new IntValueNode(token.Value!));
            case TokenKind.Float:
                Advance();
                return Node(token, new FloatValueNode(token.Value!));
            case TokenKind.String or TokenKind.BlockString:
                return ParseStringLiteral();
            case TokenKind.Name:
                Advance();
                return token.Value switch
                {
                    "true" => Node(token, new BooleanValueNode(true)),
                    "false" => Node(token, new BooleanValueNode(false)),
                    "null" => Node(token, new NullValueNode()),
                    _ => Node(token, new EnumValueNode(token.Value!)),
                };
            case TokenKind.Dollar:
                if (isConst)
                {
                    Advance();
                    if (Current.Kind == TokenKind.Name)
                    {
                        throw Error(token, $"Unexpected variable \"${Current.Value}\" in constant value.");
                    }

                    throw Unexpected(token);
                }

                return ParseVariable();
            default:
                throw Unexpected(token);
        }
    }

    private StringValueNode ParseStringLiteral()
    {
        var token = Current;
        Advance();
        return Node(token, new StringValueNode(token.Value!, token.Kind == TokenKind.BlockString));
    }

    private ObjectFieldNode ParseObjectField(bool isConst)
    {
        var start = Current;
        var name = ParseName();
        Expect(TokenKind.Colon);
        return Node(start, new ObjectFieldNode(name, ParseValueLiteral(isConst)));
    }
}
