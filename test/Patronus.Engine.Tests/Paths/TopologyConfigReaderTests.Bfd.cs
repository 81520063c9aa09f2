using Patronus.Engine.Bfd;

namespace Patronus.Engine.Tests.Paths;

public sealed partial class TopologyConfigReaderTests
{
    [Fact]
    public void Read_BfdBlock_AllFieldsRead()
    {
        var (topology, errors) = ReadValidWith(
            ("Paths:0:Bfd:Peer", "198.51.100.1"),
            ("Paths:0:Bfd:Multihop", "true"),
            ("Paths:0:Bfd:DesiredMinTxMs", "50"),
            ("Paths:0:Bfd:RequiredMinRxMs", "60"),
            ("Paths:0:Bfd:DetectMultiplier", "4"),
            ("Paths:0:Bfd:Passive", "true"),
            ("Paths:0:Bfd:MinTtl", "250"),
            ("Paths:0:Bfd:Auth:Type", "meticulous-keyed-sha1"),
            ("Paths:0:Bfd:Auth:KeyId", "7"),
            ("Paths:0:Bfd:Auth:Secret", "s3cret"),
            ("Paths:0:Bfd:AdminDown", "true"));

        Assert.Empty(errors);
        Assert.Equal(
            new BfdPathSettings("198.51.100.1", true, 50, 60, 4, true, 250, new BfdAuthSettings(BfdAuthMode.MeticulousKeyedSha1, 7, "s3cret"), true),
            topology!.PathsById["fibre-dc"].Bfd);
        Assert.Null(topology.PathsById["lte-dc"].Bfd);
    }

    [Fact]
    public void Read_BfdPeerOnly_DefaultsAre300msTimes3()
    {
        var (topology, errors) = ReadValidWith(("Paths:0:Bfd:Peer", "198.51.100.1"));

        Assert.Empty(errors);
        Assert.Equal(new BfdPathSettings("198.51.100.1", false, 300, 300, 3, false, 254, null, false), topology!.PathsById["fibre-dc"].Bfd);
    }

    [Theory]
    [InlineData("Paths:0:Bfd:Peer", "not-an-ip", "Paths:0:Bfd:Peer", "not an IP address")]
    [InlineData("Paths:0:Bfd:Peer", "2001:db8::1", "Paths:0:Bfd:Peer", "same address family")]
    [InlineData("Paths:0:Bfd:DesiredMinTxMs", "5", "Paths:0:Bfd:DesiredMinTxMs", "out of range (10–60000)")]
    [InlineData("Paths:0:Bfd:RequiredMinRxMs", "60001", "Paths:0:Bfd:RequiredMinRxMs", "out of range")]
    [InlineData("Paths:0:Bfd:DetectMultiplier", "0", "Paths:0:Bfd:DetectMultiplier", "out of range (1–255)")]
    [InlineData("Paths:0:Bfd:DetectMultiplier", "three", "Paths:0:Bfd:DetectMultiplier", "not a whole number")]
    [InlineData("Paths:0:Bfd:Multihop", "yes", "Paths:0:Bfd:Multihop", "not true or false")]
    [InlineData("Paths:0:Bfd:Timer", "50", "Paths:0:Bfd:Timer", "unknown key")]
    [InlineData("Paths:0:Bfd:Auth:Type", "sha256", "Paths:0:Bfd:Auth:Type", "not an authentication type")]
    [InlineData("Paths:0:Bfd:Auth:KeyId", "256", "Paths:0:Bfd:Auth:KeyId", "out of range (0–255)")]
    [InlineData("Paths:0:Bfd:Auth:Secret", "seventeen-bytes!!", "Paths:0:Bfd:Auth:Secret", "17 bytes long; keyed-md5 takes 1 to 16")]
    public void Read_BadBfdField_NamedInTheError(string key, string value, string errorKey, string message)
    {
        var result = ReadValidWith(
            ("Paths:0:Bfd:Peer", "198.51.100.1"),
            ("Paths:0:Bfd:Auth:Type", "keyed-md5"),
            ("Paths:0:Bfd:Auth:Secret", "pw"),
            (key, value));

        var error = SingleError(result, errorKey);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("seventeen", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_BfdOnLinkWithoutSourceAddress_Refused()
    {
        var error = SingleError(ReadValidWith(("Paths:1:Bfd:Peer", "198.51.100.1")), "Paths:1:Bfd:Peer");

        Assert.Contains("no source address", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BfdAuthSettings_ToString_HidesTheSecret()
    {
        Assert.DoesNotContain("hunter2", new BfdAuthSettings(BfdAuthMode.KeyedSha1, 1, "hunter2").ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", new BfdPathSettings("10.0.0.1", Auth: new BfdAuthSettings(BfdAuthMode.KeyedSha1, 1, "hunter2")).ToString(), StringComparison.Ordinal);
    }
}
