using System.Threading.Channels;

namespace Patronus.Engine.Loops;

/// <summary>
/// Hands every published item — an immutable snapshot or event — to each subscriber's own bounded
/// channel: the one fan-out of the engine's loops (path health changes, BFD state changes, failover
/// events) to their N readers (API subscriptions, tests). A reader that falls behind loses its
/// oldest items (drop-oldest), never the publisher's time; the owner's current state stays
/// readable as a snapshot, so a reader that needs only the latest state uses the owner's
/// <see cref="ChangeSignal"/> instead. Publishing is lock-free (one array read); subscribing and
/// unsubscribing, which are rare, take a lock.
/// </summary>
/// <typeparam name="T">An immutable item: every subscriber gets the same instance.</typeparam>
public sealed class Broadcast<T>
{
    private readonly int _capacity;
    private readonly Lock _gate = new();
    private Channel<T>[] _subscribers = [];

    /// <param name="capacity">Items each subscriber's channel holds before the oldest is dropped; the owner documents why its number.</param>
    public Broadcast(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    /// <summary>Readers currently subscribed.</summary>
    public int SubscriberCount => Volatile.Read(ref _subscribers).Length;

    /// <summary>
    /// A new reader of every item published from now on. Cancelling <paramref name="cancellationToken"/>
    /// unsubscribes it and completes its reader (an API subscription that goes away); without a
    /// token the reader lives as long as the owner.
    /// </summary>
    public ChannelReader<T> Subscribe(CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateBounded<T>(new BoundedChannelOptions(_capacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        lock (_gate)
        {
            _subscribers = [.. _subscribers, channel];
        }

        if (cancellationToken.CanBeCanceled)
        {
            cancellationToken.Register(() =>
            {
                lock (_gate)
                {
                    _subscribers = [.. _subscribers.Where(c => c != channel)];
                }

                channel.Writer.TryComplete();
            });
        }

        return channel.Reader;
    }

    /// <summary>Owner only: gives <paramref name="item"/> to every subscriber; never blocks.</summary>
    public void Publish(T item)
    {
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            subscriber.Writer.TryWrite(item);
        }
    }
}
