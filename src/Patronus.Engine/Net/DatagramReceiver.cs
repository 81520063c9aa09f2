using System.Net;
using System.Net.Sockets;

namespace Patronus.Engine.Net;

/// <summary>
/// The one receive loop of the engine's datagram sockets (the probes' shared UDP and raw ICMP
/// sockets, the STAMP reflector; BFD reads its listeners on its own thread with recvmmsg): it hands each
/// datagram to an <see cref="IDatagramHandler"/> in a buffer allocated once, and guarantees:
/// <list type="bullet">
/// <item>It ends within one datagram of <see cref="Stop"/> / <see cref="DisposeAsync"/>, even when
/// a flood keeps the socket's queue full: the stop is checked before every datagram, never only
/// when the queue runs dry.</item>
/// <item>It outlives anything one datagram does: a handler that throws is reported to
/// <see cref="IDatagramHandler.OnLoopError"/> and the loop goes on; a socket error goes to
/// <see cref="IDatagramHandler.OnReceiveError"/>, and from the second in a row on the loop waits
/// <see cref="ErrorBackoff"/> before trying again, so that a persistent error (the bound device
/// gone) cannot spin a core.</item>
/// <item>A datagram longer than <see cref="DatagramReceiverOptions.MaxDatagram"/> is handed over
/// with <see cref="ReceivedDatagram.Truncated"/> set, for the handler to count as a drop.</item>
/// </list>
/// Two ways to read, one loop: with <see cref="DatagramReceiverOptions.ReadAncillary"/> on 64-bit
/// Linux, recvmsg (<see cref="LinuxDatagram"/>) yields the received TTL / Hop Limit and the local
/// address the datagram was sent to, so a reply leaves from that address
/// (<see cref="ReceivedDatagram.TryReply"/>); the loop then waits in .NET's socket engine (epoll)
/// with a one-octet MSG_PEEK and drains the queue with non-blocking recvmsg, in batches of at most
/// <see cref="MaxBatch"/> (what <see cref="Drain"/> may wait for); with
/// <see cref="DatagramReceiverOptions.BatchReceive"/> (the probe sockets, which never reply) it
/// drains with recvmmsg instead (<see cref="LinuxReceiveBatch"/>, <see cref="ReceiveBatch"/> a
/// call: TTL, source and kernel timestamp, one system call per burst instead of one per
/// datagram), and the handler hears <see cref="IDatagramHandler.OnBatchEnd"/> after each drain. Otherwise .NET's
/// <c>ReceiveFromAsync</c>, one datagram per call and no allocation (a reused
/// <see cref="SocketAddress"/>). The receiver owns the socket and closes it when stopped.
/// </summary>
internal sealed class DatagramReceiver : IAsyncDisposable
{
    /// <summary>
    /// Datagrams read per hold of the receive lock in recvmsg mode: bounds how long a
    /// <see cref="Drain"/> from another thread can wait for the loop under a flood (256 datagrams
    /// take well under a millisecond), and costs nothing otherwise.
    /// </summary>
    public const int MaxBatch = 256;

    /// <summary>
    /// Datagrams per recvmmsg with <see cref="DatagramReceiverOptions.BatchReceive"/>: a probe
    /// socket's wake-up at 10,000 replies/s finds ~15 queued (measured with perf trace, bar 1 of
    /// issue 14); 64 take most bursts in one call and cost 64 × (datagram + 160 octets) of pinned buffers.
    /// </summary>
    public const int ReceiveBatch = 64;

    private const int Eopnotsupp = 95;

    /// <summary>
    /// Pause after the second socket error in a row and each one after it: far below any probe
    /// interval or BFD detection time, far above what spinning on a dead socket would cost.
    /// </summary>
    public static readonly TimeSpan ErrorBackoff = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest queue wait a kernel receive timestamp is believed for (beyond it, the wall clock stepped).</summary>
    public static readonly TimeSpan MaxQueueWait = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;
    private readonly IDatagramHandler _handler;
    private readonly TimeProvider _time;
    private readonly LinuxDatagram? _native;
    private readonly LinuxReceiveBatch? _batch;
    private readonly byte[] _buffer;
    private readonly SocketAddress _source;
    private readonly int _maxDatagram;
    private readonly Lock _receiveLock = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private int _stopped;

    private DatagramReceiver(Socket socket, IDatagramHandler handler, DatagramReceiverOptions options, TimeProvider time, LinuxDatagram? native, LinuxReceiveBatch? batch)
    {
        _socket = socket;
        _handler = handler;
        _time = time;
        _native = native;
        _batch = batch;
        _maxDatagram = options.MaxDatagram;
        _buffer = native?.Buffer ?? GC.AllocateUninitializedArray<byte>(options.MaxDatagram + 1);
        _source = new SocketAddress(socket.AddressFamily);
    }

