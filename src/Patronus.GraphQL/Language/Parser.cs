namespace Patronus.GraphQL.Language;

/// <summary>Limits that keep hostile documents from exhausting the parser.</summary>
public sealed record ParserOptions
{
    /// <summary>Most tokens a document may have (default 100,000).</summary>
    public int MaxTokens { get; init; } = 100_000;

    /// <summary>
    /// Deepest nesting of selection sets, lists, objects and type wrappers (default 200). Guards the
    /// recursive descent, validation and execution against stack exhaustion on hostile input.
    /// </summary>
    public int MaxNesting { get; init; } = 200;
}

/// <summary>The GraphQL parser (spec §2 and §3, October 2021): a port of graphql-js's recursive descent.</summary>
public sealed partial class Parser
{
    private readonly Lexer _lexer;
    private readonly ParserOptions _options;
    private int _tokenCount;
    private int _nesting;

    private Parser(string source, ParserOptions? options)
    {
        _lexer = new Lexer(source);
        _options = options ?? new ParserOptions();
    }

    /// <summary>Parses a document; throws <see cref="GraphQLSyntaxException"/> on a syntax error.</summary>
    public static DocumentNode Parse(string source, ParserOptions? options = null)
    {
        var parser = new Parser(source, options);
        return parser.ParseDocument();
    }

    /// <summary>Parses a document without throwing: false and the error on a syntax error.</summary>
    public static bool TryParse(string source, out DocumentNode? document, out GraphQLSyntaxException? error, ParserOptions? options = null)
    {
        try
        {
            document = Parse(source, options);
            error = null;
            return true;
        }
        catch (GraphQLSyntaxException e)
        {
            document = null;
            error = e;
            return false;
        }
    }

    /// <summary>Parses a single value literal (variables allowed), e.g. <c>[1, $x]</c>.</summary>
    public static ValueNode ParseValue(string source)
    {
        var parser = new Parser(source, null);
        parser.Expect(TokenKind.StartOfFile);
        var value = parser.ParseValueLiteral(false);
        parser.Expect(TokenKind.EndOfFile);
        return value;
    }

    /// <summary>Parses a type reference, e.g. <c>[String!]!</c>.</summary>
    public static TypeNode ParseType(string source)
    {
        var parser = new Parser(source, null);
        parser.Expect(TokenKind.StartOfFile);
        var type = parser.ParseTypeReference();
        parser.Expect(TokenKind.EndOfFile);
        return type;
    }

    private Token Current => _lexer.Token;

    private Token Advance()
    {
        var token = _lexer.Advance();
        if (token.Kind != TokenKind.EndOfFile && ++_tokenCount > _options.MaxTokens)
        {
            throw new GraphQLSyntaxException($"Document contains more than {_options.MaxTokens} tokens. Parsing aborted.", new SourceLocation(token.Line, token.Column));
        }

        return token;
    }

    private T Node<T>(Token start, T node)
        where T : Node => node with { Location = new Location(start.Start, _lexer.LastToken.End, start.Line, start.Column) };

    private void Enter()
    {
        if (++_nesting > _options.MaxNesting)
        {
            throw new GraphQLSyntaxException($"Document nesting exceeds {_options.MaxNesting} levels.", new SourceLocation(Current.Line, Current.Column));
        }
    }

    private void Leave() => _nesting--;

    private bool Peek(TokenKind kind) => Current.Kind == kind;

    private Token Expect(TokenKind kind)
    {
        var token = Current;
        if (token.Kind == kind)
        {
            Advance();
            return token;
        }

        throw Error(token, $"Expected {KindDescription(kind)}, found {token.Describe()}.");
    }

    private bool Skip(TokenKind kind)
    {
        if (Current.Kind != kind)
        {
            return false;
        }

        Advance();
        return true;
    }

    private void ExpectKeyword(string value)
    {
        if (!SkipKeyword(value))
        {
            throw Error(Current, $"Expected \"{value}\", found {Current.Describe()}.");
        }
    }

