using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Patronus.Server.Security;

namespace Patronus.Server.Tests.Security;

public sealed class LoginThrottleTests
{
    private static readonly AuthOptions s_options = new() { LoginFailuresPerUser = 5, LoginFailuresPerAddress = 20 };

    [Theory]
    [InlineData(1, 0)]
    [InlineData(4, 0)]
    [InlineData(5, 1)] // the 5th failure uses up the allowance: 1 s
    [InlineData(6, 2)]
    [InlineData(7, 4)]
    [InlineData(13, 256)]
    [InlineData(14, 300)] // capped at 5 min
    [InlineData(1000, 300)]
    public void Backoff_Table(int failures, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), LoginThrottle.Backoff(failures, 5, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5)));

    [Fact]
    public void Failures_PerUser_BlockGrowsThenSuccessClears()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var throttle = new LoginThrottle(Options.Create(s_options), time);
        for (var i = 0; i < 4; i++)
        {
            throttle.Failed("Alice", "10.0.0.1");
            Assert.Null(throttle.RetryAfter("alice", "10.0.0.1"));
        }

        throttle.Failed("alice", "10.0.0.2");
        Assert.Equal(TimeSpan.FromSeconds(1), throttle.RetryAfter("ALICE", "10.0.0.9")); // per user, any address, any case
        Assert.Null(throttle.RetryAfter("bob", "10.0.0.1"));

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(throttle.RetryAfter("alice", "10.0.0.1"));
        throttle.Failed("alice", "10.0.0.1");
        Assert.Equal(TimeSpan.FromSeconds(2), throttle.RetryAfter("alice", "10.0.0.1"));

        throttle.Succeeded("alice");
        Assert.Null(throttle.RetryAfter("alice", "10.0.0.1"));
    }

    [Fact]
    public void Failures_PerAddress_BlockEveryUserFromThere_ForgottenAfterWindow()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var throttle = new LoginThrottle(Options.Create(s_options), time);
        for (var i = 0; i < 20; i++)
        {
            throttle.Failed($"user{i}", "10.0.0.1");
        }

        Assert.Equal(TimeSpan.FromSeconds(1), throttle.RetryAfter("someone", "10.0.0.1"));
        Assert.Null(throttle.RetryAfter("someone", "10.0.0.2"));

        time.Advance(s_options.LoginFailureWindow + TimeSpan.FromSeconds(1));
        throttle.Failed("user0", "10.0.0.1");
        Assert.Null(throttle.RetryAfter("someone", "10.0.0.1")); // the count started over
    }
}
