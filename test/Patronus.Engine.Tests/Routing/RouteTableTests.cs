using System.Net;
using Patronus.Engine.Routing;

namespace Patronus.Engine.Tests.Routing;

public sealed class RouteTableTests
{
    private static RouteEntry Route(string prefix, string path) =>
        new(IPNetwork.Parse(prefix), "pol", path, "link", IPAddress.Parse("192.0.2.1"), "eth1");

    private static readonly RouteTable s_table = new([
        Route("0.0.0.0/0", "default"),
        Route("10.0.0.0/8", "p8"),
        Route("10.1.0.0/16", "p16"),
        Route("10.1.2.0/24", "p24"),
        Route("10.1.2.3/32", "p32"),
        Route("::/0", "v6default"),
        Route("2001:db8::/32", "v6-32"),
        Route("2001:db8:1::/48", "v6-48"),
    ]);

    [Theory]
    [InlineData("10.1.2.3", "p32")]
    [InlineData("10.1.2.4", "p24")]
    [InlineData("10.1.3.1", "p16")]
    [InlineData("10.2.0.1", "p8")]
    [InlineData("11.0.0.1", "default")]
    [InlineData("255.255.255.255", "default")]
    [InlineData("::ffff:10.1.2.3", "p32")] // IPv4-mapped goes to the IPv4 table
    [InlineData("2001:db8:1::5", "v6-48")]
    [InlineData("2001:db8:2::5", "v6-32")]
    [InlineData("2001:db9::1", "v6default")]
    public void Lookup_LongestPrefixWins(string destination, string path)
    {
        Assert.Equal(path, s_table.Lookup(IPAddress.Parse(destination))?.PathId);
    }

    [Fact]
    public void Lookup_NoCoveringRoute_Null()
    {
        var table = new RouteTable([Route("10.0.0.0/8", "p8")]);

        Assert.Null(table.Lookup(IPAddress.Parse("11.0.0.1")));
        Assert.Null(table.Lookup(IPAddress.Parse("2001:db8::1")));
        Assert.Null(RouteTable.Empty.Lookup(IPAddress.Parse("10.0.0.1")));
    }

    [Fact]
    public void DuplicatePrefix_LastWins()
    {
        var table = new RouteTable([Route("10.0.0.0/8", "first"), Route("10.0.0.0/8", "second")]);

        Assert.Equal(1, table.Count);
        Assert.Equal("second", table.Lookup(IPAddress.Parse("10.9.9.9"))?.PathId);
    }

    [Fact]
    public void Holder_SwapPublishesWholeTables()
    {
        var holder = new RouteTableHolder();
        var first = new RouteTable([Route("10.0.0.0/8", "a")]);
        var second = new RouteTable([Route("10.0.0.0/8", "b"), Route("10.1.0.0/16", "b")]);

        Assert.Same(RouteTable.Empty, holder.Swap(first));
        Assert.Same(first, holder.Swap(second));
        Assert.Same(second, holder.Current);
        Assert.Equal("b", holder.Current.Lookup(IPAddress.Parse("10.200.0.1"))?.PathId);
    }

    [Fact]
    public void Holder_Swap_NotifiesWatchersAfterPublishing()
    {
        var holder = new RouteTableHolder();
        var watch = holder.Changed.Watch();
        var table = new RouteTable([Route("10.0.0.0/8", "a")]);
        Assert.False(watch.Consume());

        holder.Swap(table);

        Assert.True(watch.Consume());
        Assert.Same(table, holder.Current);
        Assert.False(watch.Consume());
    }
}
