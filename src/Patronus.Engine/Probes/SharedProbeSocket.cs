using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Patronus.Engine.Net;

namespace Patronus.Engine.Probes;

/// <summary>
/// What the probes' shared sockets (<see cref="Icmp.IcmpSocket"/>, <see cref="Stamp.StampSocket"/>)
/// have in common: one socket of a link (<see cref="LocalBinding"/>), pooled by its factory in a
/// <see cref="SharedSocketPool{TKey, TSocket}"/>, bound through <see cref="SocketBinding"/> and
/// read by a <see cref="DatagramReceiver"/> with recvmsg where the platform has it (kernel receive
/// timestamps, and <see cref="ReceivePending"/> for the monitor), which the subclass feeds as the
/// <see cref="IDatagramHandler"/>; and what the sessions of the socket share (clock, metrics,
/// logger), kept here so that sessions stay small.
/// </summary>
internal abstract class SharedProbeSocket : IDisposable, IAsyncDisposable
{
    private DatagramReceiver? _receiver;

    protected SharedProbeSocket(LocalBinding binding, TimeProvider timeProvider, ProbeMetrics metrics, ILogger logger)
    {
        Binding = binding;
        TimeProvider = timeProvider;
        Metrics = metrics;
        Logger = logger;
    }

    public LocalBinding Binding { get; }

    public TimeProvider TimeProvider { get; }

    public ProbeMetrics Metrics { get; }

    public ILogger Logger { get; }

    /// <summary>The socket; sessions send from it.</summary>
    public Socket Socket => Receiver.Socket;

    /// <summary>True once <see cref="Dispose"/> closed the socket.</summary>
    public bool IsClosed => Receiver.IsStopped;

    private DatagramReceiver Receiver => _receiver!;

    /// <summary>Reads what is queued on the socket now, on the caller's thread (<see cref="DatagramReceiver.Drain"/>); 0 once closed.</summary>
    public int ReceivePending() => Receiver.IsStopped ? 0 : Receiver.Drain();

    /// <summary><see cref="IProbeSessionFactory.ReceivePending"/> for a factory's pool: every open socket's queue read now.</summary>
    public static int ReceivePending<TSocket>(SharedSocketPool<LocalBinding, TSocket> pool)
        where TSocket : SharedProbeSocket
    {
        ArgumentNullException.ThrowIfNull(pool);
        var read = 0;
        foreach (var socket in pool.Sockets)
        {
            read += socket.ReceivePending();
        }

        return read;
    }

    /// <summary>Closes the socket and ends the receive loop without waiting for it.</summary>
    public void Dispose()
    {
        if (!Receiver.IsStopped)
        {
            Receiver.Stop();
            LogClosed();
        }
    }

    /// <summary>Closes the socket and waits until the receive loop has ended: no reply is delivered after this.</summary>
    public async ValueTask DisposeAsync()
    {
        Dispose();
        await Receiver.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Binds <paramref name="socket"/> (new, owned from here on) to <paramref name="binding"/>,
    /// makes the shared socket with <paramref name="create"/> (which may set socket options first)
    /// and starts its receive loop, datagrams up to <paramref name="maxDatagram"/> octets whole
    /// (with <paramref name="batchReceive"/>, read with recvmmsg: for sockets that never reply).
    /// Null with a failure message naming the cause when the binding fails; the socket is closed
    /// on any failure.
    /// </summary>
    protected static TSocket? TryStart<TSocket>(Socket socket, LocalBinding binding, int maxDatagram, TimeProvider timeProvider, Func<Socket, TSocket> create, out string? failure, bool batchReceive = false)
        where TSocket : SharedProbeSocket, IDatagramHandler
    {
        try
        {
            if (!SocketBinding.TryBind(socket, binding, out failure))
            {
                socket.Dispose();
                return null;
            }

            var shared = create(socket);
            shared._receiver = DatagramReceiver.Start(socket, shared, new DatagramReceiverOptions(maxDatagram, ReadAncillary: true, BatchReceive: batchReceive), timeProvider, out _);
            return shared;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Logs that the socket closed (its last session left, or the factory was disposed).</summary>
    protected abstract void LogClosed();
}
