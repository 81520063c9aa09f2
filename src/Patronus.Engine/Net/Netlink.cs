using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Patronus.Engine.Net;

/// <summary>
/// What every netlink family shares (netlink(7)): the socket, the message header, and the walk over
/// a datagram's messages and a message's attributes. Host byte order for the headers; what an
/// attribute holds is the family's business (rtnetlink: host order, nf_tables: network order).
/// <code>
/// nlmsghdr: len u32 | type u16 | flags u16 | seq u32 | pid u32     (16), messages aligned to 4
/// nlattr:   len u16 | type u16 | data, padded to 4
/// </code>
/// The walks never throw: a length that cannot be right ends them, so a malformed datagram yields
/// what precedes the damage and the caller decides what that means.
/// </summary>
internal static class Netlink
{
    public const int HeaderSize = 16;
    public const ushort MessageNoop = 1;
    public const ushort MessageError = 2;
    public const ushort MessageDone = 3;

    public const ushort FlagRequest = 0x1;
    public const ushort FlagMulti = 0x2;
    public const ushort FlagAck = 0x4;

    /// <summary>NLM_F_DUMP_INTR: the dump's object set changed while it ran; its answer may be inconsistent.</summary>
    public const ushort FlagDumpInterrupted = 0x10;

    /// <summary>NLM_F_ROOT | NLM_F_MATCH: every object that matches.</summary>
    public const ushort FlagDump = 0x300;

    /// <summary>NLA_F_NESTED and NLA_F_NET_BYTEORDER, which are flags on an attribute's type, not part of it.</summary>
    private const ushort AttributeTypeMask = 0x3fff;

    private const int AfNetlink = 16;
    private const int SockRaw = 3;
    private const int SockCloexec = 0x80000;
    private const int SolSocket = 1;
    private const int SoRcvTimeo = 20;
    private const int CloneNewNet = 0x40000000;
    private const int Interrupted = 4; // EINTR

