using System.Runtime.InteropServices;

namespace Patronus.Engine.Net;

/// <summary>
/// A minimal io_uring (Linux 5.18+: <c>IORING_SETUP_SUBMIT_ALL</c>) for one thread that queues
/// <c>IORING_OP_SEND</c> requests and submits them together in one <c>io_uring_enter</c>, then reads
/// their completions from the shared completion ring without a system call. Raw system calls and
/// the two shared rings mapped once (<c>io_uring_setup</c>, <c>mmap</c>); no liburing. Not
/// thread-safe: the queueing, submitting and reaping thread must be one (the rings have no lock).
/// Linux, 64-bit, little-endian (the SQE is written as 64-bit words).
/// </summary>
internal sealed class LinuxIoUring : IDisposable
{
    private const int SysIoUringSetup = 425;   // the same number on every Linux architecture (since 5.1)
    private const int SysIoUringEnter = 426;
    private const uint SetupClamp = 1u << 4;
    private const uint SetupSubmitAll = 1u << 7;   // 5.18: a failing SQE does not stop the rest of the batch
    private const uint SetupCoopTaskrun = 1u << 8;
    private const uint SetupNoSqArray = 1u << 16;  // 6.6: SQEs are consumed in ring order, no index array
    private const uint FeatSingleMmap = 1u << 0;
    private const byte OpSend = 26;
    private const long OffSqRing = 0;
    private const long OffSqes = 0x10000000;
    private const int ProtReadWrite = 3;
    private const int MapSharedPopulate = 0x01 | 0x8000;
    private const int SqeSize = 64;
    private const int CqeSize = 16;
    private const int ParamsSize = 120;
    private const int Eintr = 4;
    private const int Einval = 22;

    private readonly int _fd;
    private readonly nint _rings;
    private readonly nint _sqes;
    private readonly nuint _ringSize;
    private readonly nuint _sqesSize;
    private readonly nint _sqHead;
    private readonly nint _sqTailPtr;
    private readonly nint _cqHeadPtr;
    private readonly nint _cqTailPtr;
    private readonly nint _cqes;
    private readonly uint _sqMask;
    private readonly uint _cqMask;
    private uint _sqTail;
    private uint _submittedTail;
    private uint _cqHead;
    private int _disposed;

    private LinuxIoUring(int fd, ReadOnlySpan<byte> p, nint rings, nuint ringSize, nint sqes, nuint sqesSize, bool sqArray)
    {
        _fd = fd;
        _rings = rings;
        _ringSize = ringSize;
        _sqes = sqes;
        _sqesSize = sqesSize;
        Entries = (int)MemoryMarshal.Read<uint>(p);
        _sqHead = rings + (nint)MemoryMarshal.Read<uint>(p[40..]);
        _sqTailPtr = rings + (nint)MemoryMarshal.Read<uint>(p[44..]);
        _sqMask = (uint)Marshal.ReadInt32(rings + (nint)MemoryMarshal.Read<uint>(p[48..]));
        _cqHeadPtr = rings + (nint)MemoryMarshal.Read<uint>(p[80..]);
        _cqTailPtr = rings + (nint)MemoryMarshal.Read<uint>(p[84..]);
        _cqMask = (uint)Marshal.ReadInt32(rings + (nint)MemoryMarshal.Read<uint>(p[88..]));
        _cqes = rings + (nint)MemoryMarshal.Read<uint>(p[100..]);
        _sqTail = _submittedTail = (uint)Marshal.ReadInt32(_sqTailPtr);
        _cqHead = (uint)Marshal.ReadInt32(_cqHeadPtr);
        if (sqArray)
        {
            // Without IORING_SETUP_NO_SQARRAY the kernel takes SQE indices from this array: an
            // identity map, written once, keeps the SQEs in ring order.
            var array = rings + (nint)MemoryMarshal.Read<uint>(p[64..]);
            for (var i = 0; i < Entries; i++)
            {
                Marshal.WriteInt32(array, i * 4, i);
            }
        }
    }

