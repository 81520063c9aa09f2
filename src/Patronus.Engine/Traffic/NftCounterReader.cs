using Microsoft.Win32.SafeHandles;
using Patronus.Engine.Net;

namespace Patronus.Engine.Traffic;

/// <summary>How a read of the accounting table's counters ended.</summary>
internal enum NftReadStatus
{
    Read,

    /// <summary>The table does not exist (someone deleted it, or it was never created).</summary>
    TableMissing,

    /// <summary>The read itself failed (nft's error, a netlink errno, a timeout).</summary>
    Failed,

    /// <summary>An answer came that cannot be what the kernel (or nft) sends.</summary>
    Malformed,
}

/// <summary>The outcome of one read: the status, and for anything but a read, why.</summary>
internal readonly record struct NftRead(NftReadStatus Status, string? Error)
{
    public static NftRead Success { get; } = new(NftReadStatus.Read, null);
}

/// <summary>Reads every named counter of table <c>inet patronus_acct</c>.</summary>
internal interface INftCounterReader : IDisposable
{
    /// <summary>What the read failures are counted as: <c>nft</c> or <c>netlink</c>.</summary>
    string Source { get; }

    /// <summary>
    /// Fills <paramref name="counters"/> (cleared first) with every counter of the table. All or
    /// nothing: after anything but <see cref="NftReadStatus.Read"/> it is empty.
    /// </summary>
    ValueTask<NftRead> ReadAsync(Dictionary<string, NftCounter> counters, CancellationToken cancellationToken);
}

/// <summary>
/// Counters through <c>nft -j list counters</c>: one process per read. Used when <c>Traffic:NftPath</c>
/// names the program (whatever it runs, reads go through it too: the lab's wrapper runs nft in
/// another namespace) or when a netlink socket cannot be opened.
/// </summary>
internal sealed class NftJsonCounterReader(INftRunner nft) : INftCounterReader
{
    private static readonly string[] s_listCounters = ["-j", "list", "counters", "table", AccountingRuleset.Family, AccountingRuleset.Table];

    public string Source => "nft";

    public async ValueTask<NftRead> ReadAsync(Dictionary<string, NftCounter> counters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(counters);
        counters.Clear();
        var result = await nft.RunAsync(s_listCounters, null, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            return new NftRead(
                result.Stderr.Contains("No such file or directory", StringComparison.Ordinal) ? NftReadStatus.TableMissing : NftReadStatus.Failed,
                $"nft: {result.Error}");
        }

        return NftCounters.TryParse(result.Stdout, counters, out var error)
            ? NftRead.Success
            : new NftRead(NftReadStatus.Malformed, $"malformed nft output: {error}");
    }

    public void Dispose()
    {
    }
}

/// <summary>
/// Counters straight from the kernel over nfnetlink: one dump request of the table's counter
/// objects (filtered by the kernel) and its answer, on a socket kept open, in well under a
/// millisecond for a thousand counters, with no process started and nothing allocated once every
/// name is known. Before this, every read started <c>nft</c> — a fork of the whole server and a
/// JSON document to parse, once a second. Writing the table stays with nft (<see cref="NftProcessRunner"/>):
/// rules are expressions, which nft compiles and this does not try to. Not thread-safe: one owner
/// (the accounting loop).
/// </summary>
internal sealed class NftNetlinkCounterReader : INftCounterReader
{
    private const int NetlinkNetfilter = 12;
    private const int NoSuchEntry = 2; // ENOENT
    private const int Again = 11; // EAGAIN: SO_RCVTIMEO ran out

    /// <summary>A dump that keeps being interrupted by ruleset changes is given up after this many tries.</summary>
    private const int Attempts = 3;

    private readonly string _table;
    private readonly string? _namespacePath;
    private readonly byte[] _send = new byte[NftObjectMessage.MaxRequestSize];

    // A dump arrives in datagrams of up to 32 KiB (the kernel's largest dump skb); larger never truncates.
    private readonly byte[] _receive = new byte[64 * 1024];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private SafeFileHandle _socket;
    private uint _sequence;

    private NftNetlinkCounterReader(SafeFileHandle socket, string table, string? networkNamespacePath)
    {
        _socket = socket;
        _table = table;
        _namespacePath = networkNamespacePath;
    }