    /// <summary>
    /// A netlink socket of <paramref name="protocol"/> (NETLINK_ROUTE 0, NETLINK_NETFILTER 12) in the
    /// calling thread's network namespace, with a one-second receive timeout: a kernel answer takes
    /// microseconds, and the loop that asks must not hang on one that never comes (EAGAIN instead).
    /// </summary>
    public static SafeFileHandle OpenSocket(int protocol)
    {
        var fd = Socket(AfNetlink, SockRaw | SockCloexec, protocol);
        if (fd < 0)
        {
            throw new IOException($"socket(AF_NETLINK, {protocol}) failed: errno {Marshal.GetLastPInvokeError()}");
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        Span<long> timeout = [1, 0];
        if (SetSockOpt(handle, SolSocket, SoRcvTimeo, ref MemoryMarshal.GetReference(MemoryMarshal.AsBytes(timeout)), 16) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            handle.Dispose();
            throw new IOException($"setsockopt(SO_RCVTIMEO) on a netlink socket failed: errno {errno}");
        }

        return handle;
    }

    /// <summary>
    /// <see cref="OpenSocket(int)"/> in the network namespace at <paramref name="networkNamespacePath"/>
    /// (e.g. /run/netns/NAME; null: this process's). The socket stays bound to the namespace it was
    /// created in, which is how the lab drives a namespace's kernel from outside.
    /// </summary>
    public static SafeFileHandle OpenSocket(int protocol, string? networkNamespacePath)
    {
        if (networkNamespacePath is null)
        {
            return OpenSocket(protocol);
        }

        // setns changes the calling thread only: do it on a thread of our own, create the socket
        // there, and let the thread end (it never runs anything else).
        SafeFileHandle? result = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var target = File.OpenHandle(networkNamespacePath);
                if (SetNs(target, CloneNewNet) != 0)
                {
                    throw new IOException($"setns({networkNamespacePath}) failed: errno {Marshal.GetLastPInvokeError()}");
                }

                result = OpenSocket(protocol);
            }
#pragma warning disable CA1031 // handed to the opening thread
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failure = ex;
            }
        });
        thread.Start();
        thread.Join();
        return result ?? throw new IOException($"cannot open a netlink socket in {networkNamespacePath}", failure);
    }

    /// <summary>Sends one request; 0, or the errno.</summary>
    public static int Send(SafeFileHandle socket, byte[] buffer, int length)
    {
        while (true)
        {
            if (SendNative(socket, buffer, length, 0) >= 0)
            {
                return 0;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != Interrupted)
            {
                return errno;
            }
        }
    }

    /// <summary>
    /// Receives one datagram: its length, or minus the errno (EAGAIN 11: nothing within the
    /// timeout). A call a signal interrupts is made again: with a receive timeout set, the kernel
    /// never restarts it (signal(7)), and a child process ending (SIGCHLD) must not fail a read.
    /// </summary>
    public static int Receive(SafeFileHandle socket, byte[] buffer)
    {
        while (true)
        {
            var n = RecvNative(socket, buffer, buffer.Length, 0);
            if (n >= 0)
            {
                return (int)n;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != Interrupted)
            {
                return -errno;
            }
        }
    }

    /// <summary>Writes a message header; the caller writes the length last (<see cref="SetLength"/>).</summary>
    public static void WriteHeader(Span<byte> buffer, ushort type, ushort flags, uint sequence)
    {
        buffer[..HeaderSize].Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[4..], type);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[6..], flags);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[8..], sequence);
    }

    /// <summary>Sets nlmsg_len of the message that starts at <paramref name="buffer"/>.</summary>
    public static void SetLength(Span<byte> buffer, int length) => BinaryPrimitives.WriteUInt32LittleEndian(buffer, (uint)length);

    /// <summary>Writes an attribute holding <paramref name="data"/>; returns the octets taken, padding included.</summary>
    public static int WriteAttribute(Span<byte> buffer, ushort type, ReadOnlySpan<byte> data)
    {
        var padded = (4 + data.Length + 3) & ~3;
        buffer[..padded].Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(buffer, (ushort)(4 + data.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[2..], type);
        data.CopyTo(buffer[4..]);
        return padded;
    }

    /// <summary>The messages of one datagram, in order.</summary>
    public static Messages ReadMessages(ReadOnlySpan<byte> datagram) => new(datagram);

    /// <summary>The attributes that fill <paramref name="data"/> (a message's after its fixed header, or a nested attribute's).</summary>
    public static NlAttrs ReadAttributes(ReadOnlySpan<byte> data) => new(data);

    /// <summary>An NLMSG_ERROR's errno: 0 for an acknowledgement, else positive; -1 when the body is too short to hold one.</summary>
    public static int ErrorOf(ReadOnlySpan<byte> body) => body.Length >= 4 ? -BinaryPrimitives.ReadInt32LittleEndian(body) : -1;

    /// <summary>
    /// The netlink messages of one datagram, each aligned to 4 octets (NLMSG_ALIGN); ends at the
    /// first one whose length is impossible (<see cref="Truncated"/> then says so).
    /// </summary>
    public ref struct Messages(ReadOnlySpan<byte> datagram)
    {
        private ReadOnlySpan<byte> _rest = datagram;

        public Message Current { get; private set; }

        /// <summary>Whether the walk stopped at octets that are not a whole message.</summary>
        public readonly bool Truncated => _rest.Length > 0;

        public readonly Messages GetEnumerator() => this;

        public bool MoveNext()
        {
            if (_rest.Length < HeaderSize)
            {
                return false;
            }

            var length = BinaryPrimitives.ReadUInt32LittleEndian(_rest);
            if (length < HeaderSize || length > (uint)_rest.Length)
            {
                return false;
            }

            Current = new Message(
                BinaryPrimitives.ReadUInt16LittleEndian(_rest[4..]),
                BinaryPrimitives.ReadUInt16LittleEndian(_rest[6..]),
                BinaryPrimitives.ReadUInt32LittleEndian(_rest[8..]),
                _rest[HeaderSize..(int)length]);
            _rest = _rest[Math.Min(_rest.Length, ((int)length + 3) & ~3)..];
            return true;
        }
    }

    /// <summary>One netlink message: nlmsg_type, nlmsg_flags, nlmsg_seq and what follows the header.</summary>
    public readonly ref struct Message(ushort type, ushort flags, uint sequence, ReadOnlySpan<byte> body)
    {
        public ushort Type { get; } = type;

        public ushort Flags { get; } = flags;

        public uint Sequence { get; } = sequence;

        public ReadOnlySpan<byte> Body { get; } = body;
    }

    /// <summary>
    /// The attributes of a message or a nested attribute; ends at the first whose length is
    /// impossible (<see cref="Truncated"/> then says so). Types are returned without the nested and
    /// byte-order flags.
    /// </summary>
    public ref struct NlAttrs(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _rest = data;

        public NlAttr Current { get; private set; }

        /// <summary>Whether the walk stopped at octets that are not a whole attribute.</summary>
        public readonly bool Truncated => _rest.Length > 0;

        public readonly NlAttrs GetEnumerator() => this;

        public bool MoveNext()
        {
            if (_rest.Length < 4)
            {
                return false;
            }

            var length = BinaryPrimitives.ReadUInt16LittleEndian(_rest);
            if (length < 4 || length > _rest.Length)
            {
                return false;
            }

            Current = new NlAttr((ushort)(BinaryPrimitives.ReadUInt16LittleEndian(_rest[2..]) & AttributeTypeMask), _rest[4..length]);
            _rest = _rest[Math.Min(_rest.Length, (length + 3) & ~3)..];
            return true;
        }
    }

    /// <summary>One attribute: its type (flags removed) and its data (padding removed).</summary>
    public readonly ref struct NlAttr(ushort type, ReadOnlySpan<byte> data)
    {
        public ushort Type { get; } = type;

        public ReadOnlySpan<byte> Data { get; } = data;
    }

    [DllImport("libc", EntryPoint = "socket", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Socket(int domain, int type, int protocol);

    [DllImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetSockOpt(SafeFileHandle fd, int level, int name, ref byte value, int length);

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetNs(SafeFileHandle fd, int type);

    [DllImport("libc", EntryPoint = "send", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint SendNative(SafeFileHandle fd, byte[] buffer, nint length, int flags);

    [DllImport("libc", EntryPoint = "recv", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint RecvNative(SafeFileHandle fd, byte[] buffer, nint length, int flags);
}