    /// <summary>Submission queue slots: the most requests one <see cref="Submit"/> carries.</summary>
    public int Entries { get; }

    /// <summary>Requests queued since the last <see cref="Submit"/>.</summary>
    public int Queued => (int)(_sqTail - _submittedTail);

    public static bool IsSupported => OperatingSystem.IsLinux() && Environment.Is64BitProcess && BitConverter.IsLittleEndian;

    /// <summary>
    /// A ring of at least <paramref name="entries"/> submission slots (a power of two, clamped by
    /// the kernel); null with <paramref name="error"/> when io_uring is missing, disabled
    /// (<c>sysctl kernel.io_uring_disabled</c>, a seccomp filter) or older than 5.18.
    /// </summary>
    public static LinuxIoUring? TryCreate(int entries, out string? error)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(entries, 1);
        if (!IsSupported)
        {
            error = "io_uring needs 64-bit little-endian Linux";
            return null;
        }

        var p = GC.AllocateArray<byte>(ParamsSize, pinned: true);
        var flags = SetupSubmitAll | SetupCoopTaskrun | SetupClamp | SetupNoSqArray;
        var fd = Setup(entries, p, flags);
        if (fd < 0 && -fd == Einval)
        {
            flags &= ~SetupNoSqArray; // before 6.6
            fd = Setup(entries, p, flags);
        }

        if (fd < 0)
        {
            error = -fd switch
            {
                38 => "io_uring_setup: not in this kernel (ENOSYS)",
                1 => "io_uring_setup: not permitted (EPERM: sysctl kernel.io_uring_disabled, or a seccomp filter)",
                Einval => "io_uring_setup: IORING_SETUP_SUBMIT_ALL refused (EINVAL: Linux older than 5.18)",
                var e => $"io_uring_setup: errno {e}",
            };
            return null;
        }

        var ps = p.AsSpan();
        if ((MemoryMarshal.Read<uint>(ps[20..]) & FeatSingleMmap) == 0)
        {
            _ = Close(fd);
            error = "io_uring without IORING_FEAT_SINGLE_MMAP (Linux older than 5.4)";
            return null;
        }

        // One mapping holds both rings (IORING_FEAT_SINGLE_MMAP); the SQEs are a second one.
        var sqEntries = MemoryMarshal.Read<uint>(ps);
        var cqEntries = MemoryMarshal.Read<uint>(ps[4..]);
        var sqArray = (flags & SetupNoSqArray) == 0;
        var ringSize = (nuint)Math.Max(
            MemoryMarshal.Read<uint>(ps[100..]) + (cqEntries * CqeSize),
            sqArray ? MemoryMarshal.Read<uint>(ps[64..]) + (sqEntries * 4) : 0);
        var sqesSize = (nuint)(sqEntries * SqeSize);
        var rings = Mmap(0, ringSize, ProtReadWrite, MapSharedPopulate, fd, OffSqRing);
        var sqes = rings == -1 ? -1 : Mmap(0, sqesSize, ProtReadWrite, MapSharedPopulate, fd, OffSqes);
        if (sqes == -1)
        {
            error = $"io_uring mmap: errno {Marshal.GetLastPInvokeError()}";
            Unmap(rings, ringSize);
            _ = Close(fd);
            return null;
        }

