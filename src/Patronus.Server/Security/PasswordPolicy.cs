using System.Text.RegularExpressions;

namespace Patronus.Server.Security;

/// <summary>
/// What a password and a username must look like. A password: at least 12 characters, at least 3
/// of the 4 classes (lowercase and uppercase letters of any script, ASCII digits, symbols — anything
/// else, spaces included), and not containing the username (case-insensitive).
/// </summary>
public static partial class PasswordPolicy
{
    public const int MinLength = 12;

    /// <summary>Upper bound only so one request cannot make hashing arbitrarily expensive.</summary>
    public const int MaxLength = 1024;

    public const int MinClasses = 3;

    /// <summary>The longest username (<see cref="CheckUsername"/>): a longer one cannot exist, so no more of it is ever kept.</summary>
    public const int MaxUsernameLength = 64;

    /// <summary>Every rule the password breaks, each naming the rule; empty when it is acceptable.</summary>
    public static IReadOnlyList<string> Check(string username, string password)
    {
        ArgumentNullException.ThrowIfNull(username);
        ArgumentNullException.ThrowIfNull(password);
        var problems = new List<string>();
        if (password.Length < MinLength)
        {
            problems.Add($"the password must be at least {MinLength} characters long (it has {password.Length})");
        }

        if (password.Length > MaxLength)
        {
            problems.Add($"the password must be at most {MaxLength} characters long");
        }

        var lower = password.Any(char.IsLower);
        var upper = password.Any(char.IsUpper);
        var digit = password.Any(char.IsAsciiDigit);
        var symbol = password.Any(c => !char.IsLower(c) && !char.IsUpper(c) && !char.IsAsciiDigit(c));
        var classes = (lower ? 1 : 0) + (upper ? 1 : 0) + (digit ? 1 : 0) + (symbol ? 1 : 0);
        if (classes < MinClasses)
        {
            problems.Add($"the password must use at least {MinClasses} of the 4 character classes lowercase, uppercase, digits and symbols (it uses {classes})");
        }

        if (username.Length > 0 && password.Contains(username, StringComparison.OrdinalIgnoreCase))
        {
            problems.Add("the password must not contain the username");
        }

        return problems;
    }

    /// <summary>Null when <paramref name="username"/> is acceptable, else why not.</summary>
    public static string? CheckUsername(string? username) =>
        username is null || !UsernamePattern().IsMatch(username)
            ? "a username is 1–64 characters: letters, digits, '.', '_', '-' or '@', starting with a letter or digit"
            : null;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")]
    private static partial Regex UsernamePattern();
}
