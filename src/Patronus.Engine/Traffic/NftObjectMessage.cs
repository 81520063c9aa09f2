using System.Buffers.Binary;
using System.Text;
using Patronus.Engine.Net;

namespace Patronus.Engine.Traffic;

/// <summary>How one datagram of an answer left the read.</summary>
internal enum NftDumpStep
{
    /// <summary>More datagrams follow.</summary>
    More,

    /// <summary>The answer is complete (NLMSG_DONE, or the acknowledgement of a request).</summary>
    Done,

    /// <summary>The kernel answered with an error (the errno is given).</summary>
    Error,

    /// <summary>The datagram cannot be what the kernel sends (the reason is given).</summary>
    Malformed,
}

/// <summary>
/// nf_tables over nfnetlink (NETLINK_NETFILTER), only what reading the accounting table's named
/// counters needs: the dump request for the counter objects of one table, its answers, and the
/// request that asks whether the table exists. Each message is the netlink header, an
/// <c>nfgenmsg</c>, then attributes whose integers are in network byte order (nf_tables.h):
/// <code>
/// nfgenmsg: family u8 (NFPROTO_INET 1) | version u8 (0) | res_id be16        (4)
/// NFT_MSG_NEWOBJ: NFTA_OBJ_TABLE "patronus_acct\0" | NFTA_OBJ_NAME "path_p1\0" | NFTA_OBJ_TYPE be32 1 (counter)
///                 | NFTA_OBJ_DATA { NFTA_COUNTER_BYTES be64 | NFTA_COUNTER_PACKETS be64 } | NFTA_OBJ_USE | NFTA_OBJ_HANDLE
/// </code>
/// Reads never throw and change nothing but the dictionary they fill; what is not a counter of the
/// table (another object type, another table on a kernel that ignores the dump's filter) is skipped.
/// </summary>
internal static class NftObjectMessage
{
    /// <summary>NFNL_SUBSYS_NFTABLES (10) in the high octet of every nf_tables message type.</summary>
    private const int Subsystem = 10 << 8;

    public const ushort NewTable = Subsystem | 0;
    public const ushort GetTable = Subsystem | 1;
    public const ushort NewObject = Subsystem | 18;
    public const ushort GetObject = Subsystem | 19;

    /// <summary>NFPROTO_INET: the family of an <c>inet</c> table.</summary>
    public const byte FamilyInet = 1;

    /// <summary>NFT_OBJECT_COUNTER.</summary>
    public const uint ObjectCounter = 1;

    public const ushort AttrTableName = 1; // NFTA_TABLE_NAME
    public const ushort AttrObjectTable = 1; // NFTA_OBJ_TABLE
    public const ushort AttrObjectName = 2; // NFTA_OBJ_NAME
    public const ushort AttrObjectType = 3; // NFTA_OBJ_TYPE
    public const ushort AttrObjectData = 4; // NFTA_OBJ_DATA
    public const ushort AttrCounterBytes = 1; // NFTA_COUNTER_BYTES
    public const ushort AttrCounterPackets = 2; // NFTA_COUNTER_PACKETS

    /// <summary>Octets of the nfgenmsg that follows every header.</summary>
    public const int GenMessageSize = 4;

    /// <summary>Longest table or object name the kernel accepts (NFT_NAME_MAXLEN, terminator included).</summary>
    public const int MaxNameLength = 256;

    /// <summary>Enough for either request: header, nfgenmsg, a name of the longest length, a type.</summary>
    public const int MaxRequestSize = Netlink.HeaderSize + GenMessageSize + 4 + MaxNameLength + 8;

    /// <summary>
    /// NFT_MSG_GETOBJ with NLM_F_DUMP for the counters of table <paramref name="table"/> of the inet
    /// family: the kernel filters by table and type, so the answer is those counters alone.
    /// </summary>
    public static int WriteCounterDump(Span<byte> buffer, uint sequence, string table)
    {
        var offset = WriteStart(buffer, GetObject, Netlink.FlagRequest | Netlink.FlagDump, sequence);
        offset += WriteName(buffer[offset..], AttrObjectTable, table);
        Span<byte> type = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(type, ObjectCounter);
        offset += Netlink.WriteAttribute(buffer[offset..], AttrObjectType, type);
        Netlink.SetLength(buffer, offset);
        return offset;
    }