        error = null;
        return new LinuxIoUring(fd, ps, rings, ringSize, sqes, sqesSize, sqArray);
    }

    /// <summary>
    /// Queues an <c>IORING_OP_SEND</c> of <paramref name="length"/> octets at
    /// <paramref name="buffer"/> (which must stay valid until its completion) on
    /// <paramref name="fd"/>; false when the submission queue is full.
    /// </summary>
    public bool TryQueueSend(int fd, nint buffer, int length, int messageFlags, ulong userData)
    {
        if (Queued >= Entries)
        {
            return false;
        }

        var sqe = _sqes + (nint)((_sqTail & _sqMask) * SqeSize);
        Marshal.WriteInt64(sqe, 0, OpSend | ((long)(uint)fd << 32));   // opcode, flags 0, ioprio 0, fd
        Marshal.WriteInt64(sqe, 8, 0);                                  // offset / addr2 (a destination: none, connected)
        Marshal.WriteInt64(sqe, 16, buffer);                            // addr
        Marshal.WriteInt64(sqe, 24, (uint)length | ((long)messageFlags << 32)); // len, msg_flags
        Marshal.WriteInt64(sqe, 32, (long)userData);
        Marshal.WriteInt64(sqe, 40, 0);                                 // buf_index, personality, addr_len
        Marshal.WriteInt64(sqe, 48, 0);
        Marshal.WriteInt64(sqe, 56, 0);
        _sqTail++;
        return true;
    }

    /// <summary>
    /// Submits every queued request in one <c>io_uring_enter</c> and returns how many the kernel
    /// took, in queue order; the rest (only when the call failed, with <paramref name="errno"/>) are
    /// taken back out of the queue, never submitted. Does not wait for completions.
    /// </summary>
    public int Submit(out int errno)
    {
        errno = 0;
        var queued = Queued;
        if (queued == 0)
        {
            return 0;
        }

        // The SQEs must be visible before the tail that publishes them.
        Interlocked.MemoryBarrier();
        Marshal.WriteInt32(_sqTailPtr, (int)_sqTail);
        long result;
        do
        {
            result = Syscall(SysIoUringEnter, _fd, queued, 0, 0, 0, 0);
            errno = result < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
        while (result < 0 && errno == Eintr);

        // Whatever the result, the kernel's head says what it consumed; without SQPOLL nothing
        // reads the ring between our calls, so the unconsumed tail can be withdrawn.
        Interlocked.MemoryBarrier();
        var head = (uint)Marshal.ReadInt32(_sqHead);
        if (head != _sqTail)
        {
            _sqTail = head;
            Marshal.WriteInt32(_sqTailPtr, (int)head);
        }

        var submitted = (int)(head - _submittedTail);
        _submittedTail = head;
        return submitted;
    }

    /// <summary>Takes the oldest completion off the ring (no system call): its user data and result (a byte count, or −errno).</summary>
    public bool TryReap(out ulong userData, out int result)
    {
        var tail = (uint)Marshal.ReadInt32(_cqTailPtr);
        Interlocked.MemoryBarrier(); // read the CQE after the tail that published it
        if (tail == _cqHead)
        {
            userData = 0;
            result = 0;
            return false;
        }

        var cqe = _cqes + (nint)((_cqHead & _cqMask) * CqeSize);
        userData = (ulong)Marshal.ReadInt64(cqe, 0);
        result = Marshal.ReadInt32(cqe, 8);
        _cqHead++;
        Interlocked.MemoryBarrier(); // the CQE is read before its slot is handed back
        Marshal.WriteInt32(_cqHeadPtr, (int)_cqHead);
        return true;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Unmap(_sqes, _sqesSize);
        Unmap(_rings, _ringSize);

        _ = Close(_fd);
    }

    private static int Setup(int entries, byte[] parameters, uint flags)
    {
        Array.Clear(parameters);
        MemoryMarshal.Write(parameters.AsSpan(8), flags);
        var fd = Syscall(SysIoUringSetup, entries, Marshal.UnsafeAddrOfPinnedArrayElement(parameters, 0), 0, 0, 0, 0);
        return fd < 0 ? -Marshal.GetLastPInvokeError() : (int)fd;
    }

    private static void Unmap(nint address, nuint size)
    {
        if (address is not (0 or -1))
        {
            _ = Munmap(address, size);
        }
    }

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern long Syscall(long number, nint a1, nint a2, nint a3, nint a4, nint a5, nint a6);

    [DllImport("libc", EntryPoint = "mmap", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [DllImport("libc", EntryPoint = "munmap", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Munmap(nint address, nuint length);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Close(int fd);
}