    private bool SkipKeyword(string value)
    {
        if (Current.Kind == TokenKind.Name && Current.Value == value)
        {
            Advance();
            return true;
        }

        return false;
    }

    private static string KindDescription(TokenKind kind) => kind switch
    {
        TokenKind.Name or TokenKind.Int or TokenKind.Float or TokenKind.String or TokenKind.BlockString => kind.ToString(),
        TokenKind.EndOfFile => "<EOF>",
        _ => $"\"{Token.KindText(kind)}\"",
    };

    private static GraphQLSyntaxException Error(Token token, string message) => new(message, new SourceLocation(token.Line, token.Column));

    private static GraphQLSyntaxException Unexpected(Token token) => Error(token, $"Unexpected {token.Describe()}.");

    private List<T> Many<T>(TokenKind open, Func<T> item, TokenKind close)
    {
        Expect(open);
        var items = new List<T>();
        do
        {
            items.Add(item());
        }
        while (!Skip(close));
        return items;
    }

    private List<T> OptionalMany<T>(TokenKind open, Func<T> item, TokenKind close) => Peek(open) ? Many(open, item, close) : [];

    private List<T> Any<T>(TokenKind open, Func<T> item, TokenKind close)
    {
        Expect(open);
        var items = new List<T>();
        while (!Skip(close))
        {
            items.Add(item());
        }

        return items;
    }

    private NameNode ParseName()
    {
        var token = Expect(TokenKind.Name);
        return Node(token, new NameNode(token.Value!));
    }

    private DocumentNode ParseDocument()
    {
        var start = Current;
        return Node(start, new DocumentNode(Many(TokenKind.StartOfFile, ParseDefinition, TokenKind.EndOfFile)));
    }

    private DefinitionNode ParseDefinition()
    {
        if (Peek(TokenKind.BraceL))
        {
            return ParseOperationDefinition();
        }

        var hasDescription = PeekDescription();
        var keyword = hasDescription ? _lexer.Lookahead() : Current;
        if (keyword.Kind == TokenKind.Name)
        {
            switch (keyword.Value)
            {
                case "schema" or "scalar" or "type" or "interface" or "union" or "enum" or "input" or "directive":
                    return ParseTypeSystemDefinition();
            }

            if (hasDescription)
            {
                throw Error(Current, "Unexpected description, descriptions are supported only on type definitions.");
            }

            switch (keyword.Value)
            {
                case "query" or "mutation" or "subscription":
                    return ParseOperationDefinition();
                case "fragment":
                    return ParseFragmentDefinition();
                case "extend":
                    return ParseTypeSystemExtension();
            }
        }

        throw Unexpected(keyword);
    }

    private OperationDefinitionNode ParseOperationDefinition()
    {
        var start = Current;
        if (Peek(TokenKind.BraceL))
        {
            return Node(start, new OperationDefinitionNode(OperationType.Query, null, [], [], ParseSelectionSet()));
        }

        var operation = ParseOperationType();
        var name = Peek(TokenKind.Name) ? ParseName() : null;
        return Node(start, new OperationDefinitionNode(operation, name, ParseVariableDefinitions(), ParseDirectives(false), ParseSelectionSet()));
    }

    private OperationType ParseOperationType()
    {
        var token = Expect(TokenKind.Name);
        return token.Value switch
        {
            "query" => OperationType.Query,
            "mutation" => OperationType.Mutation,
            "subscription" => OperationType.Subscription,
            _ => throw Unexpected(token),
        };
    }

    private List<VariableDefinitionNode> ParseVariableDefinitions() =>
        OptionalMany(TokenKind.ParenL, ParseVariableDefinition, TokenKind.ParenR);

