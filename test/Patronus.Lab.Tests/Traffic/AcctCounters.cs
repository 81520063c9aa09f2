using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Patronus.Lab.Tests.TestSupport;

namespace Patronus.Lab.Tests.Traffic;

/// <summary>One kernel counter: packets and bytes.</summary>
public readonly record struct Count(ulong Packets, ulong Bytes)
{
    public static Count operator -(Count a, Count b) => new(a.Packets - b.Packets, a.Bytes - b.Bytes);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Packets} packets / {Bytes} bytes");
}

/// <summary>What the lab reads from the kernel directly: the accounting table's counters, and pings of known size.</summary>
public static partial class AcctCounters
{
    public const string Table = "patronus_acct";

    /// <summary>IPv4 header (20) + ICMP echo header (8): the IP length of a ping with <c>-s SIZE</c> is SIZE + 28.</summary>
    public const int IcmpOverhead = 28;

    /// <summary>The named counters of <c>inet patronus_acct</c> in <paramref name="ns"/>; null when the table does not exist.</summary>
    public static async Task<IReadOnlyDictionary<string, Count>?> ReadAsync(NetLab lab, string ns)
    {
        var result = await lab.ExecAsync(ns, "nft", "-j", "list", "counters", "table", "inet", Table);
        if (!result.Succeeded)
        {
            Assert.Contains("No such file or directory", result.Stderr, StringComparison.Ordinal);
            return null;
        }

        using var doc = JsonDocument.Parse(result.Stdout);
        var counters = new Dictionary<string, Count>(StringComparer.Ordinal);
        foreach (var item in doc.RootElement.GetProperty("nftables").EnumerateArray())
        {
            if (item.TryGetProperty("counter", out var c))
            {
                counters[c.GetProperty("name").GetString()!] = new Count(c.GetProperty("packets").GetUInt64(), c.GetProperty("bytes").GetUInt64());
            }
        }

        return counters;
    }

    /// <summary>Whether <c>inet patronus_acct</c> exists in <paramref name="ns"/>.</summary>
    public static async Task<bool> TableExistsAsync(NetLab lab, string ns) =>
        (await lab.MustExecAsync(ns, "nft", "list", "tables")).Stdout.Contains($"table inet {Table}", StringComparison.Ordinal);

    /// <summary>
    /// <c>ping -c COUNT -s SIZE</c> from <paramref name="ns"/> (20 ms apart); returns how many echo
    /// requests ping says it transmitted, which must be all of them, and how many came back.
    /// </summary>
    public static async Task<(int Transmitted, int Received)> PingAsync(NetLab lab, string ns, string target, int count, int size)
    {
        var result = await lab.ExecAsync(ns, "ping", "-n", "-q", "-c", count.ToString(CultureInfo.InvariantCulture),
            "-s", size.ToString(CultureInfo.InvariantCulture), "-i", "0.02", "-W", "2", target);
        var match = Summary().Match(result.Stdout);
        Assert.True(match.Success, result.ToString());
        var transmitted = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(transmitted == count, $"ping transmitted {transmitted} of {count}\n{result}");
        return (transmitted, int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"(\d+) packets transmitted, (\d+) received")]
    private static partial Regex Summary();
}
