using System.Net;
using Patronus.Engine.Paths;

namespace Patronus.Engine.Tests.Paths;

/// <summary>Field rules; <c>TopologyRulesTests.Validate.cs</c> has the whole-topology checks.</summary>
public sealed partial class TopologyRulesTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("site-1")]
    [InlineData("Branch_7.wan-2")]
    [InlineData("9lives")]
    public void CheckId_Valid_Null(string id) => Assert.Null(TopologyRules.CheckId(id));

    [Theory]
    [InlineData(64, true)]
    [InlineData(65, false)]
    public void CheckId_Length_LimitIs64(int length, bool ok)
    {
        var problem = TopologyRules.CheckId(new string('a', length));

        if (ok)
        {
            Assert.Null(problem);
        }
        else
        {
            Assert.Contains("longer than 64", problem, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(null, "is required")]
    [InlineData("", "is required")]
    [InlineData("   ", "is required")]
    [InlineData("-lead", "not a valid id")]
    [InlineData("_lead", "not a valid id")]
    [InlineData(".lead", "not a valid id")]
    [InlineData("has space", "not a valid id")]
    [InlineData("a/b", "not a valid id")]
    [InlineData("a:b", "not a valid id")]
    [InlineData("café", "not a valid id")]
    [InlineData("tab\t", "not a valid id")]
    public void CheckId_Invalid_Problem(string? id, string expected) =>
        Assert.Contains(expected, TopologyRules.CheckId(id), StringComparison.Ordinal);

    [Theory]
    [InlineData(null)]
    [InlineData("eth0")]
    [InlineData("eth0.100")]
    [InlineData("wg-site_1")]
    [InlineData("abcdefghijklmno")] // 15 characters: IFNAMSIZ 16 less the NUL
    public void CheckInterface_Valid_Null(string? name) => Assert.Null(TopologyRules.CheckInterface(name));

    [Theory]
    [InlineData("abcdefghijklmnop")] // 16 characters
    [InlineData("")]
    [InlineData("eth0/1")]
    [InlineData("eth0:1")]
    [InlineData("eth 0")]
    [InlineData("eth\n0")]
    public void CheckInterface_Invalid_ProblemNamesIt(string name) =>
        Assert.Contains($"'{name}'", TopologyRules.CheckInterface(name), StringComparison.Ordinal);

    [Theory]
    [InlineData("10.0.0.1")]
    [InlineData("192.168.255.254")]
    [InlineData("0.0.0.0")]
    [InlineData("2001:db8::1")]
    [InlineData("::1")]
    [InlineData("fe80::1")]
    public void CheckAddress_IpLiteral_ParsedAddress(string address)
    {
        Assert.Null(TopologyRules.CheckAddress(address, out var parsed));
        Assert.Equal(IPAddress.Parse(address), parsed);
    }

    [Fact]
    public void CheckAddress_Null_NoProblem()
    {
        // An optional field left out.
        Assert.Null(TopologyRules.CheckAddress(null, out var parsed));
        Assert.Null(parsed);
    }

    [Theory]
    [InlineData("10.0.0")] // IPAddress.TryParse reads this as 10.0.0.0
    [InlineData("1")] // … and this as 0.0.0.1
    [InlineData("010.0.0.1")] // … and this as octal 8.0.0.1
    [InlineData("10.0.0.01")]
    [InlineData("0x0a000001")]
    [InlineData("10.0.0.256")]
    [InlineData("fe80::1%eth0")] // a scope id names a local interface; use Interface for that
    [InlineData("fe80::1%2")]
    [InlineData("host.example")]
    [InlineData("")]
    [InlineData("[2001:db8::1]")] // IPAddress.TryParse strips brackets …
    [InlineData("[2001:db8::1]:862")] // … and drops a port
    [InlineData("2001:db8::/64")]
    public void CheckAddress_NotCanonicalIp_ProblemAndNoAddress(string address)
    {
        Assert.Equal($"'{address}' is not an IP address", TopologyRules.CheckAddress(address, out var parsed));
        Assert.Null(parsed);
    }

    [Theory]
    [InlineData(-1, false)]
    [InlineData(0, true)]
    [InlineData(10, true)]
    [InlineData(65535, true)]
    [InlineData(65536, false)]
    [InlineData(int.MinValue, false)]
    public void CheckCost_Bounds_ZeroTo65535(int cost, bool ok) =>
        Assert.Equal(ok, TopologyRules.CheckCost(cost) is null);

    [Theory]
    [InlineData("10.0.0.1", "10.0.0.1", 0)]
    [InlineData("10.0.0.1:862", "10.0.0.1", 862)]
    [InlineData("10.0.0.1:65535", "10.0.0.1", 65535)]
    [InlineData("[2001:db8::1]:862", "2001:db8::1", 862)]
    [InlineData("2001:db8::1", "2001:db8::1", 0)]
    public void CheckTarget_IpOrIpAndPort_Endpoint(string target, string address, int port)
    {
        Assert.Null(TopologyRules.CheckTarget(target, out var endpoint));
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), endpoint);
    }

    [Theory]
    [InlineData("10.0.0.1:0")]
    [InlineData("10.0.0.1:99999")]
    [InlineData("10.0.0.1:-1")]
    [InlineData("10.0.0.1:")]
    [InlineData("host.example")]
    [InlineData("host.example:862")]
    [InlineData("010.0.0.1:862")]
    [InlineData("1:862")]
    [InlineData("fe80::1%eth0")]
    [InlineData("[fe80::1%eth0]:862")]
    [InlineData("[2001:db8::1]")] // brackets only with a port
    [InlineData("[2001:db8::1]:0")]
    public void CheckTarget_Invalid_ProblemNamesIt(string target)
    {
        Assert.Contains($"'{target}'", TopologyRules.CheckTarget(target, out var endpoint), StringComparison.Ordinal);
        Assert.Null(endpoint);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void CheckTarget_Empty_IsEmpty(string? target) =>
        Assert.Equal("is empty", TopologyRules.CheckTarget(target, out _));

    [Theory]
    [InlineData(200, true)]
    [InlineData(201, false)]
    public void CheckName_Length_LimitIs200(int length, bool ok) =>
        Assert.Equal(ok, TopologyRules.CheckName(new string('n', length)) is null);
}
