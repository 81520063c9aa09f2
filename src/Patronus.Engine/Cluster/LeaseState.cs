namespace Patronus.Engine.Cluster;

/// <summary>What one lease event did to this instance's role.</summary>
public enum LeaseChange
{
    /// <summary>The role is as it was (a renewal, or still a follower).</summary>
    None,

    /// <summary>This instance became leader (a new term, its own).</summary>
    Elected,

    /// <summary>This instance stopped being leader (lease taken, expired locally, released or refused).</summary>
    SteppedDown,
}

/// <summary>
/// The leader lease as this instance sees it: a pure state machine owned by the cluster loop, fed
/// the outcome of every acquire/renew attempt on the loop's monotonic clock.
/// <para>
/// The rule that keeps two leaders from acting at once: a grant is trusted until the attempt's
/// <b>send</b> time plus the lease duration. The database stamped the lease's expiry with its own
/// clock when it ran the update, which was after the send, so this local deadline passes no later
/// than the lease expires in the database, and before another instance can acquire it (the
/// conditional update requires <c>expires_at &lt; now()</c>). A failed attempt (store unreachable)
/// changes nothing until that deadline; a refusal (another holder) steps down at once. A grant whose
/// term differs from the one held means the lease was lost and re-acquired in between: it counts as a
/// new election, so work fenced with the old term is not mistaken for current.
/// </para>
/// </summary>
public sealed class LeaseState
{
    private readonly TimeSpan _leaseDuration;

    /// <param name="leaseDuration">How long a grant is trusted after the attempt was sent.</param>
    public LeaseState(TimeSpan leaseDuration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(leaseDuration, TimeSpan.Zero);
        _leaseDuration = leaseDuration;
    }

    /// <summary>True while this instance holds the lease (as of the last event; readers also compare <see cref="ValidUntil"/> with the clock).</summary>
    public bool IsLeader { get; private set; }

    /// <summary>The newest term seen: this instance's own while it leads.</summary>
    public long Term { get; private set; }

    /// <summary>The local deadline of the current grant (monotonic time); meaningless while not leader.</summary>
    public TimeSpan ValidUntil { get; private set; }

    /// <summary>How many times this instance became leader.</summary>
    public long Elections { get; private set; }

    /// <summary>The store granted (acquired or renewed) the lease under <paramref name="term"/> to an attempt sent at <paramref name="sentAt"/>; the answer arrived at <paramref name="now"/>.</summary>
    public LeaseChange Granted(long term, TimeSpan sentAt, TimeSpan now)
    {
        var validUntil = sentAt + _leaseDuration;
        if (now >= validUntil)
        {
            // The answer came too late to act on (the process stalled between send and receive).
            return StepDown(term);
        }

        var change = IsLeader && Term == term ? LeaseChange.None : LeaseChange.Elected;
        if (change == LeaseChange.Elected)
        {
            Elections++;
        }

        IsLeader = true;
        Term = term;
        ValidUntil = validUntil;
        return change;
    }

    /// <summary>The store refused: another instance holds the lease under <paramref name="term"/>.</summary>
    public LeaseChange Refused(long term) => StepDown(term);

    /// <summary>An attempt failed (no answer): the grant stands until its deadline.</summary>
    public LeaseChange Failed(TimeSpan now) => Expire(now);

    /// <summary>The local deadline check, run on every loop tick.</summary>
    public LeaseChange Expire(TimeSpan now) => IsLeader && now >= ValidUntil ? StepDown(Term) : LeaseChange.None;

    /// <summary>This instance released the lease (graceful shutdown).</summary>
    public LeaseChange Released() => StepDown(Term);

    private LeaseChange StepDown(long term)
    {
        var was = IsLeader;
        IsLeader = false;
        Term = Math.Max(Term, term);
        return was ? LeaseChange.SteppedDown : LeaseChange.None;
    }
}
