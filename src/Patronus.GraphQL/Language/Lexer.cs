using System.Globalization;
using System.Text;

namespace Patronus.GraphQL.Language;

/// <summary>
/// The GraphQL lexer (spec §2.1, October 2021), a port of graphql-js's: it skips ignored tokens
/// (whitespace, line terminators, commas, comments, BOM), tracks line/column, and throws
/// <see cref="GraphQLSyntaxException"/> with graphql-js's wording on the first bad character.
/// </summary>
public sealed class Lexer
{
    private readonly string _body;
    private int _position;
    private int _line = 1;
    private int _lineStart;

    public Lexer(string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        _body = body;
        Token = new Token(TokenKind.StartOfFile, 0, 0, 0, 0, null);
    }

    /// <summary>The current token.</summary>
    public Token Token { get; private set; }

    /// <summary>The previous token (for node end offsets).</summary>
    public Token LastToken { get; private set; }

    /// <summary>The source text.</summary>
    public string Body => _body;

    /// <summary>Advances to the next token and returns it.</summary>
    public Token Advance()
    {
        LastToken = Token;
        Token = ReadToken();
        return Token;
    }

    /// <summary>Returns the token after the current one without consuming it.</summary>
    public Token Lookahead()
    {
        var (position, line, lineStart) = (_position, _line, _lineStart);
        var next = ReadToken();
        (_position, _line, _lineStart) = (position, line, lineStart);
        return next;
    }

    /// <summary>Line/column of a character offset (1-based), counting \n, \r\n and \r as line ends.</summary>
    public static SourceLocation LocationOf(string body, int offset)
    {
        ArgumentNullException.ThrowIfNull(body);
        int line = 1, lineStart = 0;
        for (var i = 0; i < offset && i < body.Length; i++)
        {
            if (body[i] == '\n' || (body[i] == '\r' && (i + 1 >= body.Length || body[i + 1] != '\n')))
            {
                line++;
                lineStart = i + 1;
            }
        }

        return new SourceLocation(line, offset - lineStart + 1);
    }

    private GraphQLSyntaxException Error(int position, string message) => new(message, LocationOf(_body, position));

    private Token Make(TokenKind kind, int start, int end, string? value = null) =>
        new(kind, start, end, _line, start - _lineStart + 1, value);

    private Token ReadToken()
    {
        var body = _body;
        while (_position < body.Length)
        {
            var c = body[_position];
            switch (c)
            {
                case '\uFEFF' or '\t' or ' ' or ',':
                    _position++;
                    continue;
                case '\n':
                    _position++;
                    _line++;
                    _lineStart = _position;
                    continue;
                case '\r':
                    _position += _position + 1 < body.Length && body[_position + 1] == '\n' ? 2 : 1;
                    _line++;
                    _lineStart = _position;
                    continue;
                case '#':
                    while (_position < body.Length && body[_position] is not ('\n' or '\r'))
                    {
                        _position++;
                    }

                    continue;
            }

            var start = _position;
            TokenKind? punct = c switch
            {
                '!' => TokenKind.Bang,
                '$' => TokenKind.Dollar,
                '&' => TokenKind.Amp,
                '(' => TokenKind.ParenL,
                ')' => TokenKind.ParenR,
                ':' => TokenKind.Colon,
                '=' => TokenKind.Equals,
                '@' => TokenKind.At,
                '[' => TokenKind.BracketL,
                ']' => TokenKind.BracketR,
                '{' => TokenKind.BraceL,
                '|' => TokenKind.Pipe,
                '}' => TokenKind.BraceR,
                _ => null,
            };
            if (punct is { } p)
            {
                _position++;
                return Make(p, start, _position);
            }

            if (c == '.' && At(start + 1) == '.' && At(start + 2) == '.')
            {
                _position += 3;
                return Make(TokenKind.Spread, start, _position);
            }

            if (c == '"')
            {
                return At(start + 1) == '"' && At(start + 2) == '"' ? ReadBlockString(start) : ReadString(start);
            }

            if (c is '-' or (>= '0' and <= '9'))
            {
                return ReadNumber(start);
            }

            if (IsNameStart(c))
            {
                var end = start + 1;
                while (end < body.Length && IsNameContinue(body[end]))
                {
                    end++;
                }

                _position = end;
                return Make(TokenKind.Name, start, end, body[start..end]);
            }

            throw Error(start, c == '\''
                ? "Unexpected single quote character ('), did you mean to use a double quote (\")?"
                : IsSourceCharacter(start) ? $"Unexpected character: {PrintCodePointAt(start)}." : $"Invalid character: {PrintCodePointAt(start)}.");
        }

        return Make(TokenKind.EndOfFile, body.Length, body.Length);
    }

