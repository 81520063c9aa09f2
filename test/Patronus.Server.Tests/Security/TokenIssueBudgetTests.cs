using Microsoft.Extensions.Time.Testing;
using Patronus.Server.Security;

namespace Patronus.Server.Tests.Security;

public sealed class TokenIssueBudgetTests
{
    [Fact]
    public void TryTake_BurstThenRefillsAtPerMinute_PerUser()
    {
        var time = new FakeTimeProvider();
        var budget = new TokenIssueBudget(time);
        for (var i = 0; i < TokenIssueBudget.Burst; i++)
        {
            Assert.Null(budget.TryTake("alice"));
        }

        Assert.Equal(TimeSpan.FromSeconds(3), budget.TryTake("alice")); // 20 a minute: one every 3 s
        Assert.Null(budget.TryTake("bob"));

        time.Advance(TimeSpan.FromSeconds(3));
        Assert.Null(budget.TryTake("alice"));
        Assert.NotNull(budget.TryTake("alice"));

        time.Advance(TimeSpan.FromHours(1)); // refills up to the burst, no further
        for (var i = 0; i < TokenIssueBudget.Burst; i++)
        {
            Assert.Null(budget.TryTake("alice"));
        }

        Assert.NotNull(budget.TryTake("alice"));
    }
}
