namespace Patronus.GraphQL.Language;

/// <summary>Lexical token kinds (spec §2.1).</summary>
public enum TokenKind
{
    StartOfFile,
    EndOfFile,
    Bang,
    Dollar,
    Amp,
    ParenL,
    ParenR,
    Spread,
    Colon,
    Equals,
    At,
    BracketL,
    BracketR,
    BraceL,
    Pipe,
    BraceR,
    Name,
    Int,
    Float,
    String,
    BlockString,
}

/// <summary>One token: kind, source span [Start, End), start line/column and the cooked value for names, numbers and strings.</summary>
public readonly record struct Token(TokenKind Kind, int Start, int End, int Line, int Column, string? Value)
{
    /// <summary>How graphql-js describes the token in "Expected …, found …" messages.</summary>
    public string Describe() => Kind switch
    {
        TokenKind.EndOfFile => "<EOF>",
        TokenKind.Name => $"Name \"{Value}\"",
        TokenKind.Int => $"Int \"{Value}\"",
        TokenKind.Float => $"Float \"{Value}\"",
        TokenKind.String => $"String \"{Value}\"",
        TokenKind.BlockString => $"BlockString \"{Value}\"",
        _ => $"\"{KindText(Kind)}\"",
    };

    /// <summary>The punctuator's text.</summary>
    public static string KindText(TokenKind kind) => kind switch
    {
        TokenKind.Bang => "!",
        TokenKind.Dollar => "$",
        TokenKind.Amp => "&",
        TokenKind.ParenL => "(",
        TokenKind.ParenR => ")",
        TokenKind.Spread => "...",
        TokenKind.Colon => ":",
        TokenKind.Equals => "=",
        TokenKind.At => "@",
        TokenKind.BracketL => "[",
        TokenKind.BracketR => "]",
        TokenKind.BraceL => "{",
        TokenKind.Pipe => "|",
        TokenKind.BraceR => "}",
        TokenKind.EndOfFile => "<EOF>",
        _ => kind.ToString(),
    };
}

/// <summary>A syntax error: the message (graphql-js wording, "Syntax Error: …") and where it happened.</summary>
public sealed class GraphQLSyntaxException : Exception
{
    public GraphQLSyntaxException(string message, SourceLocation location)
        : base("Syntax Error: " + message) => SourceLocation = location;

    public GraphQLSyntaxException()
    {
    }

    public GraphQLSyntaxException(string message)
        : base(message)
    {
    }

    public GraphQLSyntaxException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Where the error is.</summary>
    public SourceLocation SourceLocation { get; }
}