    /// <summary>NFT_MSG_GETTABLE for table <paramref name="table"/>, acknowledged: ENOENT when there is none.</summary>
    public static int WriteTableRequest(Span<byte> buffer, uint sequence, string table)
    {
        var offset = WriteStart(buffer, GetTable, Netlink.FlagRequest | Netlink.FlagAck, sequence);
        offset += WriteName(buffer[offset..], AttrTableName, table);
        Netlink.SetLength(buffer, offset);
        return offset;
    }

    /// <summary>
    /// Reads one datagram of the answer to dump <paramref name="sequence"/>, adding each counter of
    /// <paramref name="table"/> to <paramref name="counters"/>. Names already in
    /// <paramref name="names"/> are reused (no string per counter per read once they are known);
    /// new ones are added there. Messages of other requests are skipped. <paramref name="interrupted"/>
    /// is set when the kernel flags the dump as inconsistent (the ruleset changed while it ran).
    /// </summary>
    public static NftDumpStep ReadCounterDump(ReadOnlySpan<byte> datagram, uint sequence, string table, Dictionary<string, NftCounter> counters,
        HashSet<string> names, ref bool interrupted, out int errno, out string? error)
    {
        ArgumentNullException.ThrowIfNull(counters);
        ArgumentNullException.ThrowIfNull(names);
        errno = 0;
        error = null;
        var messages = Netlink.ReadMessages(datagram);
        while (messages.MoveNext())
        {
            var message = messages.Current;
            if (message.Sequence != sequence)
            {
                continue;
            }

            interrupted |= (message.Flags & Netlink.FlagDumpInterrupted) != 0;
            switch (message.Type)
            {
                case Netlink.MessageDone:
                    // The dump's own outcome: 0, or minus the errno that cut it short.
                    errno = message.Body.Length >= 4 ? Math.Max(Netlink.ErrorOf(message.Body), 0) : 0;
                    return errno == 0 ? NftDumpStep.Done : NftDumpStep.Error;
                case Netlink.MessageError:
                    errno = Netlink.ErrorOf(message.Body);
                    if (errno == 0)
                    {
                        return NftDumpStep.Done;
                    }

                    if (errno < 0)
                    {
                        error = "an NLMSG_ERROR without an error code";
                        return NftDumpStep.Malformed;
                    }

                    return NftDumpStep.Error;
                case NewObject:
                    if (!TryReadCounter(message.Body, table, counters, names, out error))
                    {
                        return NftDumpStep.Malformed;
                    }

                    break;
            }
        }

        if (messages.Truncated)
        {
            error = "a netlink message runs past the end of its datagram";
            return NftDumpStep.Malformed;
        }

        return NftDumpStep.More;
    }

    /// <summary>
    /// Reads one datagram of the answer to table request <paramref name="sequence"/>: Done with
    /// <paramref name="exists"/> at the acknowledgement, Error with the errno (ENOENT 2: no such
    /// table), More while neither has come.
    /// </summary>
    public static NftDumpStep ReadTableAnswer(ReadOnlySpan<byte> datagram, uint sequence, out bool exists, out int errno)
    {
        exists = false;
        errno = 0;
        foreach (var message in Netlink.ReadMessages(datagram))
        {
            if (message.Sequence == sequence && message.Type == Netlink.MessageError)
            {
                errno = Netlink.ErrorOf(message.Body);
                exists = errno == 0;
                return errno == 0 ? NftDumpStep.Done : errno > 0 ? NftDumpStep.Error : NftDumpStep.Malformed;
            }
        }

        return NftDumpStep.More;
    }

