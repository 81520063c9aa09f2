using Patronus.Server.Security;

namespace Patronus.Server.Tests.Security;

public sealed class PasswordPolicyTests
{
    [Theory]
    [InlineData("alice", "Correct-Horse-42", null)]
    [InlineData("alice", "correct horse battery 7", null)] // lower + symbol (space) + digit
    [InlineData("alice", "Short-1a", "at least 12 characters")]
    [InlineData("alice", "alllowercaseletters", "3 of the 4 character classes")]
    [InlineData("alice", "lowercase-and-symbols", "3 of the 4 character classes")]
    [InlineData("alice", "My-ALICE-password-1", "must not contain the username")]
    [InlineData("bob", "ÉcoleNormale-2026", null)] // letters of any script count as lower/upper
    public void Check_Table(string user, string password, string? problem)
    {
        var problems = PasswordPolicy.Check(user, password);
        if (problem is null)
        {
            Assert.Empty(problems);
        }
        else
        {
            Assert.Contains(problems, p => p.Contains(problem, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Check_SeveralRulesBroken_NamesEach()
    {
        var problems = PasswordPolicy.Check("bob", "bob");
        Assert.Equal(3, problems.Count);
    }

    [Theory]
    [InlineData("admin", true)]
    [InlineData("ops.team-1@example", true)]
    [InlineData("", false)]
    [InlineData("-leading", false)]
    [InlineData("has space", false)]
    [InlineData("üser", false)]
    public void CheckUsername_Table(string name, bool valid) => Assert.Equal(valid, PasswordPolicy.CheckUsername(name) is null);
}