    private int At(int index) => index < _body.Length ? _body[index] : -1;

    internal static bool IsNameStart(int c) => c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or '_';

    internal static bool IsNameContinue(int c) => IsNameStart(c) || c is >= '0' and <= '9';

    private bool IsSourceCharacter(int position)
    {
        var c = _body[position];
        if (char.IsHighSurrogate(c))
        {
            return position + 1 < _body.Length && char.IsLowSurrogate(_body[position + 1]);
        }

        return !char.IsLowSurrogate(c);
    }

    private string PrintCodePointAt(int position)
    {
        if (position >= _body.Length)
        {
            return "<EOF>";
        }

        var c = _body[position];
        if (c is >= ' ' and <= '~')
        {
            return c == '"' ? "'\"'" : $"\"{c}\"";
        }

        var code = char.IsHighSurrogate(c) && position + 1 < _body.Length && char.IsLowSurrogate(_body[position + 1])
            ? char.ConvertToUtf32(c, _body[position + 1])
            : c;
        return "U+" + code.ToString("X4", CultureInfo.InvariantCulture);
    }

    private Token ReadNumber(int start)
    {
        var position = start;
        var isFloat = false;
        if (At(position) == '-')
        {
            position++;
        }

        if (At(position) == '0')
        {
            position++;
            if (At(position) is >= '0' and <= '9')
            {
                throw Error(position, $"Invalid number, unexpected digit after 0: {PrintCodePointAt(position)}.");
            }
        }
        else
        {
            position = ReadDigits(position);
        }

        if (At(position) == '.')
        {
            isFloat = true;
            position = ReadDigits(position + 1);
        }

        if (At(position) is 'e' or 'E')
        {
            isFloat = true;
            position++;
            if (At(position) is '+' or '-')
            {
                position++;
            }

            position = ReadDigits(position);
        }

        if (At(position) == '.' || IsNameStart(At(position)))
        {
            throw Error(position, $"Invalid number, expected digit but got: {PrintCodePointAt(position)}.");
        }

        _position = position;
        return Make(isFloat ? TokenKind.Float : TokenKind.Int, start, position, _body[start..position]);
    }

    private int ReadDigits(int position)
    {
        if (At(position) is not (>= '0' and <= '9'))
        {
            throw Error(position, $"Invalid number, expected digit but got: {PrintCodePointAt(position)}.");
        }

        while (At(position) is >= '0' and <= '9')
        {
            position++;
        }

        return position;
    }

    private Token ReadString(int start)
    {
        var position = start + 1;
        var value = new StringBuilder();
        while (position < _body.Length)
        {
            var c = _body[position];
            if (c == '"')
            {
                _position = position + 1;
                return Make(TokenKind.String, start, _position, value.ToString());
            }

            if (c is '\n' or '\r')
            {
                break;
            }

            if (c == '\\')
            {
                position = ReadEscape(position, value);
                continue;
            }

            if (!IsSourceCharacter(position))
            {
                throw Error(position, $"Invalid character within String: {PrintCodePointAt(position)}.");
            }

            if (c < ' ' && c != '\t')
            {
                throw Error(position, $"Invalid character within String: {PrintCodePointAt(position)}.");
            }

            value.Append(c);
            position++;
        }

        throw Error(position, "Unterminated string.");
    }

