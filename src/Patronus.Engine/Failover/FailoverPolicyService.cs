using Patronus.Engine.Loops;
using Patronus.Engine.Storage;

namespace Patronus.Engine.Failover;

/// <summary>
/// The current failover policies: an immutable list read by anyone without locks, reloaded from
/// the store after every successful write, with <see cref="Changed"/> notified so the failover and
/// traffic loops pick the change up at once. Writes are serialised (one at a time).
/// </summary>
public sealed class FailoverPolicyService : IDisposable
{
    private readonly IFailoverStore _store;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private IReadOnlyList<FailoverPolicy> _current = [];

    public FailoverPolicyService(IFailoverStore store) => _store = store;

    public IReadOnlyList<FailoverPolicy> Current => Volatile.Read(ref _current);

    /// <summary>Notified at every change of <see cref="Current"/>.</summary>
    public ChangeSignal Changed { get; } = new();

    /// <summary>Notified after each successful <see cref="WriteAsync"/> (an edit made here, not a reload): the cluster relay tells the other nodes.</summary>
    public ChangeSignal Written { get; } = new();

    public bool IsReady { get; private set; }

    /// <summary>Startup, before the topology is synced: removes config policies no longer configured (they may hold paths the topology sync removes).</summary>
    public Task<StoreResult> RemoveStaleConfigAsync(IReadOnlyList<FailoverPolicy> configured, CancellationToken cancellationToken = default) =>
        _store.SyncReadOnlyFailoverPoliciesAsync(configured, removeOnly: true, cancellationToken);

    /// <summary>Startup, after the topology: writes the configured policies and loads all.</summary>
    public async Task<StoreResult> InitializeAsync(IReadOnlyList<FailoverPolicy> configured, CancellationToken cancellationToken = default)
    {
        var result = await WriteAsync((s, ct) => s.SyncReadOnlyFailoverPoliciesAsync(configured, removeOnly: false, ct), cancellationToken).ConfigureAwait(false);
        IsReady = result.Succeeded;
        return result;
    }

    /// <summary>Runs one store write and, when it succeeded, publishes the reloaded policies.</summary>
    public async Task<StoreResult> WriteAsync(Func<IFailoverStore, CancellationToken, Task<StoreResult>> write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await write(_store, cancellationToken).ConfigureAwait(false);
            if (result.Succeeded)
            {
                Volatile.Write(ref _current, await _store.LoadFailoverPoliciesAsync(cancellationToken).ConfigureAwait(false));
                Changed.Notify();
                Written.Notify();
            }

            return result;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Loads the policies from the store again and publishes them: another node on a shared store changed them.</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken = default)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Volatile.Write(ref _current, await _store.LoadFailoverPoliciesAsync(cancellationToken).ConfigureAwait(false));
            Changed.Notify();
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public void Dispose() => _writeGate.Dispose();
}
