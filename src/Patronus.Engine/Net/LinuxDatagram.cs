using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Patronus.Engine.Net;

/// <summary>
/// recvmsg/sendmsg on a UDP socket for what .NET's <see cref="Socket"/> does not expose: the
/// received IPv4 TTL / IPv6 Hop Limit (IP_RECVTTL, IPV6_RECVHOPLIMIT) for the STAMP
/// Session-Sender TTL field, and the destination address (IP_PKTINFO, IPV6_RECVPKTINFO) so that
/// a reflector bound to a wildcard address answers from the address it was asked on, and the
/// kernel's receive timestamp (SO_TIMESTAMPNS) so that a datagram read late is still judged by
/// when it arrived (a probe's round trip, a reflector's receive timestamp). Linux,
/// 64-bit only (the struct layouts below are LP64). Every buffer is pinned once and reused: no
/// allocation per datagram. One instance per socket, used by one loop.
/// </summary>
internal sealed class LinuxDatagram
{
    private const int SolIp = 0;
    private const int SolIpv6 = 41;
    private const int IpTtl = 2;
    private const int IpPktinfo = 8;
    private const int IpRecvTtl = 12;
    private const int Ipv6RecvPktinfo = 49;
    private const int Ipv6Pktinfo = 50;
    private const int Ipv6RecvHopLimit = 51;
    private const int Ipv6HopLimit = 52;
    private const int MsgDontWait = 0x40;
    private const int MsgTrunc = 0x20;
    private const int SolSocket = 1;
    private const int SoTimestampNs = 35;   // SO_TIMESTAMPNS(_OLD) = SCM_TIMESTAMPNS; a 64-bit timespec on LP64

    // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } → data at 16, 8-byte aligned.
    private const int CmsgHeader = 16;
    private const int InPktinfoSize = 12;   // ifindex, spec_dst, addr
    private const int In6PktinfoSize = 20;  // addr[16], ifindex

    private readonly Socket _socket;
    private readonly byte[] _data;
    private readonly byte[] _name = GC.AllocateArray<byte>(128, pinned: true);
    private readonly byte[] _control = GC.AllocateArray<byte>(256, pinned: true);
    private readonly byte[] _replyControl = GC.AllocateArray<byte>(64, pinned: true);
    private readonly IoVec[] _iov = GC.AllocateArray<IoVec>(1, pinned: true);
    private int _nameLength;
    private int _replyControlLength;

    private LinuxDatagram(Socket socket, int bufferSize)
    {
        _socket = socket;
        _data = GC.AllocateArray<byte>(bufferSize, pinned: true);
    }

    /// <summary>The datagram buffer (pinned): <see cref="TryReceive"/> fills it, <see cref="TrySendReply"/> sends from it.</summary>
    public byte[] Buffer => _data;

    /// <summary>The peer of the last received datagram, as a native sockaddr.</summary>
    public ReadOnlySpan<byte> PeerAddress => _name.AsSpan(0, _nameLength);

    /// <summary>
    /// The ancillary data a reply to the last received datagram carries (complete cmsg headers:
    /// IP_PKTINFO / IPV6_PKTINFO, so it leaves from the address the datagram was sent to); empty
    /// when the kernel reported none. What <see cref="TrySendReply"/> sends with, for a caller that
    /// batches its replies.
    /// </summary>
    public ReadOnlySpan<byte> ReplyControl => _replyControl.AsSpan(0, _replyControlLength);

    public static bool IsSupported => OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    /// <summary>Enables the ancillary data on <paramref name="socket"/>. Returns null with <paramref name="error"/> when the kernel refuses.</summary>
    public static LinuxDatagram? TryCreate(Socket socket, int bufferSize, out string? error)
    {
        try
        {
            if (socket.AddressFamily == AddressFamily.InterNetworkV6)
            {
                SetInt(socket, SolIpv6, Ipv6RecvHopLimit, 1);
                SetInt(socket, SolIpv6, Ipv6RecvPktinfo, 1);
                if (socket.DualMode)
                {
                    // IPv4-mapped traffic on a dual-stack socket reports its TTL through the IPv4 option.
                    SetInt(socket, SolIp, IpRecvTtl, 1);
                }
            }
            else
            {
                SetInt(socket, SolIp, IpRecvTtl, 1);
                SetInt(socket, SolIp, IpPktinfo, 1);
            }

            SetInt(socket, SolSocket, SoTimestampNs, 1);
        }
        catch (SocketException ex)
        {
            error = ex.Message;
            return null;
        }

        error = null;
        return new LinuxDatagram(socket, bufferSize);
    }

