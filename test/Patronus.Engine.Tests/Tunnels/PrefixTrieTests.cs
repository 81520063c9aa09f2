using System.Net;
using Patronus.Engine.Tunnels;

namespace Patronus.Engine.Tests.Tunnels;

public class PrefixTrieTests
{
    // Prefix → value; lookups → the expected value (null: no match). Overlaps at several lengths, both families.
    private static readonly (string Prefix, string Value)[] s_table =
    [
        ("10.0.0.0/8", "wide"),
        ("10.1.0.0/16", "mid"),
        ("10.1.2.0/24", "narrow"),
        ("10.1.2.3/32", "host"),
        ("192.168.0.0/16", "lan"),
        ("2001:db8::/32", "v6-wide"),
        ("2001:db8:1::/48", "v6-narrow"),
        ("2001:db8:1::1/128", "v6-host"),
    ];

    [Theory]
    [InlineData("10.9.9.9", "wide")]
    [InlineData("10.1.9.9", "mid")]
    [InlineData("10.1.2.9", "narrow")]
    [InlineData("10.1.2.3", "host")]
    [InlineData("10.1.2.4", "narrow")]
    [InlineData("11.0.0.1", null)]
    [InlineData("192.168.255.255", "lan")]
    [InlineData("192.169.0.0", null)]
    [InlineData("2001:db8:ffff::1", "v6-wide")]
    [InlineData("2001:db8:1:2::3", "v6-narrow")]
    [InlineData("2001:db8:1::1", "v6-host")]
    [InlineData("2001:db9::1", null)]
    [InlineData("::ffff:10.1.2.3", null)] // an IPv4-mapped IPv6 address is IPv6 here
    public void Lookup_OverlappingPrefixes_LongestMatchWins(string address, string? expected)
    {
        var trie = Build(s_table);

        Assert.Equal(expected, trie.Lookup(IPAddress.Parse(address).GetAddressBytes()));
    }

    [Fact]
    public void Lookup_DefaultRoutes_MatchEverythingOfTheirFamilyOnly()
    {
        var trie = Build([("0.0.0.0/0", "v4-default"), ("10.0.0.0/8", "ten"), ("::/0", "v6-default")]);

        Assert.Equal("v4-default", trie.Lookup(IPAddress.Parse("8.8.8.8").GetAddressBytes()));
        Assert.Equal("ten", trie.Lookup(IPAddress.Parse("10.0.0.1").GetAddressBytes()));
        Assert.Equal("v6-default", trie.Lookup(IPAddress.Parse("2001:db8::1").GetAddressBytes()));
    }

    [Fact]
    public void Add_SamePrefixTwice_LaterValueWins()
    {
        var trie = Build([("10.0.0.0/24", "first"), ("10.0.0.0/24", "second")]);

        Assert.Equal("second", trie.Lookup(IPAddress.Parse("10.0.0.7").GetAddressBytes()));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(15)]
    public void Lookup_AddressOfOtherLength_ReturnsNull(int length)
    {
        var trie = Build([("0.0.0.0/0", "v4"), ("::/0", "v6")]);

        Assert.Null(trie.Lookup(new byte[length]));
    }

    private static PrefixTrie<string> Build(IEnumerable<(string Prefix, string Value)> table)
    {
        var trie = new PrefixTrie<string>();
        foreach (var (prefix, value) in table)
        {
            Assert.True(IpPrefix.TryParse(prefix, out var parsed, out var error), error);
            trie.Add(parsed, value);
        }

        return trie;
    }
}