    /// <summary>The socket; sends may use it from any thread.</summary>
    public Socket Socket => _socket;

    /// <summary>True when datagrams are read with recvmsg: <see cref="ReceivedDatagram.Ttl"/> is the received TTL and replies leave from the address asked.</summary>
    public bool ReadsAncillary => _native is not null || _batch is not null;

    /// <summary>True when datagrams are read with recvmmsg, up to <see cref="ReceiveBatch"/> a call.</summary>
    public bool ReadsInBatches => _batch is not null;

    /// <summary>The ancillary data for a reply to the datagram being handled (<see cref="ReceivedDatagram.ReplyControl"/>).</summary>
    internal ReadOnlySpan<byte> LastReplyControl => _batch is null && _native is { } native ? native.ReplyControl : default;

    /// <summary>True once <see cref="Stop"/> closed the socket.</summary>
    public bool IsStopped => Volatile.Read(ref _stopped) != 0;

    /// <summary>Tests: hold the loop after its wait (datagrams stay queued in the kernel), as a starved thread pool would.</summary>
    internal bool PausedForTest { get; set; }

    /// <summary>
    /// Takes <paramref name="socket"/> (bound) and starts receiving on the thread pool, so a
    /// caller's lock is not held by the loop. With <see cref="DatagramReceiverOptions.ReadAncillary"/>
    /// where recvmsg is unavailable or the kernel refuses its options, <paramref name="ancillaryFailure"/>
    /// says why and the loop reads without it.
    /// </summary>
    public static DatagramReceiver Start(Socket socket, IDatagramHandler handler, DatagramReceiverOptions options, TimeProvider time, out string? ancillaryFailure)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxDatagram, 1);
        ancillaryFailure = null;
        LinuxDatagram? native = null;
        LinuxReceiveBatch? batch = null;
        if (options.ReadAncillary && options.BatchReceive && LinuxReceiveBatch.IsSupported)
        {
            try
            {
                LinuxReceiveBatch.Enable(socket);
                batch = new LinuxReceiveBatch(ReceiveBatch, options.MaxDatagram);
            }
            catch (SocketException ex)
            {
                ancillaryFailure = ex.Message; // then recvmsg, which asks for the same options and fails alike
            }
        }

        if (options.ReadAncillary && batch is null)
        {
            native = LinuxDatagram.IsSupported
                ? LinuxDatagram.TryCreate(socket, options.MaxDatagram + 1, out ancillaryFailure)
                : null;
            if (!LinuxDatagram.IsSupported)
            {
                ancillaryFailure = "recvmsg with ancillary data needs 64-bit Linux";
            }
        }

        var receiver = new DatagramReceiver(socket, handler, options, time, native, batch);
        receiver._loop = Task.Run(() => receiver.RunAsync(receiver._stop.Token));
        return receiver;
    }

    /// <summary>
    /// Reads every datagram queued now, on the caller's thread, and hands each to the handler;
    /// returns how many. For a loop that must not act on stale state while the kernel holds
    /// unread datagrams (the health monitor before it declares a probe lost). Safe against the receive loop:
    /// both read under one lock. Returns 0 without recvmsg (nothing to read without waiting).
    /// </summary>
    public int Drain()
    {
        var count = 0;
        int read;
        do
        {
            read = DrainBatch(_stop.Token);
            count += read;
        }
        while (read == MaxBatch);

        return count;
    }

    /// <summary>Stops the loop and closes the socket; returns at once (see <see cref="DisposeAsync"/>).</summary>
    public void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            _stop.Cancel();
            _socket.Dispose();
        }
    }

    /// <summary>Stops the loop, closes the socket and waits until the loop has ended: no datagram is handled after this.</summary>
    public async ValueTask DisposeAsync()
    {
        Stop();
        await _loop.ConfigureAwait(false);
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var peek = new byte[1];
        var failuresInARow = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (failuresInARow > 1)
                {
                    await Task.Delay(ErrorBackoff, _time, cancellationToken).ConfigureAwait(false);
                }

                if (_native is null && _batch is null)
                {
                    var length = await _socket.ReceiveFromAsync(_buffer, SocketFlags.None, _source, cancellationToken).ConfigureAwait(false);
                    failuresInARow = 0;
                    Handle(_buffer.AsSpan(0, length), _source.Buffer.Span[.._source.Size], ttl: 0, truncated: length > _maxDatagram);
                    EndBatch();
                    continue;
                }

                // Wait without taking the datagram, then drain with non-blocking recvmsg.
                await _socket.ReceiveFromAsync(peek, SocketFlags.Peek, _source, cancellationToken).ConfigureAwait(false);
                failuresInARow = 0;
                while (PausedForTest && !cancellationToken.IsCancellationRequested)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(5), _time, cancellationToken).ConfigureAwait(false);
                }

                DrainBatch(cancellationToken);
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (SocketException ex)
            {
                failuresInARow++;
                _handler.OnReceiveError(ex);
            }