    /// <summary>
    /// One non-blocking recvmsg. False with <paramref name="errno"/> = EAGAIN (11) when nothing is
    /// queued. <paramref name="ttl"/> is 0 when the kernel sent no TTL; <paramref name="truncated"/>
    /// when the datagram was larger than the buffer; <paramref name="kernelRealtimeNs"/> is when the
    /// kernel received it (CLOCK_REALTIME, ns since the Unix epoch), 0 when it did not say.
    /// </summary>
    public bool TryReceive(out int length, out byte ttl, out bool truncated, out long kernelRealtimeNs, out int errno)
    {
        _iov[0] = new IoVec { Base = Marshal.UnsafeAddrOfPinnedArrayElement(_data, 0), Length = (nuint)_data.Length };
        var msg = new MsgHdr
        {
            Name = Marshal.UnsafeAddrOfPinnedArrayElement(_name, 0),
            NameLength = (uint)_name.Length,
            Iov = Marshal.UnsafeAddrOfPinnedArrayElement(_iov, 0),
            IovLength = 1,
            Control = Marshal.UnsafeAddrOfPinnedArrayElement(_control, 0),
            ControlLength = (nuint)_control.Length,
        };

        var n = RecvMsg(_socket.SafeHandle, ref msg, MsgDontWait);
        if (n < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            length = 0;
            ttl = 0;
            truncated = false;
            kernelRealtimeNs = 0;
            return false;
        }

        errno = 0;
        length = (int)n;
        truncated = (msg.Flags & MsgTrunc) != 0;
        _nameLength = (int)msg.NameLength;
        ParseControl(_control.AsSpan(0, (int)msg.ControlLength), out ttl, out kernelRealtimeNs);
        return true;
    }

    /// <summary>
    /// Sends <paramref name="length"/> octets of <see cref="Buffer"/> to the last peer, from the
    /// address the last datagram was sent to. Non-blocking: false with <paramref name="errno"/>
    /// when the kernel refuses (EAGAIN when the send buffer is full — the reply is lost).
    /// </summary>
    public bool TrySendReply(int length, out int errno)
    {
        _iov[0] = new IoVec { Base = Marshal.UnsafeAddrOfPinnedArrayElement(_data, 0), Length = (nuint)length };
        var msg = new MsgHdr
        {
            Name = Marshal.UnsafeAddrOfPinnedArrayElement(_name, 0),
            NameLength = (uint)_nameLength,
            Iov = Marshal.UnsafeAddrOfPinnedArrayElement(_iov, 0),
            IovLength = 1,
            Control = _replyControlLength == 0 ? 0 : Marshal.UnsafeAddrOfPinnedArrayElement(_replyControl, 0),
            ControlLength = (nuint)_replyControlLength,
        };

        if (SendMsg(_socket.SafeHandle, ref msg, MsgDontWait) < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return false;
        }

        errno = 0;
        return true;
    }

    private void ParseControl(ReadOnlySpan<byte> control, out byte ttl, out long kernelRealtimeNs)
    {
        ttl = 0;
        kernelRealtimeNs = 0;
        _replyControlLength = 0;
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
            if (level == SolSocket && type == SoTimestampNs && data.Length >= 16)
            {
                // struct timespec { long tv_sec; long tv_nsec; }
                kernelRealtimeNs = (MemoryMarshal.Read<long>(data) * 1_000_000_000) + MemoryMarshal.Read<long>(data[8..]);
            }
            else if (((level == SolIp && type == IpTtl) || (level == SolIpv6 && type == Ipv6HopLimit)) && data.Length >= 4)
            {
                ttl = (byte)Math.Clamp(MemoryMarshal.Read<int>(data), 0, 255);
            }
            else if (level == SolIp && type == IpPktinfo && data.Length >= InPktinfoSize)
            {
                // Reply with ipi_spec_dst := the received ipi_spec_dst (the local address the
                // datagram was for) and ipi_ifindex 0, so routing picks the egress interface.
                var reply = _replyControl.AsSpan(0, Align(CmsgHeader + InPktinfoSize));
                reply.Clear();
                WriteCmsgHeader(reply, CmsgHeader + InPktinfoSize, SolIp, IpPktinfo);
                data.Slice(4, 4).CopyTo(reply[(CmsgHeader + 4)..]);
                _replyControlLength = reply.Length;
            }
            else if (level == SolIpv6 && type == Ipv6Pktinfo && data.Length >= In6PktinfoSize)
            {
                // Source := the received destination. The interface is pinned only for
                // link-local addresses (fe80::/10), which mean nothing without it.
                var reply = _replyControl.AsSpan(0, Align(CmsgHeader + In6PktinfoSize));
                reply.Clear();
                WriteCmsgHeader(reply, CmsgHeader + In6PktinfoSize, SolIpv6, Ipv6Pktinfo);
                data[..16].CopyTo(reply[CmsgHeader..]);
                var linkLocal = data[0] == 0xfe && (data[1] & 0xc0) == 0x80;
                MemoryMarshal.Write(reply[(CmsgHeader + 16)..], linkLocal ? MemoryMarshal.Read<int>(data[16..]) : 0);
                _replyControlLength = reply.Length;
            }

            offset += Align(cmsgLength);
        }
    }

    private static void WriteCmsgHeader(Span<byte> destination, int length, int level, int type)
    {
        MemoryMarshal.Write(destination, (ulong)length);
        MemoryMarshal.Write(destination[8..], level);
        MemoryMarshal.Write(destination[12..], type);
    }

    private static int Align(int length) => (length + 7) & ~7;

    private static void SetInt(Socket socket, int level, int name, int value)
    {
        Span<byte> buffer = stackalloc byte[sizeof(int)];
        MemoryMarshal.Write(buffer, value);
        socket.SetRawSocketOption(level, name, buffer);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public nint Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public nint Name;
        public uint NameLength;
        public nint Iov;
        public nuint IovLength;
        public nint Control;
        public nuint ControlLength;
        public int Flags;
    }

    [DllImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint RecvMsg(SafeHandle socket, ref MsgHdr message, int flags);

    [DllImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint SendMsg(SafeHandle socket, ref MsgHdr message, int flags);
}