    private int ReadEscape(int position, StringBuilder value)
    {
        var next = At(position + 1);
        switch (next)
        {
            case '"': value.Append('"'); return position + 2;
            case '\\': value.Append('\\'); return position + 2;
            case '/': value.Append('/'); return position + 2;
            case 'b': value.Append('\b'); return position + 2;
            case 'f': value.Append('\f'); return position + 2;
            case 'n': value.Append('\n'); return position + 2;
            case 'r': value.Append('\r'); return position + 2;
            case 't': value.Append('\t'); return position + 2;
            case 'u':
                if (At(position + 2) == '{')
                {
                    var end = position + 3;
                    var code = 0;
                    while (end < _body.Length && _body[end] != '}' && end - position < 12)
                    {
                        var digit = HexValue(_body[end]);
                        if (digit < 0)
                        {
                            break;
                        }

                        code = (code << 4) | digit;
                        end++;
                    }

                    if (At(end) == '}' && end > position + 3 && code <= 0x10FFFF && code is not (>= 0xD800 and <= 0xDFFF))
                    {
                        value.Append(char.ConvertFromUtf32(code));
                        return end + 1;
                    }

                    throw Error(position, $"Invalid Unicode escape sequence: \"{Slice(position, end + 1)}\".");
                }
                else
                {
                    var code = 0;
                    for (var i = 2; i < 6; i++)
                    {
                        var digit = HexValue(At(position + i));
                        if (digit < 0)
                        {
                            throw Error(position, $"Invalid Unicode escape sequence: \"{Slice(position, position + 6)}\".");
                        }

                        code = (code << 4) | digit;
                    }

                    if (code is >= 0xD800 and <= 0xDBFF && At(position + 6) == '\\' && At(position + 7) == 'u')
                    {
                        var low = 0;
                        var ok = true;
                        for (var i = 8; i < 12; i++)
                        {
                            var digit = HexValue(At(position + i));
                            ok &= digit >= 0;
                            low = (low << 4) | Math.Max(digit, 0);
                        }

                        if (ok && low is >= 0xDC00 and <= 0xDFFF)
                        {
                            value.Append((char)code).Append((char)low);
                            return position + 12;
                        }
                    }

                    if (code is >= 0xD800 and <= 0xDFFF)
                    {
                        throw Error(position, $"Invalid Unicode escape sequence: \"{Slice(position, position + 6)}\".");
                    }

                    value.Append((char)code);
                    return position + 6;
                }

            default:
                throw Error(position, $"Invalid character escape sequence: \"{Slice(position, position + 2)}\".");
        }
    }

    private string Slice(int start, int end) => _body[start..Math.Min(end, _body.Length)];

    private static int HexValue(int c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    private Token ReadBlockString(int start)
    {
        var startLine = _line;
        var startColumn = start - _lineStart + 1;
        var position = start + 3;
        var chunkStart = position;
        var current = new StringBuilder();
        var lines = new List<string>();
        while (position < _body.Length)
        {
            var c = _body[position];
            if (c == '"' && At(position + 1) == '"' && At(position + 2) == '"')
            {
                current.Append(_body, chunkStart, position - chunkStart);
                lines.Add(current.ToString());
                _position = position + 3;
                return new Token(TokenKind.BlockString, start, _position, startLine, startColumn, BlockString.Dedent(lines));
            }

            if (c == '\\' && At(position + 1) == '"' && At(position + 2) == '"' && At(position + 3) == '"')
            {
                current.Append(_body, chunkStart, position - chunkStart).Append("\"\"\"");
                position += 4;
                chunkStart = position;
                continue;
            }

            if (c is '\n' or '\r')
            {
                current.Append(_body, chunkStart, position - chunkStart);
                lines.Add(current.ToString());
                current.Clear();
                position += c == '\r' && At(position + 1) == '\n' ? 2 : 1;
                chunkStart = position;
                _line++;
                _lineStart = position;
                continue;
            }

            if (!IsSourceCharacter(position) || (c < ' ' && c != '\t'))
            {
                throw Error(position, $"Invalid character within String: {PrintCodePointAt(position)}.");
            }

            position++;
        }

        throw Error(position, "Unterminated string.");
    }
}
