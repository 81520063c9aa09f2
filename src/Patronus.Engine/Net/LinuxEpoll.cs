using System.Runtime.InteropServices;

namespace Patronus.Engine.Net;

/// <summary>
/// An epoll set and an eventfd for a loop that runs on its own thread and waits on many sockets
/// at once (BFD: every listener socket in one <c>epoll_wait</c>, no thread-pool hop per
/// datagram). Level-triggered, EPOLLIN only. The wait has nanosecond resolution
/// (<c>epoll_pwait2</c>, Linux 5.11) and falls back to milliseconds, rounded up, where that is
/// missing. <see cref="Wake"/> may be called from any thread; everything else belongs to the
/// waiting thread, except <see cref="SetReading"/> (epoll_ctl is thread-safe). Linux, 64-bit.
/// </summary>
internal sealed class LinuxEpoll : IDisposable
{
    /// <summary>The event data that reports <see cref="Wake"/> (never a registration's).</summary>
    public const ulong WakeData = ulong.MaxValue;

    private const int EpollCtlAdd = 1;
    private const int EpollCtlDel = 2;
    private const int EpollCtlMod = 3;
    private const uint EpollIn = 0x001;
    private const int EpollCloexec = 0x80000;
    private const int EfdCloexec = 0x80000;
    private const int EfdNonblock = 0x800;
    private const int Eintr = 4;
    private const int Enosys = 38;

    // struct epoll_event is packed on x86-64 (12 octets: events at 0, data at 4), natural elsewhere (16: data at 8).
    private static readonly int s_eventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    private static readonly int s_dataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    private readonly int _epoll;
    private readonly int _eventFd;
    private readonly byte[] _events;
    private readonly byte[] _control = GC.AllocateArray<byte>(16, pinned: true);
    private readonly long[] _timespec = GC.AllocateArray<long>(2, pinned: true);
    private readonly long[] _counter = GC.AllocateArray<long>(1, pinned: true);
    private bool _noPwait2;
    private int _disposed;

    private LinuxEpoll(int epoll, int eventFd, int capacity)
    {
        _epoll = epoll;
        _eventFd = eventFd;
        Capacity = capacity;
        _events = GC.AllocateArray<byte>(capacity * s_eventSize, pinned: true);
    }

    /// <summary>Most events one <see cref="Wait"/> reports.</summary>
    public int Capacity { get; }

    public static bool IsSupported => OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    /// <summary>A new set with its eventfd registered; null with <paramref name="error"/> when the kernel refuses.</summary>
    public static LinuxEpoll? TryCreate(int capacity, out string? error)
    {
        var epoll = EpollCreate1(EpollCloexec);
        if (epoll < 0)
        {
            error = $"epoll_create1: errno {Marshal.GetLastPInvokeError()}";
            return null;
        }

        var eventFd = EventFd(0, EfdCloexec | EfdNonblock);
        if (eventFd < 0)
        {
            error = $"eventfd: errno {Marshal.GetLastPInvokeError()}";
            _ = Close(epoll);
            return null;
        }

        var set = new LinuxEpoll(epoll, eventFd, capacity);
        if (set.Control(EpollCtlAdd, eventFd, EpollIn, WakeData) != 0)
        {
            error = $"epoll_ctl: errno {Marshal.GetLastPInvokeError()}";
            set.Dispose();
            return null;
        }

        error = null;
        return set;
    }

    /// <summary>Watches <paramref name="socket"/> for input, reported with <paramref name="data"/>. False with errno when the kernel refuses.</summary>
    public bool TryAdd(SafeHandle socket, ulong data, out int errno) => TryControl(EpollCtlAdd, socket, EpollIn, data, out errno);

    /// <summary>Stops (or resumes) reporting input on a registered socket; the registration stays.</summary>
    public void SetReading(SafeHandle socket, ulong data, bool reading) => TryControl(EpollCtlMod, socket, reading ? EpollIn : 0, data, out _);

    /// <summary>Stops watching <paramref name="socket"/> (closing it does too).</summary>
    public void Remove(SafeHandle socket) => TryControl(EpollCtlDel, socket, 0, 0, out _);

