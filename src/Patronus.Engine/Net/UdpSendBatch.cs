using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Patronus.Engine.Net;

/// <summary>
/// Datagrams collected and sent together (Linux, 64-bit): one <c>sendmmsg</c> per socket per
/// batch. Used by the tunnels' TUN reader, the STAMP Session-Senders (the probes one monitor
/// iteration sends on a shared socket) and the STAMP reflector (the replies to one received batch).
/// With UDP GSO (<c>UDP_SEGMENT</c>, Linux 4.18) a run of equal-sized datagrams to one destination
/// — the segments of one TSO super-packet — goes as a single message the kernel cuts up (only the
/// last of a run may be shorter). A kernel or route that refuses GSO (EIO/EINVAL) turns it off for
/// good (<see cref="Gso"/>) and the run goes again as one message per datagram. A datagram may
/// carry its own ancillary data (e.g. IP_PKTINFO: which local address a reply leaves from); such
/// a datagram is never part of a GSO run. After <see cref="Flush"/>, <see cref="Error"/> says
/// which datagrams the kernel refused. Buffers are pinned once; no allocation per datagram. One
/// thread at a time.
/// </summary>
internal sealed class UdpSendBatch
{
    /// <summary>The tunnels' batch: datagrams per batch.</summary>
    public const int TunnelCapacity = 128;

    // The tunnels' largest datagram: a 9000-octet MTU packet padded, with the 16-octet header and 16-octet tag.
    private const int TunnelSlotSize = 9_088;

    /// <summary>Room for one datagram's own ancillary data: CMSG_SPACE(sizeof(in6_pktinfo)) = 40 (in_pktinfo needs 32).</summary>
    public const int MaxControl = 40;

    // Linux's UDP_MAX_SEGMENTS was 64 before 6.9 (128 since); a GSO message's payload stays under 64 KiB.
    private const int MaxSegments = 64;
    private const int MaxGsoBytes = 65_000;
    private const int NameSize = 32;
    private const int HeaderSize = 64;       // struct mmsghdr: msghdr (56) + msg_len, padded
    private const int ControlSize = 24;      // CMSG_SPACE(sizeof(uint16_t)), the GSO segment size
    private const int SolUdp = 17;
    private const int UdpSegment = 103;
    private const int Eio = 5;
    private const int Eintr = 4;
    private const int Einval = 22;

    private readonly int _slotSize;
    private readonly byte[] _data;
    private readonly byte[] _names;
    private readonly byte[] _iovs;
    private readonly byte[] _headers;
    private readonly byte[] _controls;
    private readonly byte[] _ownControls;
    private readonly int[] _lengths;
    private readonly int[] _nameLengths;
    private readonly int[] _controlLengths;
    private readonly int[] _errors;
    private readonly Socket?[] _sockets;
    private readonly int[] _firsts;

    /// <summary>The tunnels' batch: <see cref="TunnelCapacity"/> datagrams of up to 9,088 octets.</summary>
    public UdpSendBatch(bool gso)
        : this(gso, TunnelCapacity, TunnelSlotSize)
    {
    }