#pragma warning disable CA1031 // the loop must outlive anything one datagram does
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _handler.OnLoopError(ex);
            }
        }
    }

    // At most MaxBatch datagrams; the stop is checked before each, so a flood cannot hold the loop.
    private int DrainBatch(CancellationToken cancellationToken)
    {
        if (_batch is { } batch)
        {
            return DrainRecvmmsg(batch, cancellationToken);
        }

        if (_native is not { } native)
        {
            return 0;
        }

        var count = 0;
        lock (_receiveLock)
        {
            while (count < MaxBatch && !cancellationToken.IsCancellationRequested &&
                native.TryReceive(out var length, out var ttl, out var truncated, out var kernelNs, out var errno))
            {
                count++;
                Handle(native.Buffer.AsSpan(0, Math.Min(length, native.Buffer.Length)), native.PeerAddress, ttl, truncated || length > _maxDatagram, kernelNs);
            }

            // Ended without a datagram: EAGAIN (drained) or an error about one datagram (a queued
            // ICMP error): either way back to waiting.
            if (count > 0)
            {
                EndBatch();
            }
        }

        return count;
    }

    // Up to MaxBatch datagrams in recvmmsg calls of ReceiveBatch; the stop is checked before each call.
    private int DrainRecvmmsg(LinuxReceiveBatch batch, CancellationToken cancellationToken)
    {
        var count = 0;
        lock (_receiveLock)
        {
            while (count < MaxBatch && !cancellationToken.IsCancellationRequested)
            {
                var n = batch.Receive(_socket.SafeHandle, out _);
                for (var i = 0; i < n; i++)
                {
                    Handle(batch.Payload(i), batch.Source(i), batch.Ttl(i), batch.Truncated(i), batch.KernelTimeNs(i));
                }

                count += n;

                // Fewer than asked: the queue was empty (or an error about one datagram, a queued
                // ICMP error): back to waiting, as the recvmsg loop does.
                if (n < batch.Capacity)
                {
                    break;
                }
            }

            if (count > 0)
            {
                EndBatch();
            }
        }

        return count;
    }

    private void EndBatch()
    {
        try
        {
            _handler.OnBatchEnd();
        }
#pragma warning disable CA1031 // a handler's failure must not end the loop
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _handler.OnLoopError(ex);
        }
    }

    private void Handle(Span<byte> payload, ReadOnlySpan<byte> source, byte ttl, bool truncated, long kernelRealtimeNs = 0)
    {
        var datagram = new ReceivedDatagram(this, payload, source, ttl, truncated, ReceivedAt(kernelRealtimeNs));
        try
        {
            _handler.OnDatagram(ref datagram);
        }
#pragma warning disable CA1031 // one datagram's handler failing must not cost the rest of the batch
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _handler.OnLoopError(ex);
        }
    }

    /// <summary>
    /// When the datagram arrived, on this receiver's monotonic clock: now, less how long it waited
    /// in the socket's queue by the kernel's receive timestamp (with the system clock only). The kernel stamps with the wall
    /// clock, so the wait is measured against the wall clock read now, and a wait that is negative
    /// or longer than <see cref="MaxQueueWait"/> (the wall clock stepped in between) is not
    /// believed: the datagram then counts as received now, as it would without a timestamp.
    /// </summary>
    private long ReceivedAt(long kernelRealtimeNs)
    {
        var now = _time.GetTimestamp();
        if (kernelRealtimeNs <= 0 || !ReferenceEquals(_time, TimeProvider.System))
        {
            return now; // no timestamp, or a test clock the kernel's cannot be compared with
        }

        var waitedNs = ((DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100) - kernelRealtimeNs;
        if (waitedNs <= 0 || waitedNs > MaxQueueWait.Ticks * 100)
        {
            return now;
        }

        return now - (long)(waitedNs * (_time.TimestampFrequency / 1e9));
    }

    /// <summary>Sends <paramref name="length"/> octets of the receive buffer to the last datagram's source (from the address it was sent to, with recvmsg).</summary>
    internal bool TryReplyToLast(int length, out int errno)
    {
        if (_batch is not null)
        {
            errno = Eopnotsupp; // read with recvmmsg: for handlers that never reply
            return false;
        }

        if (_native is { } native)
        {
            return native.TrySendReply(length, out errno);
        }

        try
        {
            _socket.SendTo(_buffer.AsSpan(0, length), SocketFlags.None, _source);
            errno = 0;
            return true;
        }
        catch (SocketException ex)
        {
            errno = ex.NativeErrorCode;
            return false;
        }
    }
}
