using System.Collections.Concurrent;
using Patronus.Engine.Probes;
using Patronus.TestSupport;

namespace Patronus.Engine.Tests.Probes.Icmp;

/// <summary>Collects replies delivered by a session; tests wait on it with a deadline instead of sleeping.</summary>
internal sealed class ReplyCollector
{
    private readonly ConcurrentQueue<ProbeReply> _replies = new();

    public Action<ProbeReply> OnReply => _replies.Enqueue;

    public IReadOnlyList<ProbeReply> Replies => [.. _replies];

    /// <summary>Waits until <paramref name="count"/> replies in total have arrived; false at the deadline.</summary>
    public Task<bool> WaitForAsync(int count, TimeSpan timeout) => Poll.UntilAsync(() => _replies.Count >= count, timeout);
}
