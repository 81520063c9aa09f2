using System.Buffers.Binary;
using System.ComponentModel;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Patronus.Engine.Tunnels.Native;

/// <summary>
/// A Linux TUN device (drivers/net/tun.c): <c>/dev/net/tun</c> opened and attached to an interface
/// with <c>TUNSETIFF</c> (<c>IFF_TUN | IFF_NO_PI</c>: IP packets without a protocol header), its
/// MTU, addresses and up flag set with the classic <c>SIOCSIF*</c> ioctls. Reads wait in
/// <c>poll</c> with a timeout so a stopping reader notices cancellation. Linux, 64-bit only.
/// <c>Open</c> with offloads asks for <c>IFF_VNET_HDR</c> and, with
/// <c>TUNSETOFFLOAD</c>, checksum offload and TSO (IPv4 and IPv6): the kernel then hands over
/// TCP super-packets of up to 64 KiB behind a <see cref="VirtioNetHeader"/>, one read instead of
/// ~45, and every write carries a header too (<see cref="Write"/> adds an empty one). A kernel
/// that refuses either gets the plain device (<see cref="Offloads"/> false).
/// </summary>
internal sealed class TunDevice : ITunWriter, IDisposable
{
    private const int ORdWr = 2;
    private const int OCloExec = 0x80000;
    private const uint TunSetIff = 0x400454ca;
    private const short IffTun = 0x0001;
    private const short IffNoPi = 0x1000;
    private const short IffVnetHdr = 0x4000;
    private const uint TunSetOffload = 0x400454d0;
    private const uint TunFCsum = 0x01;
    private const uint TunFTso4 = 0x02;
    private const uint TunFTso6 = 0x04;
    private const int FGetFl = 3;
    private const int FSetFl = 4;
    private const int ONonBlock = 0x800;
    private const short IffUp = 0x1;
    private const uint SiocGifFlags = 0x8913;
    private const uint SiocSifFlags = 0x8914;
    private const uint SiocSifAddr = 0x8916;
    private const uint SiocSifNetmask = 0x891c;
    private const uint SiocSifMtu = 0x8922;
    private const uint SiocGifIndex = 0x8933;
    private const short PollIn = 0x1;
    private const int IfReqSize = 40; // struct ifreq: char ifr_name[16] + a 24-octet union
    private const int Eintr = 4;
    private const int Eagain = 11;

    private readonly int _fd;

    // Per writing thread (the socket receive loops): the packet behind an empty virtio_net_hdr
    // (no GSO, checksum complete), one copy instead of a second system call.
    [ThreadStatic]
    private static byte[]? t_frame;

    private TunDevice(int fd, string name, bool offloads)
    {
        _fd = fd;
        Name = name;
        Offloads = offloads;
    }

    /// <summary>The interface name the kernel gave.</summary>
    public string Name { get; }

    /// <summary>True when reads start with a <see cref="VirtioNetHeader"/> and may be TSO super-packets.</summary>
    public bool Offloads { get; }

    /// <summary>
    /// Opens <c>/dev/net/tun</c> as interface <paramref name="name"/>, with TSO and checksum offload
    /// when <paramref name="offloads"/> and the kernel has them (else plain, with
    /// <paramref name="offloadError"/> saying why); throws <see cref="Win32Exception"/> naming the step that failed.
    /// </summary>
    public static TunDevice Open(string name, bool offloads, out string? offloadError)
    {
        offloadError = null;
        if (offloads)
        {
            var fd = Attach(name, IffTun | IffNoPi | IffVnetHdr, out var ifreq, out var error);
            if (fd >= 0 && IoctlValue(fd, TunSetOffload, TunFCsum | TunFTso4 | TunFTso6) == 0)
            {
                SetNonBlocking(fd);
                return new TunDevice(fd, ReadName(ifreq), offloads: true);
            }

            offloadError = fd < 0 ? error!.Message : Error("TUNSETOFFLOAD").Message;
            if (fd >= 0)
            {
                _ = Close(fd);
            }
        }

        var plain = Attach(name, IffTun | IffNoPi, out var plainIfreq, out var plainError);
        if (plain < 0)
        {
            throw plainError!;
        }

        SetNonBlocking(plain);
        return new TunDevice(plain, ReadName(plainIfreq), offloads: false);
    }

