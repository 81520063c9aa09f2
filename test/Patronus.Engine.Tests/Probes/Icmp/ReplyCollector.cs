using System.Collections.Concurrent;
using Patronus.Engine.Probes;

namespace Patronus.Engine.Tests.Probes.Icmp;

/// <summary>Collects replies delivered by a session; tests wait on it with a deadline instead of sleeping.</summary>
internal sealed class ReplyCollector : IDisposable
{
    private readonly ConcurrentQueue<ProbeReply> _replies = new();
    private readonly SemaphoreSlim _arrived = new(0);

    public Action<ProbeReply> OnReply => reply =>
    {
        _replies.Enqueue(reply);
        _arrived.Release();
    };

    public IReadOnlyList<ProbeReply> Replies => [.. _replies];

    /// <summary>Waits until <paramref name="count"/> replies in total have arrived; false at the deadline.</summary>
    public async Task<bool> WaitForAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (_replies.Count < count)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await _arrived.WaitAsync(left))
            {
                return _replies.Count >= count;
            }
        }

        return true;
    }

    public void Dispose() => _arrived.Dispose();
}