    private VariableDefinitionNode ParseVariableDefinition()
    {
        var start = Current;
        var variable = ParseVariable();
        Expect(TokenKind.Colon);
        var type = ParseTypeReference();
        var defaultValue = Skip(TokenKind.Equals) ? ParseValueLiteral(true) : null;
        return Node(start, new VariableDefinitionNode(variable, type, defaultValue, ParseDirectives(true)));
    }

    private VariableNode ParseVariable()
    {
        var start = Current;
        Expect(TokenKind.Dollar);
        return Node(start, new VariableNode(ParseName()));
    }

    private SelectionSetNode ParseSelectionSet()
    {
        Enter();
        var start = Current;
        var set = Node(start, new SelectionSetNode(Many(TokenKind.BraceL, ParseSelection, TokenKind.BraceR)));
        Leave();
        return set;
    }

    private SelectionNode ParseSelection() => Peek(TokenKind.Spread) ? ParseFragment() : ParseField();

    private FieldNode ParseField()
    {
        var start = Current;
        var nameOrAlias = ParseName();
        NameNode? alias = null;
        var name = nameOrAlias;
        if (Skip(TokenKind.Colon))
        {
            alias = nameOrAlias;
            name = ParseName();
        }

        var arguments = ParseArguments(false);
        var directives = ParseDirectives(false);
        var selectionSet = Peek(TokenKind.BraceL) ? ParseSelectionSet() : null;
        return Node(start, new FieldNode(alias, name, arguments, directives, selectionSet));
    }

    private List<ArgumentNode> ParseArguments(bool isConst) =>
        OptionalMany(TokenKind.ParenL, () => ParseArgument(isConst), TokenKind.ParenR);

    private ArgumentNode ParseArgument(bool isConst)
    {
        var start = Current;
        var name = ParseName();
        Expect(TokenKind.Colon);
        return Node(start, new ArgumentNode(name, ParseValueLiteral(isConst)));
    }

    private SelectionNode ParseFragment()
    {
        var start = Current;
        Expect(TokenKind.Spread);
        var hasTypeCondition = SkipKeyword("on");
        if (!hasTypeCondition && Peek(TokenKind.Name))
        {
            return Node(start, new FragmentSpreadNode(ParseFragmentName(), ParseDirectives(false)));
        }

        var typeCondition = hasTypeCondition ? ParseNamedType() : null;
        return Node(start, new InlineFragmentNode(typeCondition, ParseDirectives(false), ParseSelectionSet()));
    }

    private FragmentDefinitionNode ParseFragmentDefinition()
    {
        var start = Current;
        ExpectKeyword("fragment");
        var name = ParseFragmentName();
        ExpectKeyword("on");
        var typeCondition = ParseNamedType();
        return Node(start, new FragmentDefinitionNode(name, typeCondition, ParseDirectives(false), ParseSelectionSet()));
    }

    private NameNode ParseFragmentName()
    {
        if (Current.Kind == TokenKind.Name && Current.Value == "on")
        {
            throw Unexpected(Current);
        }

        return ParseName();
    }

    private List<DirectiveNode> ParseDirectives(bool isConst)
    {
        var directives = new List<DirectiveNode>();
        while (Peek(TokenKind.At))
        {
            var start = Current;
            Advance();
            var name = ParseName();
            directives.Add(Node(start, new DirectiveNode(name, ParseArguments(isConst))));
        }

        return directives;
    }

    private NamedTypeNode ParseNamedType()
    {
        var start = Current;
        return Node(start, new NamedTypeNode(ParseName()));
    }

    private TypeNode ParseTypeReference()
    {
        var start = Current;
        TypeNode type;
        if (Skip(TokenKind.BracketL))
        {
            Enter();
            var inner = ParseTypeReference();
            Expect(TokenKind.BracketR);
            Leave();
            type = Node(start, new ListTypeNode(inner));
        }
        else
        {
            type = ParseNamedType();
        }

        return Skip(TokenKind.Bang) ? Node(start, new NonNullTypeNode(type)) : type;
    }
}
