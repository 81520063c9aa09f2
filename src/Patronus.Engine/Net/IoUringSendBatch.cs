using System.Runtime.InteropServices;

namespace Patronus.Engine.Net;

/// <summary>
/// What became of one packet given to <see cref="IoUringSendBatch{TState}.Send"/>: its caller's
/// <paramref name="state"/>, 0 or the errno the kernel refused it with, and its octets (valid
/// during the call only). Called on the thread that sends and flushes.
/// </summary>
internal delegate void SendCompleted<TState>(TState state, int errno, ReadOnlySpan<byte> packet);

/// <summary>
/// Sends datagrams on many connected sockets with one system call per batch instead of one per
/// packet: <see cref="Send"/> copies the packet into a pinned slot and queues an
/// <c>IORING_OP_SEND</c> on that packet's own socket; <see cref="Flush"/> submits the queue in one
/// <c>io_uring_enter</c> and reports every packet's result from the completion ring (read
/// without a system call). Each send carries <c>MSG_DONTWAIT</c>, so the kernel runs it inline during
/// the submit and a full socket buffer is reported (EAGAIN), never parked: the completions are
/// there when <see cref="Flush"/> returns and no buffer outlives it. Why: one loop sends for a
/// thousand BFD sessions, each on its own socket (RFC 5881 §4: one source port per session), so
/// <c>sendmmsg</c> cannot batch them; on a VM every system call pays the hypervisor (issue 14).
/// Where io_uring is missing or disabled the batch sends each packet at once with <c>send</c>
/// (<see cref="UsesIoUring"/> false, <see cref="FallbackReason"/> says why) and reports it the
/// same way. Never throws on the send path: every failure is a completion with its errno. No
/// allocation per packet. One thread: not thread-safe.
/// <para>
/// The caller must <see cref="Flush"/> before it closes a socket it queued a packet to: the
/// queue holds the descriptor's number, which a close could hand to another socket.
/// </para>
/// </summary>
internal sealed class IoUringSendBatch<TState> : IDisposable
{
    private const int MsgDontWait = 0x40;
    private const int MsgNoSignal = 0x4000;
    private const int SendFlags = MsgDontWait | MsgNoSignal;
    private const int Ebadf = 9;
    private const int Emsgsize = 90;

    private readonly LinuxIoUring? _ring;
    private readonly SendCompleted<TState> _completed;
    private readonly int _slotSize;
    private readonly byte[] _buffers;
    private readonly int[] _lengths;
    private readonly int[] _fds;
    private readonly TState?[] _states;
    private readonly int[] _free;
    private readonly int[] _queued;
    private int _freeCount;
    private int _queuedCount;

    private IoUringSendBatch(LinuxIoUring? ring, string? fallbackReason, int capacity, int maxPacket, SendCompleted<TState> completed)
    {
        _ring = ring;
        FallbackReason = fallbackReason;
        _completed = completed;
        _slotSize = maxPacket;
        Capacity = ring?.Entries ?? capacity;

        // Twice the queue: a flush that found a completion missing (not seen with MSG_DONTWAIT,
        // but the kernel may post it later) still leaves a full queue of free slots.
        var slots = ring is null ? 1 : Capacity * 2;
        _buffers = GC.AllocateArray<byte>(slots * maxPacket, pinned: true);
        _lengths = new int[slots];
        _fds = new int[slots];
        _states = new TState?[slots];
        _free = new int[slots];
        _queued = new int[Capacity];
        for (var i = 0; i < slots; i++)
        {
            _free[_freeCount++] = slots - 1 - i;
        }
    }

    /// <summary>Whether packets go through io_uring; false: one <c>send</c> per packet.</summary>
    public bool UsesIoUring => _ring is not null;

    /// <summary>Why io_uring is not used (null when it is).</summary>
    public string? FallbackReason { get; }

    /// <summary>Packets one <see cref="Flush"/> submits at most; a <see cref="Send"/> beyond it flushes first.</summary>
    public int Capacity { get; }

    /// <summary>Packets queued since the last <see cref="Flush"/>.</summary>
    public int Queued => _queuedCount;

