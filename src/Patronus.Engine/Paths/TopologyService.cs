using Patronus.Engine.Loops;
using Patronus.Engine.Storage;

namespace Patronus.Engine.Paths;

/// <summary>
/// Owns the current <see cref="TopologySnapshot"/>. Readers take <see cref="Current"/> without
/// locks (an immutable object swapped atomically); writers are serialised, write through the store
/// and then publish the new snapshot, notifying <see cref="Changed"/> so watchers (probes, BFD,
/// failover, traffic) can react without polling.
/// </summary>
public sealed class TopologyService : IDisposable
{
    private readonly ITopologyStore _store;

    // Writes are rare (operator actions); one at a time keeps "write then reload" consistent.
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private TopologySnapshot _current = TopologySnapshot.Empty;
    private volatile bool _ready;

    public TopologyService(ITopologyStore store)
    {
        _store = store;
    }

    /// <summary>The current topology. Never null; empty until <see cref="InitializeAsync"/> finished.</summary>
    public TopologySnapshot Current => Volatile.Read(ref _current);

    /// <summary>True once the stored topology has been loaded.</summary>
    public bool IsReady => _ready;

    /// <summary>Notified at every change of <see cref="Current"/>: take its <see cref="ChangeSignal.Next"/> (or a watch), then read <see cref="Current"/>, to never miss one.</summary>
    public ChangeSignal Changed { get; } = new();

    /// <summary>Notified after each successful <see cref="WriteAsync"/> (an edit made here, not a reload): the cluster relay tells the other nodes.</summary>
    public ChangeSignal Written { get; } = new();

    /// <summary>
    /// Writes the read-only (config or quickstart) topology into the store, replacing what an earlier
    /// run left, then loads the whole topology.
    /// </summary>
    public async Task<StoreResult> InitializeAsync(TopologySnapshot readOnly, CancellationToken cancellationToken = default)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await _store.SyncReadOnlyTopologyAsync(readOnly, cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                return result;
            }

            await ReloadCoreAsync(cancellationToken).ConfigureAwait(false);
            _ready = true;
            return result;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Runs one store write and, when it succeeded, publishes the reloaded topology.</summary>
    public async Task<StoreResult> WriteAsync(Func<ITopologyStore, CancellationToken, Task<StoreResult>> write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await write(_store, cancellationToken).ConfigureAwait(false);
            if (result.Succeeded)
            {
                await ReloadCoreAsync(cancellationToken).ConfigureAwait(false);
                Written.Notify();
            }

            return result;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Loads the topology from the store again and publishes it: another node on a shared store changed it.</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken = default)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ReloadCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private async Task ReloadCoreAsync(CancellationToken cancellationToken)
    {
        var snapshot = await _store.LoadTopologyAsync(cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _current, snapshot);
        Changed.Notify();
    }

    public void Dispose() => _writeGate.Dispose();
}