    /// <param name="gso">Send runs of equal-sized datagrams to one destination as GSO messages.</param>
    /// <param name="capacity">Datagrams per batch (at most 1,024, Linux's UIO_MAXIOV, per sendmmsg).</param>
    /// <param name="slotSize">The largest datagram a batch takes.</param>
    public UdpSendBatch(bool gso, int capacity, int slotSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 1024);
        ArgumentOutOfRangeException.ThrowIfLessThan(slotSize, 1);
        Gso = gso;
        Capacity = capacity;
        _slotSize = slotSize;
        _data = GC.AllocateArray<byte>(capacity * slotSize, pinned: true);
        _names = GC.AllocateArray<byte>(capacity * NameSize, pinned: true);
        _iovs = GC.AllocateArray<byte>(capacity * 16, pinned: true);
        _headers = GC.AllocateArray<byte>(capacity * HeaderSize, pinned: true);
        _controls = GC.AllocateArray<byte>(capacity * ControlSize, pinned: true);
        _ownControls = GC.AllocateArray<byte>(capacity * MaxControl, pinned: true);
        _lengths = new int[capacity];
        _nameLengths = new int[capacity];
        _controlLengths = new int[capacity];
        _errors = new int[capacity];
        _sockets = new Socket?[capacity];
        _firsts = new int[capacity + 1];
        for (var i = 0; i < capacity; i++)
        {
            MemoryMarshal.Write(_iovs.AsSpan(i * 16), Marshal.UnsafeAddrOfPinnedArrayElement(_data, i * slotSize));
        }
    }

    /// <summary>Whether sendmmsg can be called here (Linux, 64-bit: the struct layouts are LP64).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    /// <summary>Datagrams per batch.</summary>
    public int Capacity { get; }

    /// <summary>The largest datagram a batch takes.</summary>
    public int SlotSize => _slotSize;

    /// <summary>Whether runs go out as GSO messages; false from the start without kernel support, or after the kernel refused one.</summary>
    public bool Gso { get; private set; }

    /// <summary>Datagrams waiting.</summary>
    public int Count { get; private set; }

    /// <summary>Set once when the kernel refused a GSO message and GSO was turned off (for the caller to log).</summary>
    public string? GsoFailure { get; private set; }

    /// <summary>Whether the kernel knows UDP_SEGMENT on <paramref name="socket"/>.</summary>
    public static bool KernelHasGso(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        try
        {
            Span<byte> value = stackalloc byte[sizeof(int)];
            socket.GetRawSocketOption(SolUdp, UdpSegment, value);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// Copies <paramref name="datagram"/> for <paramref name="name"/> (a native sockaddr) on
    /// <paramref name="socket"/> into the batch, with <paramref name="control"/> (complete cmsg
    /// headers, at most <see cref="MaxControl"/> octets) as its own ancillary data; false when the
    /// batch is full or the datagram, address or control is too large (the caller flushes, or
    /// sends it alone).
    /// </summary>
    public bool TryAdd(Socket socket, ReadOnlySpan<byte> name, ReadOnlySpan<byte> datagram, ReadOnlySpan<byte> control = default)
    {
        if (Count == Capacity || datagram.Length > _slotSize || name.Length > NameSize || control.Length > MaxControl)
        {
            return false;
        }

        var i = Count++;
        datagram.CopyTo(_data.AsSpan(i * _slotSize));
        name.CopyTo(_names.AsSpan(i * NameSize));
        control.CopyTo(_ownControls.AsSpan(i * MaxControl));
        _lengths[i] = datagram.Length;
        _nameLengths[i] = name.Length;
        _controlLengths[i] = control.Length;
        _sockets[i] = socket;
        MemoryMarshal.Write(_iovs.AsSpan((i * 16) + 8), (nuint)datagram.Length);
        return true;
    }

    /// <summary>The <paramref name="index"/>-th datagram waiting, writable: a sender stamps it just before <see cref="Flush"/> (a send timestamp).</summary>
    public Span<byte> Datagram(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
        return _data.AsSpan(index * _slotSize, _lengths[index]);
    }

    /// <summary>The destination (native sockaddr) of the <paramref name="index"/>-th datagram of the batch, or of the last <see cref="Flush"/> until the next <see cref="TryAdd"/>.</summary>
    public ReadOnlySpan<byte> Name(int index) => _names.AsSpan(index * NameSize, _nameLengths[index]);

    /// <summary>sendmmsg calls the last <see cref="Flush"/> made: one per socket, more only past a partial send or a refused datagram.</summary>
    public int Calls { get; private set; }

    /// <summary>
    /// The errno the kernel refused the <paramref name="index"/>-th datagram of the last
    /// <see cref="Flush"/> with; 0 when it was sent. Valid until the next <see cref="TryAdd"/>.
    /// </summary>
    public int Error(int index) => _errors[index];

    /// <summary>
    /// Sends everything waiting; returns how many datagrams the kernel refused (a full
    /// buffer, an unreachable destination), with the last <paramref name="errno"/>; which ones,
    /// by <see cref="Error"/>. A socket closed meanwhile throws <see cref="ObjectDisposedException"/>
    /// (the batch is then empty).
    /// </summary>
    public int Flush(out int errno)
    {
        errno = 0;
        var failed = 0;
        Calls = 0;
        Array.Clear(_errors, 0, Count);
        var i = 0;
        while (i < Count)
        {
            var socket = _sockets[i]!;
            var end = i;
            while (end < Count && ReferenceEquals(_sockets[end], socket))
            {
                end++;
            }

            try
            {
                failed += SendRun(socket, i, end, ref errno);
            }
            catch (ObjectDisposedException)
            {
                Array.Clear(_sockets, 0, Count);
                Count = 0;
                throw;
            }

            i = end;
        }

        Array.Clear(_sockets, 0, Count);
        Count = 0;
        return failed;
    }

    private int SendRun(Socket socket, int first, int end, ref int errno)
    {
        // Messages, each of one datagram or (GSO) of a run of equal-sized ones to one destination.
        var messages = 0;
        var firsts = _firsts;
        var headers = _headers.AsSpan();
        var gso = Gso;
        for (var i = first; i < end;)
        {
            var next = i + 1;
            if (gso && _controlLengths[i] == 0)
            {
                var total = _lengths[i];
                while (next < end && next - i < MaxSegments && _controlLengths[next] == 0 && _lengths[next] <= _lengths[i] && total + _lengths[next] <= MaxGsoBytes
                    && _names.AsSpan(next * NameSize, _nameLengths[next]).SequenceEqual(_names.AsSpan(i * NameSize, _nameLengths[i])))
                {
                    total += _lengths[next];
                    next++;
                    if (_lengths[next - 1] < _lengths[i])
                    {
                        break; // a shorter one ends the run
                    }
                }
            }

            var h = headers.Slice(messages * HeaderSize, HeaderSize);
            h.Clear();
            MemoryMarshal.Write(h, Marshal.UnsafeAddrOfPinnedArrayElement(_names, i * NameSize));
            MemoryMarshal.Write(h[8..], (uint)_nameLengths[i]);
            MemoryMarshal.Write(h[16..], Marshal.UnsafeAddrOfPinnedArrayElement(_iovs, i * 16));
            MemoryMarshal.Write(h[24..], (nuint)(next - i));
            if (next - i > 1)
            {
                var control = _controls.AsSpan(messages * ControlSize, ControlSize);
                control.Clear();
                MemoryMarshal.Write(control, (ulong)(16 + sizeof(ushort)));  // cmsg_len = CMSG_LEN(2)
                MemoryMarshal.Write(control[8..], SolUdp);
                MemoryMarshal.Write(control[12..], UdpSegment);
                MemoryMarshal.Write(control[16..], (ushort)_lengths[i]);
                MemoryMarshal.Write(h[32..], Marshal.UnsafeAddrOfPinnedArrayElement(_controls, messages * ControlSize));
                MemoryMarshal.Write(h[40..], (nuint)ControlSize);
            }
            else if (_controlLengths[i] > 0)
            {
                MemoryMarshal.Write(h[32..], Marshal.UnsafeAddrOfPinnedArrayElement(_ownControls, i * MaxControl));
                MemoryMarshal.Write(h[40..], (nuint)_controlLengths[i]);
            }

            firsts[messages++] = i;
            i = next;
        }

        firsts[messages] = end;
        var failed = 0;
        var sent = 0;
        while (sent < messages)
        {
            Calls++;
            var n = SendMmsg(socket.SafeHandle, Marshal.UnsafeAddrOfPinnedArrayElement(_headers, sent * HeaderSize), (uint)(messages - sent), 0);
            if (n > 0)
            {
                sent += n;
                continue;
            }

            var error = Marshal.GetLastPInvokeError();
            if (error == Eintr)
            {
                continue;
            }

            var isGsoMessage = firsts[sent + 1] - firsts[sent] > 1;
            if (isGsoMessage && error is Eio or Einval)
            {
                // The kernel or the route cannot segment: send the rest one datagram a message.
                Gso = false;
                GsoFailure = Marshal.GetPInvokeErrorMessage(error);
                return failed + SendRun(socket, firsts[sent], end, ref errno);
            }

            // The first message failed (e.g. ENETUNREACH): skip it, send the rest.
            errno = error;
            failed += firsts[sent + 1] - firsts[sent];
            _errors.AsSpan(firsts[sent], firsts[sent + 1] - firsts[sent]).Fill(error == 0 ? Eio : error);
            sent++;
        }

        return failed;
    }

    /// <summary>The <see cref="SocketError"/> of a Linux errno a send can fail with (what .NET's own sends would throw); <see cref="SocketError.SocketError"/> for others.</summary>
    public static SocketError ToSocketError(int errno) => errno switch
    {
        0 => SocketError.Success,
        1 or 13 => SocketError.AccessDenied,        // EPERM (a firewall), EACCES (broadcast without SO_BROADCAST)
        11 => SocketError.WouldBlock,               // EAGAIN: the send buffer is full
        22 => SocketError.InvalidArgument,          // EINVAL
        90 => SocketError.MessageSize,              // EMSGSIZE
        99 => SocketError.AddressNotAvailable,      // EADDRNOTAVAIL
        100 => SocketError.NetworkDown,             // ENETDOWN
        101 => SocketError.NetworkUnreachable,      // ENETUNREACH
        105 => SocketError.NoBufferSpaceAvailable,  // ENOBUFS
        111 => SocketError.ConnectionRefused,       // ECONNREFUSED (a queued ICMP error)
        113 => SocketError.HostUnreachable,         // EHOSTUNREACH
        _ => SocketError.SocketError,
    };

    [DllImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SendMmsg(SafeHandle socket, nint messages, uint count, int flags);
}