    /// <summary>Makes the current or next <see cref="Wait"/> return with <see cref="WakeData"/>. Any thread.</summary>
    public void Wake()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        Span<byte> one = stackalloc byte[8];
        MemoryMarshal.Write(one, 1L);
        _ = Write(_eventFd, ref MemoryMarshal.GetReference(one), 8);
    }

    /// <summary>
    /// Waits at most <paramref name="timeout"/> (zero: just look) and returns how many events it
    /// found; read them with <see cref="DataAt"/>. A wake-up is consumed here and reported as
    /// <see cref="WakeData"/>. An interrupted wait returns 0.
    /// </summary>
    public int Wait(TimeSpan timeout)
    {
        var events = Marshal.UnsafeAddrOfPinnedArrayElement(_events, 0);
        var ticks = Math.Max(0, timeout.Ticks);
        int n;
        if (!_noPwait2)
        {
            _timespec[0] = ticks / TimeSpan.TicksPerSecond;
            _timespec[1] = ticks % TimeSpan.TicksPerSecond * 100;
            n = EpollPwait2(_epoll, events, Capacity, Marshal.UnsafeAddrOfPinnedArrayElement(_timespec, 0), 0);
            if (n < 0 && Marshal.GetLastPInvokeError() == Enosys)
            {
                _noPwait2 = true;
            }
        }
        else
        {
            n = -1;
        }

        if (_noPwait2)
        {
            var ms = (int)Math.Min(int.MaxValue, (ticks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond);
            n = EpollWait(_epoll, events, Capacity, ms);
        }

        if (n < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno == Eintr ? 0 : throw new InvalidOperationException($"epoll_wait failed: errno {errno}");
        }

        for (var i = 0; i < n; i++)
        {
            if (DataAt(i) == WakeData)
            {
                _ = Read(_eventFd, Marshal.UnsafeAddrOfPinnedArrayElement(_counter, 0), 8); // reset the counter
            }
        }

        return n;
    }

    /// <summary>The data of the <paramref name="index"/>-th event of the last <see cref="Wait"/>.</summary>
    public ulong DataAt(int index) => MemoryMarshal.Read<ulong>(_events.AsSpan((index * s_eventSize) + s_dataOffset, 8));

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _ = Close(_eventFd);
            _ = Close(_epoll);
        }
    }

    private bool TryControl(int op, SafeHandle socket, uint events, ulong data, out int errno)
    {
        var added = false;
        try
        {
            socket.DangerousAddRef(ref added);
            if (Control(op, (int)socket.DangerousGetHandle(), events, data) == 0)
            {
                errno = 0;
                return true;
            }

            errno = Marshal.GetLastPInvokeError();
            return false;
        }
        catch (ObjectDisposedException)
        {
            errno = 9; // EBADF: the socket is closed, which removed it from the set
            return false;
        }
        finally
        {
            if (added)
            {
                socket.DangerousRelease();
            }
        }
    }

    private int Control(int op, int fd, uint events, ulong data)
    {
        lock (_control)
        {
            var e = _control.AsSpan();
            e.Clear();
            MemoryMarshal.Write(e, events);
            MemoryMarshal.Write(e[s_dataOffset..], data);
            return EpollCtl(_epoll, op, fd, Marshal.UnsafeAddrOfPinnedArrayElement(_control, 0));
        }
    }

    [DllImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int EpollCreate1(int flags);

    [DllImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int EpollCtl(int epoll, int op, int fd, nint eventPointer);

    [DllImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int EpollWait(int epoll, nint events, int maxEvents, int timeoutMs);

    [DllImport("libc", EntryPoint = "epoll_pwait2", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int EpollPwait2Native(int epoll, nint events, int maxEvents, nint timeout, nint sigmask);

    [DllImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int EventFd(uint initial, int flags);

    [DllImport("libc", EntryPoint = "write", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint Write(int fd, ref byte buffer, nint count);

    [DllImport("libc", EntryPoint = "read", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint Read(int fd, nint buffer, nint count);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Close(int fd);

    // glibc before 2.35 has no epoll_pwait2 wrapper: report ENOSYS like an old kernel would.
    private static int EpollPwait2(int epoll, nint events, int maxEvents, nint timeout, nint sigmask)
    {
        try
        {
            return EpollPwait2Native(epoll, events, maxEvents, timeout, sigmask);
        }
        catch (EntryPointNotFoundException)
        {
            Marshal.SetLastPInvokeError(Enosys);
            return -1;
        }
    }
}