    /// <summary>One NFT_MSG_NEWOBJ: true when it is well formed (added when it is a counter of the table); false with the reason.</summary>
    private static bool TryReadCounter(ReadOnlySpan<byte> body, string table, Dictionary<string, NftCounter> counters, HashSet<string> names, out string? error)
    {
        error = null;
        if (body.Length < GenMessageSize)
        {
            error = "an object message without its nfgenmsg";
            return false;
        }

        if (body[0] != FamilyInet)
        {
            return true; // another family's object: not ours to count
        }

        ReadOnlySpan<byte> objectTable = default;
        ReadOnlySpan<byte> name = default;
        ReadOnlySpan<byte> data = default;
        uint? type = null;
        var attributes = Netlink.ReadAttributes(body[GenMessageSize..]);
        while (attributes.MoveNext())
        {
            var attribute = attributes.Current;
            switch (attribute.Type)
            {
                case AttrObjectTable:
                    objectTable = TrimTerminator(attribute.Data);
                    break;
                case AttrObjectName:
                    name = TrimTerminator(attribute.Data);
                    break;
                case AttrObjectType when attribute.Data.Length == 4:
                    type = BinaryPrimitives.ReadUInt32BigEndian(attribute.Data);
                    break;
                case AttrObjectData:
                    data = attribute.Data;
                    break;
            }
        }

        if (attributes.Truncated)
        {
            error = "an object attribute runs past the end of its message";
            return false;
        }

        if (type is null || objectTable.IsEmpty || name.IsEmpty)
        {
            error = "an object without its table, name or type";
            return false;
        }

        if (type != ObjectCounter || !NameIs(objectTable, table))
        {
            return true; // a kernel that ignored the dump's filter
        }

        if (name.Length >= MaxNameLength || !Ascii.IsValid(name))
        {
            error = "a counter name that is not ASCII of at most 255 octets";
            return false;
        }

        ulong? bytes = null;
        ulong? packets = null;
        var values = Netlink.ReadAttributes(data);
        while (values.MoveNext())
        {
            var value = values.Current;
            if (value.Data.Length != 8)
            {
                continue; // the padding attribute, or one a newer kernel adds
            }

            if (value.Type == AttrCounterBytes)
            {
                bytes = BinaryPrimitives.ReadUInt64BigEndian(value.Data);
            }
            else if (value.Type == AttrCounterPackets)
            {
                packets = BinaryPrimitives.ReadUInt64BigEndian(value.Data);
            }
        }

        if (values.Truncated || bytes is null || packets is null)
        {
            error = "a counter without its packets and bytes";
            return false;
        }

        var key = NameOf(name, names);
        if (!counters.TryAdd(key, new NftCounter(packets.Value, bytes.Value)))
        {
            error = $"counter {key} listed twice";
            return false;
        }

        return true;
    }

    /// <summary>The string for <paramref name="name"/>: the one already known, or a new one remembered.</summary>
    private static string NameOf(ReadOnlySpan<byte> name, HashSet<string> names)
    {
        Span<char> chars = stackalloc char[MaxNameLength];
        var length = Encoding.ASCII.GetChars(name, chars);
        if (names.TryGetAlternateLookup<ReadOnlySpan<char>>(out var lookup) && lookup.TryGetValue(chars[..length], out var known))
        {
            return known;
        }

        var created = new string(chars[..length]);
        names.Add(created);
        return created;
    }

    private static bool NameIs(ReadOnlySpan<byte> name, string expected)
    {
        if (name.Length != expected.Length)
        {
            return false;
        }

        for (var i = 0; i < name.Length; i++)
        {
            if (name[i] != expected[i])
            {
                return false;
            }
        }

        return true;
    }

    private static ReadOnlySpan<byte> TrimTerminator(ReadOnlySpan<byte> data)
    {
        var end = data.IndexOf((byte)0);
        return end < 0 ? data : data[..end];
    }

    private static int WriteStart(Span<byte> buffer, ushort type, int flags, uint sequence)
    {
        Netlink.WriteHeader(buffer, type, (ushort)flags, sequence);
        var gen = buffer[Netlink.HeaderSize..];
        gen[0] = FamilyInet;
        gen[1] = 0; // NFNETLINK_V0
        gen[2] = 0;
        gen[3] = 0; // res_id
        return Netlink.HeaderSize + GenMessageSize;
    }

    private static int WriteName(Span<byte> buffer, ushort type, string name)
    {
        if (name.Length == 0 || name.Length >= MaxNameLength || !Ascii.IsValid(name))
        {
            throw new ArgumentException($"'{name}' is not an nf_tables name (ASCII, 1 to 255 characters)", nameof(name));
        }

        Span<byte> text = stackalloc byte[MaxNameLength];
        var length = Encoding.ASCII.GetBytes(name, text);
        text[length] = 0;
        return Netlink.WriteAttribute(buffer, type, text[..(length + 1)]);
    }
}