    /// <summary>
    /// Opens the reader for table <c>inet <paramref name="table"/></c> in this process's network
    /// namespace, or in the one at <paramref name="networkNamespacePath"/> (tests). Throws
    /// <see cref="IOException"/> when the socket cannot be had (not Linux, no CAP_NET_ADMIN is not
    /// one of them: the dump's permission check comes with the first read).
    /// </summary>
    public static NftNetlinkCounterReader Open(string table = AccountingRuleset.Table, string? networkNamespacePath = null)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new IOException("nfnetlink needs Linux");
        }

        return new NftNetlinkCounterReader(Netlink.OpenSocket(NetlinkNetfilter, networkNamespacePath), table, networkNamespacePath);
    }

    public string Source => "netlink";

    /// <summary>Synchronous (a kernel answer takes microseconds; at worst the socket's 1 s timeout): see <see cref="Read"/>.</summary>
    public ValueTask<NftRead> ReadAsync(Dictionary<string, NftCounter> counters, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Read(counters));

    /// <summary>
    /// Reads every counter of the table into <paramref name="counters"/> (cleared first). All or
    /// nothing: after anything but <see cref="NftReadStatus.Read"/> it is empty.
    /// </summary>
    public NftRead Read(Dictionary<string, NftCounter> counters)
    {
        ArgumentNullException.ThrowIfNull(counters);
        var (status, error) = ReadCore(counters);
        return status == NftReadStatus.Read ? NftRead.Success : new NftRead(status, error);
    }

    private (NftReadStatus Status, string? Error) ReadCore(Dictionary<string, NftCounter> counters)
    {
        for (var attempt = 1; ; attempt++)
        {
            counters.Clear();
            var sequence = ++_sequence;
            var length = NftObjectMessage.WriteCounterDump(_send, sequence, _table);
            var (status, error, interrupted) = Exchange(length, sequence, counters);
            if (status != NftReadStatus.Read)
            {
                counters.Clear();
                if (status is NftReadStatus.Failed or NftReadStatus.Malformed)
                {
                    Reopen();
                }

                return (status, error);
            }

            if (!interrupted)
            {
                break;
            }

            if (attempt == Attempts)
            {
                counters.Clear();
                return (NftReadStatus.Failed, $"netlink: the counter dump was interrupted by ruleset changes {Attempts} times in a row");
            }
        }

        // An empty answer is also what a missing table gives (the dump filters, it does not check):
        // ask for the table itself, so a deleted table is told from one without counters.
        if (counters.Count == 0)
        {
            return TableExists();
        }

        return (NftReadStatus.Read, null);
    }

    private (NftReadStatus Status, string? Error, bool Interrupted) Exchange(int length, uint sequence, Dictionary<string, NftCounter> counters)
    {
        if (Netlink.Send(_socket, _send, length) is var sendError and not 0)
        {
            return (NftReadStatus.Failed, $"netlink: send failed: errno {sendError}", false);
        }

        var interrupted = false;
        while (true)
        {
            var n = Netlink.Receive(_socket, _receive);
            if (n < 0)
            {
                return (NftReadStatus.Failed, -n == Again ? "netlink: no answer within 1 s" : $"netlink: receive failed: errno {-n}", false);
            }

            var step = NftObjectMessage.ReadCounterDump(_receive.AsSpan(0, n), sequence, _table, counters, _names, ref interrupted, out var errno, out var error);
            switch (step)
            {
                case NftDumpStep.Done:
                    return (NftReadStatus.Read, null, interrupted);
                case NftDumpStep.Error:
                    // The dump is over either way (NLMSG_ERROR, or NLMSG_DONE carrying the errno).
                    return (errno == NoSuchEntry ? NftReadStatus.TableMissing : NftReadStatus.Failed, $"netlink: the kernel refused the counter dump: errno {errno}", false);
                case NftDumpStep.Malformed:
                    return (NftReadStatus.Malformed, $"malformed netlink answer: {error}", false);
            }
        }
    }

    /// <summary>
    /// After a read that did not end with the kernel's last word (a timeout, a malformed answer):
    /// the kernel may still be sending the rest of that dump, and answers every new dump on the same
    /// socket with EBUSY until it is drained. A new socket ends the old dump at once.
    /// </summary>
    private void Reopen()
    {
        try
        {
            var fresh = Netlink.OpenSocket(NetlinkNetfilter, _namespacePath);
            _socket.Dispose();
            _socket = fresh;
        }
        catch (IOException)
        {
            // Keep the old one: the next read tries again, and says why if it fails.
        }
    }

    private (NftReadStatus Status, string? Error) TableExists()
    {
        var sequence = ++_sequence;
        var length = NftObjectMessage.WriteTableRequest(_send, sequence, _table);
        if (Netlink.Send(_socket, _send, length) is var sendError and not 0)
        {
            return (NftReadStatus.Failed, $"netlink: send failed: errno {sendError}");
        }

        while (true)
        {
            var n = Netlink.Receive(_socket, _receive);
            if (n < 0)
            {
                Reopen();
                return (NftReadStatus.Failed, -n == Again ? "netlink: no answer within 1 s" : $"netlink: receive failed: errno {-n}");
            }

            switch (NftObjectMessage.ReadTableAnswer(_receive.AsSpan(0, n), sequence, out _, out var errno))
            {
                case NftDumpStep.Done:
                    return (NftReadStatus.Read, null);
                case NftDumpStep.Error:
                    return errno == NoSuchEntry
                        ? (NftReadStatus.TableMissing, $"netlink: table {AccountingRuleset.Family} {_table} does not exist")
                        : (NftReadStatus.Failed, $"netlink: the kernel refused the table request: errno {errno}");
                case NftDumpStep.Malformed:
                    return (NftReadStatus.Malformed, "malformed netlink answer: an NLMSG_ERROR without an error code");
            }
        }
    }

    public void Dispose() => _socket.Dispose();
}
