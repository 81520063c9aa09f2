using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Patronus.Engine.Net;

/// <summary>
/// recvmmsg on UDP sockets for a loop that reads many sockets from one thread: up to
/// <see cref="Capacity"/> datagrams per system call, each with its source, the received IPv4 TTL /
/// IPv6 Hop Limit and the kernel's receive timestamp (SO_TIMESTAMPNS), so that a datagram read
/// late is still judged by when it arrived. One instance serves any number of sockets (the
/// buffers are the reader's, not the socket's): <see cref="Enable"/> each socket once, then
/// <see cref="Receive"/> fills the batch. Every buffer is pinned once: no allocation per
/// datagram. Linux, 64-bit (LP64 struct layouts). Not thread-safe: one reader.
/// </summary>
internal sealed class LinuxReceiveBatch
{
    private const int SolSocket = 1;
    private const int SoTimestampNs = 35;   // SO_TIMESTAMPNS(_OLD); on 64-bit its timespec is 64-bit
    private const int SolIp = 0;
    private const int SolIpv6 = 41;
    private const int SolUdp = 17;
    private const int UdpGro = 104;
    private const int IpTtl = 2;
    private const int IpRecvTtl = 12;
    private const int Ipv6RecvHopLimit = 51;
    private const int Ipv6HopLimit = 52;
    private const int MsgDontWait = 0x40;
    private const int MsgTrunc = 0x20;
    private const int Eagain = 11;
    private const int CmsgHeader = 16;
    private const int NameSize = 32;         // sockaddr_in6 is 28
    private const int ControlSize = 96;      // TTL (24) + timespec (32), with room to spare
    private const int HeaderSize = 64;       // struct mmsghdr: msghdr (56) + msg_len, padded

    private readonly int _slot;
    private readonly byte[] _data;
    private readonly byte[] _names;
    private readonly byte[] _controls;
    private readonly byte[] _headers;
    private readonly byte[] _iovs;
    private readonly int[] _lengths;
    private readonly byte[] _ttls;
    private readonly long[] _kernelNs;
    private readonly int[] _nameLengths;
    private readonly bool[] _truncated;
    private readonly int[] _segmentSizes;

