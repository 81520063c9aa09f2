namespace Patronus.Engine.Cluster;

/// <summary>
/// The notification channel between the nodes sharing a store (PostgreSQL <c>LISTEN/NOTIFY</c> in
/// Patronus.Persistence): best effort and live only — a message sent while a node's listener is
/// disconnected is lost to that node, which is why <see cref="ClusterRelayService"/> resyncs from the
/// store and asks the leader for its whole state every time its listener (re)connects.
/// </summary>
public interface IClusterChannel
{
    /// <summary>Sends <paramref name="payload"/> (at most <see cref="ClusterMessageCodec.MaxPayloadBytes"/> bytes) to every listening node, this one included.</summary>
    Task NotifyAsync(string payload, CancellationToken cancellationToken = default);

    /// <summary>
    /// Listens until <paramref name="cancellationToken"/> is cancelled (then returns) or the
    /// connection is lost (then throws). <paramref name="onListening"/> runs once the listener is in
    /// effect, so whatever it reads from the store afterwards cannot miss a message sent after it;
    /// <paramref name="onMessage"/> runs for every payload received, on the listener's thread: it must
    /// not block.
    /// </summary>
    Task ListenAsync(Func<CancellationToken, Task> onListening, Action<string> onMessage, CancellationToken cancellationToken);
}
