using System.Text.Json.Nodes;
using Patronus.Server.Commands;

namespace Patronus.Server.Tests.Commands;

public sealed class CommandInputTests
{
    /// <summary>RFC 7396 Appendix A, every example whose target and result are objects (an update's always are).</summary>
    [Theory]
    [InlineData("""{"a":"b"}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"b":"c"}""", """{"a":"b","b":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"a":null}""", """{}""")]
    [InlineData("""{"a":"b","b":"c"}""", """{"a":null}""", """{"b":"c"}""")]
    [InlineData("""{"a":["b"]}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"c"}""", """{"a":["b"]}""", """{"a":["b"]}""")]
    [InlineData("""{"a":{"b":"c"}}""", """{"a":{"b":"d","c":null}}""", """{"a":{"b":"d"}}""")]
    [InlineData("""{"a":[{"b":"c"}]}""", """{"a":[1]}""", """{"a":[1]}""")]
    [InlineData("""{"e":null}""", """{"a":1}""", """{"e":null,"a":1}""")]
    [InlineData("""{}""", """{"a":{"bb":{"ccc":null}}}""", """{"a":{"bb":{}}}""")]
    [InlineData("""{"a":"foo"}""", """{"a":{"b":null}}""", """{"a":{}}""")]
    public void MergePatch_Rfc7396Examples(string target, string patch, string expected)
    {
        var targetJson = JsonNode.Parse(target)!.AsObject();

        var merged = CommandInput.MergePatch(targetJson, JsonNode.Parse(patch)!.AsObject());

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), merged), $"got {merged.ToJsonString()}");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(target), targetJson), "the target is not changed");
    }

    [Fact]
    public void Update_OfAPath_WrittenBackAndPatched_KeepsWhatThePatchDoesNotName()
    {
        var current = new PathInput
        {
            Id = "p",
            LinkId = "l",
            Targets = ["10.0.0.1"],
            Quorum = 1,
            Probe = "icmp",
            Bfd = new BfdInput { Peer = "10.0.0.1", DetectMultiplier = 5, Auth = new BfdAuthInput { Type = "keyed-sha1", KeyId = 2 } },
        };

        var merged = CommandInput.Read<PathInput>(CommandInput.MergePatch(CommandInput.Write(current), JsonNode.Parse("""{"bfd":{"passive":true}}""")!.AsObject()));

        var path = Assert.IsType<PathInput>(merged.Value);
        Assert.Equal(("icmp", "10.0.0.1", 5, true, "keyed-sha1", 2), (path.Probe, path.Bfd!.Peer, path.Bfd.DetectMultiplier, path.Bfd.Passive, path.Bfd.Auth!.Type, path.Bfd.Auth.KeyId));
        Assert.Null(path.Bfd.Auth.Secret); // the current secret is kept by the save, never written out
    }

    [Theory]
    [InlineData("""{"targets":"10.0.0.1"}""", "targets")]
    [InlineData("""{"bfd":{"peerr":"x"}}""", "bfd.peerr")]
    [InlineData("""{"quorum":"2"}""", "quorum")]
    public void Read_BadInput_ErrorNamesTheField(string json, string field)
    {
        var result = CommandInput.Read<PathInput>(JsonNode.Parse(json)!.AsObject());

        Assert.Equal(CommandErrorKind.Invalid, result.Error!.Kind);
        Assert.Equal([field], result.Error.Fields!.Keys);
    }
}