    /// <param name="capacity">Datagrams per <see cref="Receive"/>.</param>
    /// <param name="maxDatagram">Largest datagram kept whole; a longer one is reported truncated.</param>
    public LinuxReceiveBatch(int capacity, int maxDatagram)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDatagram, 1);
        Capacity = capacity;
        MaxDatagram = maxDatagram;
        _slot = maxDatagram + 1; // one octet more: a datagram that fills it is too long
        _data = GC.AllocateArray<byte>(capacity * _slot, pinned: true);
        _names = GC.AllocateArray<byte>(capacity * NameSize, pinned: true);
        _controls = GC.AllocateArray<byte>(capacity * ControlSize, pinned: true);
        _headers = GC.AllocateArray<byte>(capacity * HeaderSize, pinned: true);
        _iovs = GC.AllocateArray<byte>(capacity * 16, pinned: true);
        _lengths = new int[capacity];
        _ttls = new byte[capacity];
        _kernelNs = new long[capacity];
        _nameLengths = new int[capacity];
        _truncated = new bool[capacity];
        _segmentSizes = new int[capacity];
        for (var i = 0; i < capacity; i++)
        {
            var iov = _iovs.AsSpan(i * 16);
            MemoryMarshal.Write(iov, Marshal.UnsafeAddrOfPinnedArrayElement(_data, i * _slot));
            MemoryMarshal.Write(iov[8..], (nuint)_slot);
        }
    }

    public int Capacity { get; }

    public int MaxDatagram { get; }

    public static bool IsSupported => OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    /// <summary>Asks the kernel for what <see cref="Receive"/> reports: the TTL / Hop Limit and the receive timestamp. Throws <see cref="SocketException"/> when refused.</summary>
    public static void Enable(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (socket.AddressFamily == AddressFamily.InterNetworkV6)
        {
            SetInt(socket, SolIpv6, Ipv6RecvHopLimit, 1);
        }
        else
        {
            SetInt(socket, SolIp, IpRecvTtl, 1);
        }

        SetInt(socket, SolSocket, SoTimestampNs, 1);
    }

    /// <summary>
    /// One non-blocking recvmmsg on <paramref name="socket"/>: how many datagrams it read (0 when
    /// none was queued, or on an error about one datagram such as a queued ICMP error, with its
    /// <paramref name="errno"/>). Fewer than <see cref="Capacity"/> means the queue was empty when
    /// the call ended.
    /// </summary>
    public int Receive(SafeHandle socket, out int errno)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var headers = _headers.AsSpan();
        for (var i = 0; i < Capacity; i++)
        {
            var h = headers.Slice(i * HeaderSize, HeaderSize);
            h.Clear();
            MemoryMarshal.Write(h, Marshal.UnsafeAddrOfPinnedArrayElement(_names, i * NameSize));           // msg_name
            MemoryMarshal.Write(h[8..], (uint)NameSize);                                                     // msg_namelen
            MemoryMarshal.Write(h[16..], Marshal.UnsafeAddrOfPinnedArrayElement(_iovs, i * 16));             // msg_iov
            MemoryMarshal.Write(h[24..], (nuint)1);                                                          // msg_iovlen
            MemoryMarshal.Write(h[32..], Marshal.UnsafeAddrOfPinnedArrayElement(_controls, i * ControlSize)); // msg_control
            MemoryMarshal.Write(h[40..], (nuint)ControlSize);                                                // msg_controllen
        }

        var n = RecvMmsg(socket, Marshal.UnsafeAddrOfPinnedArrayElement(_headers, 0), (uint)Capacity, MsgDontWait, 0);
        if (n < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return 0;
        }

        errno = n < Capacity ? Eagain : 0;
        for (var i = 0; i < n; i++)
        {
            var h = headers.Slice(i * HeaderSize, HeaderSize);
            var length = (int)MemoryMarshal.Read<uint>(h[56..]);
            var flags = MemoryMarshal.Read<int>(h[48..]);
            _truncated[i] = (flags & MsgTrunc) != 0 || length > MaxDatagram;
            _lengths[i] = Math.Min(length, _slot);
            _nameLengths[i] = (int)Math.Min(MemoryMarshal.Read<uint>(h[8..]), NameSize);
            var controlLength = (int)Math.Min(MemoryMarshal.Read<ulong>(h[40..]), ControlSize);
            ParseControl(_controls.AsSpan(i * ControlSize, controlLength), out _ttls[i], out _kernelNs[i], out _segmentSizes[i]);
        }

        return n;
    }

    /// <summary>The <paramref name="index"/>-th datagram of the last <see cref="Receive"/> (its start only when <see cref="Truncated"/>).</summary>
    public Span<byte> Payload(int index) => _data.AsSpan(index * _slot, _lengths[index]);

    /// <summary>The datagram's buffer and offset, for a consumer that keeps an array and a length.</summary>
    public byte[] Buffer => _data;

    /// <summary>Where the <paramref name="index"/>-th datagram starts in <see cref="Buffer"/>.</summary>
    public int Offset(int index) => index * _slot;

    /// <summary>Its source, a Linux sockaddr (<see cref="NativeSocketAddress"/>).</summary>
    public ReadOnlySpan<byte> Source(int index) => _names.AsSpan(index * NameSize, _nameLengths[index]);

    /// <summary>Its TTL / Hop Limit; 0 when the kernel sent none.</summary>
    public byte Ttl(int index) => _ttls[index];

    /// <summary>Longer than <see cref="MaxDatagram"/>.</summary>
    public bool Truncated(int index) => _truncated[index];

    /// <summary>When the kernel received it: nanoseconds since the Unix epoch on CLOCK_REALTIME; 0 when not reported.</summary>
    public long KernelTimeNs(int index) => _kernelNs[index];

    /// <summary>With UDP_GRO on the socket: the size of the datagrams the kernel coalesced into this one (all but the last); 0 when it is one datagram.</summary>
    public int SegmentSize(int index) => _segmentSizes[index];

    private static void ParseControl(ReadOnlySpan<byte> control, out byte ttl, out long kernelNs, out int segmentSize)
    {
        ttl = 0;
        kernelNs = 0;
        segmentSize = 0;
        var offset = 0;
        while (offset + CmsgHeader <= control.Length)
        {
            var cmsgLength = (int)MemoryMarshal.Read<ulong>(control[offset..]);
            if (cmsgLength < CmsgHeader || offset + cmsgLength > control.Length)
            {
                return;
            }

            var level = MemoryMarshal.Read<int>(control[(offset + 8)..]);
            var type = MemoryMarshal.Read<int>(control[(offset + 12)..]);
            var data = control.Slice(offset + CmsgHeader, cmsgLength - CmsgHeader);
            if (((level == SolIp && type == IpTtl) || (level == SolIpv6 && type == Ipv6HopLimit)) && data.Length >= 4)
            {
                ttl = (byte)Math.Clamp(MemoryMarshal.Read<int>(data), 0, 255);
            }
            else if (level == SolSocket && type == SoTimestampNs && data.Length >= 16)
            {
                kernelNs = (MemoryMarshal.Read<long>(data) * 1_000_000_000L) + MemoryMarshal.Read<long>(data[8..]);
            }
            else if (level == SolUdp && type == UdpGro && data.Length >= 4)
            {
                segmentSize = MemoryMarshal.Read<int>(data);
            }

            offset += (cmsgLength + 7) & ~7;
        }
    }

    private static void SetInt(Socket socket, int level, int name, int value)
    {
        Span<byte> buffer = stackalloc byte[sizeof(int)];
        MemoryMarshal.Write(buffer, value);
        socket.SetRawSocketOption(level, name, buffer);
    }

    [DllImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int RecvMmsg(SafeHandle socket, nint messages, uint count, int flags, nint timeout);
}
