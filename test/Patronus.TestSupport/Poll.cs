using System.Diagnostics;

namespace Patronus.TestSupport;

/// <summary>
/// Waits for a condition with a deadline, for tests against real sockets, processes and loops
/// (tests on <c>FakeTimeProvider</c> advance time instead and never wait). Checks every
/// <c>interval</c> (default 10 ms) until the condition holds or the deadline passes.
/// </summary>
public static class Poll
{
    /// <summary>Default interval between checks.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>True as soon as <paramref name="condition"/> holds; false when <paramref name="timeout"/> passes first.</summary>
    public static async Task<bool> UntilAsync(Func<bool> condition, TimeSpan timeout, TimeSpan? interval = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return await UntilAsync(() => Task.FromResult(condition()), timeout, interval, cancellationToken);
    }

    /// <summary>True as soon as <paramref name="condition"/> holds; false when <paramref name="timeout"/> passes first.</summary>
    public static async Task<bool> UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan? interval = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            if (await condition())
            {
                return true;
            }
            if (Stopwatch.GetElapsedTime(started) >= timeout)
            {
                return false;
            }
            await Task.Delay(interval ?? DefaultInterval, cancellationToken);
        }
    }

    /// <summary>Like <see cref="UntilAsync(Func{bool}, TimeSpan, TimeSpan?, CancellationToken)"/>, but fails the test with <paramref name="because"/> on timeout.</summary>
    public static async Task AssertAsync(Func<bool> condition, TimeSpan timeout, string because, CancellationToken cancellationToken = default)
    {
        if (!await UntilAsync(condition, timeout, cancellationToken: cancellationToken))
        {
            throw new TimeoutException($"not within {timeout.TotalSeconds:0.###} s: {because}");
        }
    }

    /// <summary>Like <see cref="UntilAsync(Func{Task{bool}}, TimeSpan, TimeSpan?, CancellationToken)"/>, but fails the test with <paramref name="because"/> on timeout.</summary>
    public static async Task AssertAsync(Func<Task<bool>> condition, TimeSpan timeout, string because, CancellationToken cancellationToken = default)
    {
        if (!await UntilAsync(condition, timeout, cancellationToken: cancellationToken))
        {
            throw new TimeoutException($"not within {timeout.TotalSeconds:0.###} s: {because}");
        }
    }
}
