using Patronus.Engine.Traffic;

namespace Patronus.Engine.Tests.Traffic;

/// <summary>nft's JSON, from real captures (nftables 1.0.6, Debian 12, kernel 6.18) and broken variants.</summary>
public sealed class NftCountersTests
{
    /// <summary><c>nft -j list counters table inet patronus_acct</c> after 3 + 1 pings of 1028 and 128 bytes.</summary>
    internal const string Captured =
        """{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, """ +
        """{"counter": {"family": "inet", "name": "policy_1", "table": "patronus_acct", "handle": 3, "packets": 4, "bytes": 3212}}, """ +
        """{"counter": {"family": "inet", "name": "path_p1", "table": "patronus_acct", "handle": 4, "packets": 6, "bytes": 3468}}, """ +
        """{"counter": {"family": "inet", "name": "policy_2", "table": "patronus_acct", "handle": 12, "packets": 2, "bytes": 256}}]}""";

    /// <summary>The same for a table without counters (no policies, no countable paths).</summary>
    internal const string CapturedEmpty =
        """{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}]}""";

    [Fact]
    public void TryParse_CapturedOutput_EveryCounter()
    {
        Assert.True(NftCounters.TryParse(Captured, out var counters, out var error), error);

        Assert.Null(error);
        Assert.Equal(3, counters.Count);
        Assert.Equal(new NftCounter(4, 3212), counters["policy_1"]);
        Assert.Equal(new NftCounter(6, 3468), counters["path_p1"]);
        Assert.Equal(new NftCounter(2, 256), counters["policy_2"]);
    }

    [Fact]
    public void TryParse_CapturedEmptyTable_NoCounters()
    {
        Assert.True(NftCounters.TryParse(CapturedEmpty, out var counters, out _));
        Assert.Empty(counters);
    }

    [Fact]
    public void TryParse_UInt64Max_Kept()
    {
        var json = """{"nftables": [{"counter": {"family": "inet", "name": "c", "table": "patronus_acct", "packets": 18446744073709551615, "bytes": 0}}]}""";

        Assert.True(NftCounters.TryParse(json, out var counters, out _));
        Assert.Equal(ulong.MaxValue, counters["c"].Packets);
    }

    [Theory]
    [InlineData("", "not JSON")]
    [InlineData("Error: No such file or directory", "not JSON")]
    [InlineData("""{"nftables": [{"counter": {"name": "c", "table": "patronus_acct", "family": "inet", "packets": 1, "bytes": 2}}""", "not JSON")]
    [InlineData("[]", "no \"nftables\" array")]
    [InlineData("""{"nftables": {}}""", "no \"nftables\" array")]
    [InlineData("""{"tables": []}""", "no \"nftables\" array")]
    [InlineData("""{"nftables": [1]}""", "not an object")]
    [InlineData("""{"nftables": [{"counter": 5}]}""", "not an object")]
    [InlineData("""{"nftables": [{"counter": {"table": "patronus_acct", "family": "inet", "packets": 1, "bytes": 2}}]}""", "no name")]
    [InlineData("""{"nftables": [{"counter": {"name": "", "table": "patronus_acct", "family": "inet", "packets": 1, "bytes": 2}}]}""", "no name")]
    [InlineData("""{"nftables": [{"counter": {"name": 7, "table": "patronus_acct", "family": "inet", "packets": 1, "bytes": 2}}]}""", "no name")]
    [InlineData("""{"nftables": [{"counter": {"name": "c", "table": "other", "family": "inet", "packets": 1, "bytes": 2}}]}""", "not in table")]
    [InlineData("""{"nftables": [{"counter": {"name": "c", "table": 3, "family": "inet", "packets": 1, "bytes": 2}}]}""", "not in table")]
    [InlineData("""{"nftables": [{"counter": {"name": "c", "table": "patronus_acct", "family": "ip", "packets": 1, "bytes": 2}}]}""", "not in table")]
    [InlineData("""{"nftables": [{"counter": {"name": "c", "table": "patronus_acct", "family": "inet", "bytes": 2}}]}""", "no unsigned packets")]
    [InlineData("""{"nftables": [{"counter": {"name": "c", "table": "patronus_acct", "family": "inet", "packets": -1, "bytes": 2}}]}""", "no unsigned packets")]
    [InlineData("""{"nftables": [{"counter": {"name": "c", "table": "patronus_acct", "family": "inet", "packets": 1.5, "bytes": 2}}]}""", "no unsigned packets")]
    [InlineData("""{"nftables": [{"counter": {"name": "c", "table": "patronus_acct", "family": "inet", "packets": "1", "bytes": 2}}]}""", "no unsigned packets")]
    [InlineData("""{"nftables": [{"counter": {"name": "c", "table": "patronus_acct", "family": "inet", "packets": 1, "bytes": 18446744073709551616}}]}""", "no unsigned packets")]
    [InlineData("""{"nftables": [{"counter": {"name": "c", "table": "patronus_acct", "family": "inet", "packets": 1, "bytes": 2}}, {"counter": {"name": "c", "table": "patronus_acct", "family": "inet", "packets": 1, "bytes": 2}}]}""", "twice")]
    public void TryParse_Malformed_FalseWithReasonNoCounters(string json, string reason)
    {
        Assert.False(NftCounters.TryParse(json, out var counters, out var error));

        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.Empty(counters);
    }

    [Fact]
    public void TryParse_OneBadCounterAmongGoodOnes_RejectsTheWholeRead()
    {
        var json = Captured.Replace("\"packets\": 6", "\"packets\": null", StringComparison.Ordinal);

        Assert.False(NftCounters.TryParse(json, out var counters, out _));
        Assert.Empty(counters);
    }

    [Fact]
    public void TryParse_RandomMutationsOfTheCapture_NeverThrow()
    {
        var random = new Random(20261201);
        for (var i = 0; i < 5_000; i++)
        {
            var chars = Captured.ToCharArray();
            for (var n = random.Next(1, 6); n > 0; n--)
            {
                chars[random.Next(chars.Length)] = "{}[]\":,0123456789-e. axn"[random.Next(24)];
            }

            var text = random.Next(4) == 0 ? new string(chars, 0, random.Next(chars.Length)) : new string(chars);
            var ok = NftCounters.TryParse(text, out var counters, out var error);
            Assert.True(ok ? error is null : error is not null && counters.Count == 0, text);
        }
    }
}
