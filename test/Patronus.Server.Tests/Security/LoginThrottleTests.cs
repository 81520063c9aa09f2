using System.Net;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Patronus.Server.Security;

namespace Patronus.Server.Tests.Security;

public sealed class LoginThrottleTests
{
    private static readonly AuthOptions s_options = new() { LoginFailuresPerUser = 5, LoginFailuresPerAddress = 20, LoginUserGuessBudget = 20 };

    private static readonly IPAddress s_a1 = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress s_a2 = IPAddress.Parse("10.0.0.2");

    private static (LoginThrottle Throttle, FakeTimeProvider Time) Create(AuthOptions? options = null)
    {
        var time = new FakeTimeProvider();
        return (new LoginThrottle(Options.Create(options ?? s_options), time), time);
    }

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
    public void Failures_PerAddressAndUser_BlockOnlyThatPairThenSuccessClears()
    {
        var (throttle, time) = Create();
        for (var i = 0; i < 4; i++)
        {
            throttle.Failed("Alice", s_a1);
            Assert.Null(throttle.RetryAfter("alice", s_a1));
        }

        throttle.Failed("alice", s_a1);
        Assert.Equal(TimeSpan.FromSeconds(1), throttle.RetryAfter("ALICE", s_a1)); // any case
        Assert.Null(throttle.RetryAfter("alice", s_a2)); // the same user from elsewhere: not refused
        Assert.Null(throttle.RetryAfter("bob", s_a1)); // another user from here: not refused

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(throttle.RetryAfter("alice", s_a1));
        throttle.Failed("alice", s_a1);
        Assert.Equal(TimeSpan.FromSeconds(2), throttle.RetryAfter("alice", s_a1));

        throttle.Succeeded("alice", s_a1);
        Assert.Null(throttle.RetryAfter("alice", s_a1));
    }

    [Fact]
    public void Failures_PerAddress_BlockEveryUserFromThere_ForgottenAfterWindow()
    {
        var (throttle, time) = Create();
        for (var i = 0; i < 20; i++)
        {
            throttle.Failed($"user{i}", s_a1);
        }

        Assert.Equal(TimeSpan.FromSeconds(1), throttle.RetryAfter("someone", s_a1));
        Assert.Null(throttle.RetryAfter("someone", s_a2));

        time.Advance(s_options.LoginFailureWindow + TimeSpan.FromSeconds(1));
        throttle.Failed("user0", s_a1);
        Assert.Null(throttle.RetryAfter("someone", s_a1)); // the count started over
    }

    /// <summary>
    /// A distributed guesser spends the user's budget from many addresses: each address that
    /// failed must now wait the user's growing backoff, but an address that never failed for the
    /// user — the real user — is let through, and a success there does not help the attacker.
    /// </summary>
    [Fact]
    public void UserGuessBudget_Spent_FailedAddressesWaitFreshAddressStillTries()
    {
        var (throttle, time) = Create();
        for (var i = 0; i < 20; i++)
        {
            var attacker = IPAddress.Parse($"198.51.100.{i + 1}");
            Assert.Null(throttle.RetryAfter("admin", attacker));
            throttle.Failed("admin", attacker);
        }

        var first = IPAddress.Parse("198.51.100.1");
        Assert.Equal(TimeSpan.FromSeconds(1), throttle.RetryAfter("admin", first)); // one failure of its own, but the user is under attack
        Assert.Null(throttle.RetryAfter("admin", s_a1)); // the real user's address
        Assert.Null(throttle.RetryAfter("other", first)); // only this user is under attack

        throttle.Failed("admin", IPAddress.Parse("198.51.100.99")); // each further guess doubles the wait
        Assert.Equal(TimeSpan.FromSeconds(2), throttle.RetryAfter("admin", first));
        Assert.Null(throttle.RetryAfter("admin", s_a1));

        // The real user mistypes once: now it waits like everybody who failed, but only the user's backoff.
        throttle.Failed("admin", s_a1);
        Assert.Equal(TimeSpan.FromSeconds(4), throttle.RetryAfter("admin", s_a1));
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.Null(throttle.RetryAfter("admin", s_a1));
        throttle.Succeeded("admin", s_a1);
        Assert.Null(throttle.RetryAfter("admin", s_a1)); // its address is fresh again
    }

    [Fact]
    public void Ipv6_AddressesOfOneSlash64_CountTogether()
    {
        var (throttle, _) = Create();
        for (var i = 0; i < 5; i++)
        {
            throttle.Failed("alice", IPAddress.Parse($"2001:db8:0:1::{i + 1:x}"));
        }

        Assert.NotNull(throttle.RetryAfter("alice", IPAddress.Parse("2001:db8:0:1::ffff")));
        Assert.Null(throttle.RetryAfter("alice", IPAddress.Parse("2001:db8:0:2::1")));
    }

    [Theory]
    [InlineData("10.0.0.1", "10.0.0.1")]
    [InlineData("::ffff:10.0.0.1", "10.0.0.1")]
    [InlineData("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64")]
    [InlineData("::1", "::/64")]
    [InlineData(null, "unknown")]
    public void ClientAddressKey_Table(string? address, string key) =>
        Assert.Equal(key, ClientAddress.Key(address is null ? null : IPAddress.Parse(address)));
}