    /// <summary>Opens the plain device (no offloads).</summary>
    public static TunDevice Open(string name) => Open(name, offloads: false, out _);

    private static int Attach(string name, short flags, out byte[] ifreq, out Win32Exception? error)
    {
        error = null;
        ifreq = new byte[IfReqSize];
        var fd = NativeOpen("/dev/net/tun\0"u8.ToArray(), ORdWr | OCloExec);
        if (fd < 0)
        {
            error = Error("open /dev/net/tun");
            return -1;
        }

        WriteName(ifreq, name);
        BinaryPrimitives.WriteInt16LittleEndian(ifreq.AsSpan(16), flags);
        if (Ioctl(fd, TunSetIff, ref MemoryMarshal.GetArrayDataReference(ifreq)) < 0)
        {
            error = Error($"TUNSETIFF {name}");
            _ = Close(fd);
            return -1;
        }

        return fd;
    }

    // Reads try first and wait in poll only when nothing is queued: one system call per packet under load, not two.
    private static void SetNonBlocking(int fd)
    {
        var flags = Fcntl(fd, FGetFl, 0);
        if (flags >= 0)
        {
            _ = Fcntl(fd, FSetFl, flags | ONonBlock);
        }
    }

    /// <summary>Sets the MTU, adds each address (IPv4 with its netmask, IPv6 with its prefix) and brings the interface up.</summary>
    public void Configure(int mtu, IEnumerable<(IPAddress Address, int PrefixLength)> addresses)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        using var control = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var fd = (int)control.Handle;
        Span<byte> ifreq = stackalloc byte[IfReqSize];
        Request(fd, SiocSifMtu, ifreq, r => BinaryPrimitives.WriteInt32LittleEndian(r[16..], mtu), "SIOCSIFMTU");
        foreach (var (address, length) in addresses)
        {
            if (address.AddressFamily == AddressFamily.InterNetwork)
            {
                Request(fd, SiocSifAddr, ifreq, r => WriteSockaddrIn(r[16..], address), "SIOCSIFADDR");
                var mask = length == 0 ? 0u : uint.MaxValue << (32 - length);
                Request(fd, SiocSifNetmask, ifreq, r => WriteSockaddrIn(r[16..], new IPAddress(BinaryPrimitives.ReverseEndianness(mask))), "SIOCSIFNETMASK");
            }
            else
            {
                AddIpv6(address, length);
            }
        }

