using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Cluster;

namespace Patronus.Engine.Tests.Cluster;

public sealed class LeaseStateTests
{
    private static readonly TimeSpan s_lease = TimeSpan.FromSeconds(2);

    private static TimeSpan Ms(int ms) => TimeSpan.FromMilliseconds(ms);

    [Fact]
    public void Granted_FirstTime_ElectedValidUntilSendPlusLease()
    {
        var state = new LeaseState(s_lease);

        Assert.Equal(LeaseChange.Elected, state.Granted(1, Ms(100), Ms(130)));

        Assert.Equal((true, 1L, Ms(2100), 1L), (state.IsLeader, state.Term, state.ValidUntil, state.Elections));
    }

    [Fact]
    public void Granted_RenewalSameTerm_NoChangeDeadlineMoves()
    {
        var state = new LeaseState(s_lease);
        state.Granted(1, Ms(0), Ms(10));

        Assert.Equal(LeaseChange.None, state.Granted(1, Ms(500), Ms(510)));

        Assert.Equal((Ms(2500), 1L), (state.ValidUntil, state.Elections));
    }

    [Fact]
    public void Granted_AnswerArrivesAfterDeadline_NotLeader()
    {
        var state = new LeaseState(s_lease);
        state.Granted(1, Ms(0), Ms(10));

        // Sent at 500 ms, answered after the process stalled for 3 s: the grant is worthless.
        Assert.Equal(LeaseChange.SteppedDown, state.Granted(1, Ms(500), Ms(3500)));

        Assert.False(state.IsLeader);
        Assert.Equal(LeaseChange.None, new LeaseState(s_lease).Granted(4, Ms(0), Ms(2000)));
    }

    [Fact]
    public void Granted_NewTermWhileLeader_CountsAsNewElection()
    {
        var state = new LeaseState(s_lease);
        state.Granted(1, Ms(0), Ms(10));

        // Lost and re-acquired between two renewals (another node held term 2 meanwhile).
        Assert.Equal(LeaseChange.Elected, state.Granted(3, Ms(500), Ms(510)));

        Assert.Equal((3L, 2L), (state.Term, state.Elections));
    }

    [Fact]
    public void Refused_Leader_StepsDownAtOnceAndRemembersNewerTerm()
    {
        var state = new LeaseState(s_lease);
        state.Granted(1, Ms(0), Ms(10));

        Assert.Equal(LeaseChange.SteppedDown, state.Refused(2));
        Assert.Equal(LeaseChange.None, state.Refused(2));

        Assert.Equal((false, 2L), (state.IsLeader, state.Term));
    }

    [Theory]
    [InlineData(1000, LeaseChange.None, true)] // store slow or unreachable: the grant stands…
    [InlineData(1999, LeaseChange.None, true)]
    [InlineData(2000, LeaseChange.SteppedDown, false)] // …until send time + lease, not a moment longer
    [InlineData(9000, LeaseChange.SteppedDown, false)]
    public void Failed_Leader_KeepsLeadUntilDeadline(int nowMs, LeaseChange expected, bool leader)
    {
        var state = new LeaseState(s_lease);
        state.Granted(1, Ms(0), Ms(10));

        Assert.Equal(expected, state.Failed(Ms(nowMs)));

        Assert.Equal(leader, state.IsLeader);
    }

    [Fact]
    public void Flapping_GrantRefuseGrant_EachElectionCountedTermsOnlyGrow()
    {
        var state = new LeaseState(s_lease);
        var changes = new[]
        {
            state.Granted(1, Ms(0), Ms(5)),
            state.Granted(1, Ms(500), Ms(505)),
            state.Refused(2),
            state.Refused(2),
            state.Granted(3, Ms(1500), Ms(1505)),
            state.Expire(Ms(3499)),
            state.Expire(Ms(3500)),
            state.Refused(1), // a stale read never lowers the term
        };

        Assert.Equal([LeaseChange.Elected, LeaseChange.None, LeaseChange.SteppedDown, LeaseChange.None, LeaseChange.Elected, LeaseChange.None, LeaseChange.SteppedDown, LeaseChange.None], changes);
        Assert.Equal((3L, 2L), (state.Term, state.Elections));
    }

    [Fact]
    public void Released_Leader_SteppedDownTermKept()
    {
        var state = new LeaseState(s_lease);
        state.Granted(5, Ms(0), Ms(5));

        Assert.Equal(LeaseChange.SteppedDown, state.Released());

        Assert.Equal((false, 5L), (state.IsLeader, state.Term));
    }
}

public sealed class LeadershipTests
{
    [Fact]
    public void IsLeader_RenewalsStop_FalseAtLocalDeadlineWithoutAnyLoopRunning()
    {
        var time = new FakeTimeProvider();
        var leadership = new Leadership("a", time);
        var state = new LeaseState(TimeSpan.FromSeconds(2));
        state.Granted(7, leadership.Clock.Elapsed, leadership.Clock.Elapsed);
        leadership.Publish(state, roleChanged: true);
        Assert.Equal(new FenceToken("a", 7, true), leadership.Fence);

        time.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.True(leadership.IsLeader);
        time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.False(leadership.IsLeader);
        Assert.Null(leadership.Fence);
        Assert.Equal(7, leadership.Term);
    }

    [Fact]
    public void Refused_CurrentTerm_StepsDownAndSignals_StaleTermIgnored()
    {
        var time = new FakeTimeProvider();
        var leadership = new Leadership("a", time);
        var state = new LeaseState(TimeSpan.FromSeconds(2));
        state.Granted(3, TimeSpan.Zero, TimeSpan.Zero);
        leadership.Publish(state, roleChanged: true);
        var changed = leadership.Changed.Next;

        leadership.Refused(2);
        Assert.True(leadership.IsLeader);
        Assert.False(changed.IsCompleted);

        leadership.Refused(3);
        Assert.False(leadership.IsLeader);
        Assert.True(changed.IsCompleted);
        Assert.Equal(2, leadership.RefusedWrites);
    }

    [Fact]
    public void SingleNode_AlwaysLeaderTerm1_TokenNotChecked()
    {
        var time = new FakeTimeProvider();
        var leadership = Leadership.SingleNode("solo", time);

        time.Advance(TimeSpan.FromDays(400));
        leadership.Refused(1);

        Assert.True(leadership.IsLeader);
        Assert.Equal(new FenceToken("solo", 1, false), leadership.Fence);
    }
}
