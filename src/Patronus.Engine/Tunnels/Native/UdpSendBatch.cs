using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Patronus.Engine.Tunnels.Native;

/// <summary>
/// Datagrams collected by the TUN reader and sent together (Linux, 64-bit): one
/// <c>sendmmsg</c> per socket per batch, and with UDP GSO (<c>UDP_SEGMENT</c>, Linux 4.18) a run
/// of equal-sized datagrams to one destination — the segments of one TSO super-packet — goes as a
/// single message the kernel cuts up (only the last of a run may be shorter). A kernel or route
/// that refuses GSO (EIO/EINVAL) turns it off for good (<see cref="Gso"/>) and the run goes again
/// as one message per datagram. Buffers are pinned once; no allocation per datagram. One thread.
/// </summary>
internal sealed class UdpSendBatch
{
    /// <summary>Datagrams per batch.</summary>
    public const int Capacity = 128;

    // The largest datagram: a 9000-octet MTU packet padded, with the 16-octet header and 16-octet tag.
    private const int SlotSize = 9_088;

    // Linux's UDP_MAX_SEGMENTS was 64 before 6.9 (128 since); a GSO message's payload stays under 64 KiB.
    private const int MaxSegments = 64;
    private const int MaxGsoBytes = 65_000;
    private const int NameSize = 32;
    private const int HeaderSize = 64;       // struct mmsghdr: msghdr (56) + msg_len, padded
    private const int ControlSize = 24;      // CMSG_SPACE(sizeof(uint16_t))
    private const int SolUdp = 17;
    private const int UdpSegment = 103;
    private const int Eio = 5;
    private const int Eintr = 4;
    private const int Einval = 22;

    private readonly byte[] _data = GC.AllocateArray<byte>(Capacity * SlotSize, pinned: true);
    private readonly byte[] _names = GC.AllocateArray<byte>(Capacity * NameSize, pinned: true);
    private readonly byte[] _iovs = GC.AllocateArray<byte>(Capacity * 16, pinned: true);
    private readonly byte[] _headers = GC.AllocateArray<byte>(Capacity * HeaderSize, pinned: true);
    private readonly byte[] _controls = GC.AllocateArray<byte>(Capacity * ControlSize, pinned: true);
    private readonly int[] _lengths = new int[Capacity];
    private readonly int[] _nameLengths = new int[Capacity];
    private readonly Socket?[] _sockets = new Socket?[Capacity];
    private readonly int[] _firsts = new int[Capacity + 1];

    public UdpSendBatch(bool gso)
    {
        Gso = gso;
        for (var i = 0; i < Capacity; i++)
        {
            MemoryMarshal.Write(_iovs.AsSpan(i * 16), Marshal.UnsafeAddrOfPinnedArrayElement(_data, i * SlotSize));
        }
    }

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
    /// <paramref name="socket"/> into the batch; false when the batch is full or the datagram or
    /// address is too large (the caller flushes, or sends it alone).
    /// </summary>
    public bool TryAdd(Socket socket, ReadOnlySpan<byte> name, ReadOnlySpan<byte> datagram)
    {
        if (Count == Capacity || datagram.Length > SlotSize || name.Length > NameSize)
        {
            return false;
        }

        var i = Count++;
        datagram.CopyTo(_data.AsSpan(i * SlotSize));
        name.CopyTo(_names.AsSpan(i * NameSize));
        _lengths[i] = datagram.Length;
        _nameLengths[i] = name.Length;
        _sockets[i] = socket;
        MemoryMarshal.Write(_iovs.AsSpan((i * 16) + 8), (nuint)datagram.Length);
        return true;
    }

    /// <summary>
    /// Sends everything waiting; returns how many datagrams the kernel refused (a full
    /// buffer, an unreachable destination), with the last <paramref name="errno"/>.
    /// </summary>
    public int Flush(out int errno)
    {
        errno = 0;
        var failed = 0;
        var i = 0;
        while (i < Count)
        {
            var socket = _sockets[i]!;
            var end = i;
            while (end < Count && ReferenceEquals(_sockets[end], socket))
            {
                end++;
            }

            failed += SendRun(socket, i, end, ref errno);
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
            if (gso)
            {
                var total = _lengths[i];
                while (next < end && next - i < MaxSegments && _lengths[next] <= _lengths[i] && total + _lengths[next] <= MaxGsoBytes
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

            firsts[messages++] = i;
            i = next;
        }

        firsts[messages] = end;
        var failed = 0;
        var sent = 0;
        while (sent < messages)
        {
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
            sent++;
        }

        return failed;
    }

    [DllImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SendMmsg(SafeHandle socket, nint messages, uint count, int flags);
}