    /// <summary>Flushes whose <c>io_uring_enter</c> failed (their packets then went one <c>send</c> each).</summary>
    public long SubmitFailures { get; private set; }

    /// <summary>
    /// A batch of <paramref name="capacity"/> packets of at most <paramref name="maxPacket"/>
    /// octets (a longer one is refused with EMSGSIZE) reporting to <paramref name="completed"/>;
    /// with <paramref name="useIoUring"/> false, or where io_uring cannot start, one <c>send</c>
    /// per packet.
    /// </summary>
    public static IoUringSendBatch<TState> Create(int capacity, int maxPacket, SendCompleted<TState> completed, bool useIoUring = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPacket, 1);
        ArgumentNullException.ThrowIfNull(completed);
        string? reason = "turned off";
        var ring = useIoUring ? LinuxIoUring.TryCreate(capacity, out reason) : null;
        return new IoUringSendBatch<TState>(ring, ring is null ? reason : null, capacity, maxPacket, completed);
    }

    /// <summary>
    /// Sends <paramref name="packet"/> on <paramref name="socket"/> (a connected datagram socket):
    /// queued for the next <see cref="Flush"/> with io_uring (a full queue flushes first), at once
    /// without. Its result reaches the completion callback with <paramref name="state"/>.
    /// </summary>
    public void Send(SafeHandle socket, ReadOnlySpan<byte> packet, TState state)
    {
        if (packet.Length > _slotSize)
        {
            _completed(state, Emsgsize, packet);
            return;
        }

        if (socket.IsClosed || socket.IsInvalid)
        {
            _completed(state, Ebadf, packet);
            return;
        }

        if (_ring is null)
        {
            _completed(state, LinuxSend.Send(socket, packet, SendFlags), packet);
            return;
        }

        if (_queuedCount == Capacity || _freeCount == 0)
        {
            Flush();
        }

        if (_freeCount == 0)
        {
            // Every slot still in flight (a completion the kernel has not posted yet): this one goes alone.
            _completed(state, LinuxSend.Send(socket, packet, SendFlags), packet);
            return;
        }

        var slot = _free[--_freeCount];
        packet.CopyTo(_buffers.AsSpan(slot * _slotSize));
        _lengths[slot] = packet.Length;
        _fds[slot] = (int)socket.DangerousGetHandle();
        _states[slot] = state;
        _ring.TryQueueSend(_fds[slot], Marshal.UnsafeAddrOfPinnedArrayElement(_buffers, slot * _slotSize), packet.Length, SendFlags, (ulong)slot);
        _queued[_queuedCount++] = slot;
    }

    /// <summary>
    /// Submits the queued packets in one <c>io_uring_enter</c> and reports every completion there
    /// is; returns how many packets the kernel took. Without io_uring, 0 (every packet went at
    /// <see cref="Send"/>). No system call when nothing is queued.
    /// </summary>
    public int Flush()
    {
        if (_ring is null)
        {
            return 0;
        }

        var submitted = 0;
        if (_queuedCount > 0)
        {
            submitted = _ring.Submit(out _);
            var queued = _queuedCount;
            _queuedCount = 0;
            if (submitted < queued)
            {
                // The enter failed (out of memory for requests, …): the kernel did not take these; send them one by one.
                SubmitFailures++;
                for (var i = submitted; i < queued; i++)
                {
                    var slot = _queued[i];
                    Complete(slot, LinuxSend.Send(_fds[slot], _buffers.AsSpan(slot * _slotSize, _lengths[slot]), SendFlags));
                }
            }
        }

        while (_ring.TryReap(out var userData, out var result))
        {
            Complete((int)userData, result < 0 ? -result : 0);
        }

        return submitted;
    }

    public void Dispose() => _ring?.Dispose();

    private void Complete(int slot, int errno)
    {
        var state = _states[slot];
        _states[slot] = default;
        try
        {
            _completed(state!, errno, _buffers.AsSpan(slot * _slotSize, _lengths[slot]));
        }
        finally
        {
            _free[_freeCount++] = slot;
        }
    }
}
