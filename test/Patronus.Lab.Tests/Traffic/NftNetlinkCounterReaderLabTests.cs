using System.Globalization;
using System.Text;
using Patronus.Engine.Traffic;
using Patronus.Lab.Tests.TestSupport;

namespace Patronus.Lab.Tests.Traffic;

/// <summary>
/// <see cref="NftNetlinkCounterReader"/> against the real kernel, with <c>nft -j list counters</c>
/// as the oracle, in a namespace of the test's own: no table, a table without counters, and 1,500
/// counters (a dump of many datagrams) with loopback pings counted into some of them, beside a
/// second table whose counters share the names.
/// </summary>
public sealed class NftNetlinkCounterReaderLabTests(ITestOutputHelper output)
{
    private const int Counters = 1500;

    [LabFact]
    public async Task Read_AgainstNft_NoTable_EmptyTable_ManyCountersWithTraffic()
    {
        await using var lab = NetLab.Create(output);
        var ns = await lab.AddNamespaceAsync("nl");
        using var reader = NftNetlinkCounterReader.Open(networkNamespacePath: $"/run/netns/{ns}");
        var read = new Dictionary<string, NftCounter>(StringComparer.Ordinal) { ["stale"] = new(1, 1) };

        // 1. No table: told apart from an empty one, and nothing left in the dictionary.
        var (error, missing) = Read(reader, read);
        Assert.True(missing, error);
        Assert.Contains("does not exist", error, StringComparison.Ordinal);
        Assert.Empty(read);

        // 2. The table, no counters.
        await lab.MustExecAsync(ns, "nft", "add", "table", "inet", AcctCounters.Table);
        (error, missing) = Read(reader, read);
        Assert.Null(error);
        Assert.False(missing);
        Assert.Empty(read);

        // 3. 1,500 counters, three of them counting loopback pings; the same names in another table.
        var script = new StringBuilder();
        for (var i = 0; i < Counters; i++)
        {
            script.Append(CultureInfo.InvariantCulture, $"add counter inet {AcctCounters.Table} path_c{i:D4}\n");
        }

        script.Append(CultureInfo.InvariantCulture, $"add chain inet {AcctCounters.Table} out {{ type filter hook output priority 0; policy accept; }}\n");
        script.Append(CultureInfo.InvariantCulture, $"add rule inet {AcctCounters.Table} out ip daddr 127.0.0.1 counter name \"path_c0000\"\n");
        script.Append(CultureInfo.InvariantCulture, $"add rule inet {AcctCounters.Table} out ip daddr 127.0.0.1 counter name \"path_c0777\"\n");
        script.Append(CultureInfo.InvariantCulture, $"add rule inet {AcctCounters.Table} out icmp type echo-reply counter name \"path_c1499\"\n");
        script.Append("add table inet other\nadd counter inet other path_c0000\nadd counter inet other only_other\n");
        script.Append("add chain inet other out { type filter hook output priority 0; policy accept; }\n");
        script.Append("add rule inet other out counter name \"path_c0000\"\n");
        var file = Path.Combine(lab.CreateTempDirectory("nft"), "acct.nft");
        await File.WriteAllTextAsync(file, script.ToString());
        await lab.MustExecAsync(ns, "nft", "-f", file);
        await AcctCounters.PingAsync(lab, ns, "127.0.0.1", 5, 1000);

        (error, missing) = Read(reader, read);
        var oracle = (await AcctCounters.ReadAsync(lab, ns))!;

        Assert.Null(error);
        Assert.False(missing);
        Assert.Equal(Counters, read.Count);
        Assert.Equal(oracle.OrderBy(c => c.Key, StringComparer.Ordinal), read.Select(c => KeyValuePair.Create(c.Key, new Count(c.Value.Packets, c.Value.Bytes))).OrderBy(c => c.Key, StringComparer.Ordinal));
        var ipLength = 1000UL + AcctCounters.IcmpOverhead;
        Assert.Equal(new NftCounter(10, 10 * ipLength), read["path_c0000"]); // echo and reply, both leave through output on lo
        Assert.Equal(new NftCounter(10, 10 * ipLength), read["path_c0777"]);
        Assert.Equal(new NftCounter(5, 5 * ipLength), read["path_c1499"]);
        Assert.Equal(new NftCounter(0, 0), read["path_c0001"]);
        Assert.DoesNotContain("only_other", read.Keys);

        // 4. Again after more traffic: the same socket, the names already known, the counts moved.
        await AcctCounters.PingAsync(lab, ns, "127.0.0.1", 3, 1000);
        (error, _) = Read(reader, read);
        Assert.Null(error);
        Assert.Equal(new NftCounter(16, 16 * ipLength), read["path_c0000"]);
        Assert.Equal(new NftCounter(8, 8 * ipLength), read["path_c1499"]);

        // 5. The table deleted: missing again.
        await lab.MustExecAsync(ns, "nft", "delete", "table", "inet", AcctCounters.Table);
        (error, missing) = Read(reader, read);
        Assert.True(missing, error);
        Assert.Empty(read);
    }

    /// <summary>One read: why it failed (null: it did not), and whether the table is missing.</summary>
    private static (string? Error, bool Missing) Read(NftNetlinkCounterReader reader, Dictionary<string, NftCounter> into)
    {
        var read = reader.Read(into);
        return (read.Error, read.Status == NftReadStatus.TableMissing);
    }
}