        Request(fd, SiocGifFlags, ifreq, _ => { }, "SIOCGIFFLAGS");
        var flags = BinaryPrimitives.ReadInt16LittleEndian(ifreq[16..]);
        Request(fd, SiocSifFlags, ifreq, r => BinaryPrimitives.WriteInt16LittleEndian(r[16..], (short)(flags | IffUp)), "SIOCSIFFLAGS");
    }

    /// <summary>
    /// Reads one packet into <paramref name="buffer"/>: its length, 0 when nothing arrived within
    /// <paramref name="timeoutMilliseconds"/>; throws when the device fails.
    /// </summary>
    public int Read(Span<byte> buffer, int timeoutMilliseconds)
    {
        var n = NativeRead(_fd, ref MemoryMarshal.GetReference(buffer), (nint)buffer.Length);
        if (n >= 0)
        {
            return (int)n;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno is not (Eintr or Eagain))
        {
            throw Error("read");
        }

        var poll = new PollFd { Fd = _fd, Events = PollIn };
        var ready = Poll(ref poll, 1, timeoutMilliseconds);
        if (ready <= 0)
        {
            return ready == 0 || Marshal.GetLastPInvokeError() == Eintr ? 0 : throw Error("poll");
        }

        n = NativeRead(_fd, ref MemoryMarshal.GetReference(buffer), (nint)buffer.Length);
        if (n < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return errno is Eintr or Eagain ? 0 : throw Error("read");
        }

        return (int)n;
    }

    /// <summary>
    /// Reads without waiting: the packet's length, 0 when none is queued. For draining what
    /// queued while the reader worked, before it flushes its batch.
    /// </summary>
    public int TryRead(Span<byte> buffer)
    {
        var n = NativeRead(_fd, ref MemoryMarshal.GetReference(buffer), (nint)buffer.Length);
        if (n >= 0)
        {
            return (int)n;
        }

        return Marshal.GetLastPInvokeError() is Eintr or Eagain ? 0 : throw Error("read");
    }

    /// <summary>Writes one packet (behind an empty header with <see cref="Offloads"/>); false when the kernel refuses it (the caller counts it).</summary>
    public bool Write(ReadOnlySpan<byte> packet)
    {
        if (!Offloads)
        {
            return NativeWrite(_fd, ref MemoryMarshal.GetReference(packet), (nint)packet.Length) == packet.Length;
        }

        var frame = t_frame ??= new byte[VirtioNetHeader.Size + 65_536];
        var length = VirtioNetHeader.Size + packet.Length;
        if (length > frame.Length)
        {
            return false;
        }

        frame.AsSpan(0, VirtioNetHeader.Size).Clear();
        packet.CopyTo(frame.AsSpan(VirtioNetHeader.Size));
        return NativeWrite(_fd, ref MemoryMarshal.GetArrayDataReference(frame), length) == length;
    }

    /// <summary>Writes a packet behind its own <see cref="VirtioNetHeader"/> (devices with <see cref="Offloads"/> only); false when the kernel refuses it.</summary>
    public bool WriteFrame(ReadOnlySpan<byte> frame) =>
        NativeWrite(_fd, ref MemoryMarshal.GetReference(frame), frame.Length) == frame.Length;

    public void Dispose() => _ = Close(_fd);

    private void Request(int fd, uint request, Span<byte> ifreq, SpanAction fill, string what)
    {
        ifreq.Clear();
        WriteName(ifreq, Name);
        fill(ifreq);
        if (Ioctl(fd, request, ref MemoryMarshal.GetReference(ifreq)) < 0)
        {
            throw Error($"{what} {Name}");
        }
    }

    private void AddIpv6(IPAddress address, int length)
    {
        using var control = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
        var fd = (int)control.Handle;
        Span<byte> ifreq = stackalloc byte[IfReqSize];
        Request(fd, SiocGifIndex, ifreq, _ => { }, "SIOCGIFINDEX");
        var index = BinaryPrimitives.ReadInt32LittleEndian(ifreq[16..]);

        // struct in6_ifreq { struct in6_addr addr; __u32 prefixlen; int ifindex; }
        Span<byte> in6 = stackalloc byte[24];
        address.TryWriteBytes(in6, out _);
        BinaryPrimitives.WriteUInt32LittleEndian(in6[16..], (uint)length);
        BinaryPrimitives.WriteInt32LittleEndian(in6[20..], index);
        if (Ioctl(fd, SiocSifAddr, ref MemoryMarshal.GetReference(in6)) < 0)
        {
            throw Error($"SIOCSIFADDR (IPv6) {Name}");
        }
    }

    private static void WriteSockaddrIn(Span<byte> destination, IPAddress address)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)AddressFamily.InterNetwork);
        destination[2..4].Clear();
        address.TryWriteBytes(destination[4..8], out _);
    }

    private static void WriteName(Span<byte> ifreq, string name)
    {
        ifreq[..16].Clear();
        System.Text.Encoding.ASCII.GetBytes(name.AsSpan(0, Math.Min(name.Length, 15)), ifreq);
    }

    private static string ReadName(ReadOnlySpan<byte> ifreq)
    {
        var name = ifreq[..16];
        var end = name.IndexOf((byte)0);
        return System.Text.Encoding.ASCII.GetString(end < 0 ? name : name[..end]);
    }

    private static Win32Exception Error(string what)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new Win32Exception(errno, $"{what}: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    private delegate void SpanAction(Span<byte> ifreq);

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int NativeOpen(byte[] path, int flags);

    [DllImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Ioctl(int fd, nuint request, ref byte argument);

    [DllImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int IoctlValue(int fd, nuint request, nuint argument);

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Fcntl(int fd, int command, int argument);

    [DllImport("libc", EntryPoint = "poll", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Poll(ref PollFd fds, nuint count, int timeout);

    [DllImport("libc", EntryPoint = "read", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint NativeRead(int fd, ref byte buffer, nint count);

    [DllImport("libc", EntryPoint = "write", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint NativeWrite(int fd, ref byte buffer, nint count);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Close(int fd);
}
