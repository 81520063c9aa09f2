using System.Text;
using Patronus.Engine.Cluster;
using Patronus.Engine.Health;

namespace Patronus.Engine.Tests.Cluster;

public sealed class ClusterMessageCodecTests
{
    private static readonly DateTimeOffset s_checked = DateTimeOffset.FromUnixTimeMilliseconds(1_733_380_000_123);

    private static PathHealthSnapshot Snapshot(string id, string reason = "ok") =>
        new(id, 12.5, 0, 1.25, 98.5, PathStatus.Up, s_checked, 2, 2, 1, reason);

    [Fact]
    public void EncodeHealth_OneSnapshot_GoldenPayload()
    {
        var payload = Assert.Single(ClusterMessageCodec.EncodeHealth("ctl1", 3, [Snapshot("p1")]));

        Assert.Equal("""{"v":1,"k":"h","n":"ctl1","t":3,"s":[["p1",12.5,0,1.25,98.5,0,1733380000123,2,2,1,"ok"]]}""", payload);
    }

    [Theory]
    [InlineData(ClusterMessageKind.FailoverWritten, """{"v":1,"k":"f","n":"ctl1","t":7}""")]
    [InlineData(ClusterMessageKind.Resync, """{"v":1,"k":"r","n":"ctl1","t":7}""")]
    [InlineData(ClusterMessageKind.ConfigChanged, """{"v":1,"k":"c","n":"ctl1","t":7}""")]
    public void EncodeSignal_GoldenPayload_DecodesBack(ClusterMessageKind kind, string golden)
    {
        Assert.Equal(golden, ClusterMessageCodec.EncodeSignal(kind, "ctl1", 7));

        Assert.True(ClusterMessageCodec.TryDecode(golden, out var message));
        Assert.Equal((kind, "ctl1", 7L, 0), (message.Kind, message.NodeId, message.Term, message.Health.Count));
    }

    [Fact]
    public void EncodeHoldDowns_GoldenPayload_RoundTrip_ManySplitUnderTheLimit()
    {
        var pending = new PolicyHoldDown(7, s_checked, null);
        var held = new PolicyHoldDown(8, null, s_checked.AddMinutes(1));

        var payload = Assert.Single(ClusterMessageCodec.EncodeHoldDowns("ctl1", 3, [pending, held]));

        Assert.Equal("""{"v":1,"k":"p","n":"ctl1","t":3,"p":[[7,1733380000123,null],[8,null,1733380060123]]}""", payload);
        Assert.True(ClusterMessageCodec.TryDecode(payload, out var message));
        Assert.Equal((ClusterMessageKind.HoldDowns, "ctl1", 3L, 0), (message.Kind, message.NodeId, message.Term, message.Health.Count));
        Assert.Equal([pending, held], message.HoldDowns!);

        var many = Enumerable.Range(0, 1_000).Select(i => new PolicyHoldDown(i, s_checked, s_checked)).ToList();
        var payloads = ClusterMessageCodec.EncodeHoldDowns("ctl1", 3, many);
        Assert.True(payloads.Count > 1);
        Assert.All(payloads, p => Assert.InRange(Encoding.UTF8.GetByteCount(p), 1, ClusterMessageCodec.MaxPayloadBytes));
        Assert.Equal(many, payloads.SelectMany(p => ClusterMessageCodec.TryDecode(p, out var m) ? m.HoldDowns! : throw new InvalidOperationException(p)));
        Assert.Empty(ClusterMessageCodec.EncodeHoldDowns("ctl1", 3, []));
    }

    [Fact]
    public void EncodeHealth_RoundTrip_EveryFieldKept_NullLastCheckedKept()
    {
        var unknown = PathHealthSnapshot.Unknown("p2", 3, 2);
        var down = new PathHealthSnapshot("p\"3é", 0.001, 100, 0, 0, PathStatus.Down, s_checked, 0, 3, 2, "loss 100.0 % > 5 %");

        Assert.True(ClusterMessageCodec.TryDecode(Assert.Single(ClusterMessageCodec.EncodeHealth("n", 2, [Snapshot("p1"), unknown, down])), out var message));

        Assert.Equal((ClusterMessageKind.Health, "n", 2L), (message.Kind, message.NodeId, message.Term));
        Assert.Equal([Snapshot("p1"), unknown, down], message.Health);
    }

    [Fact]
    public void EncodeHealth_PassiveLoss_GoldenPayload_RoundTrip()
    {
        var passive = Snapshot("p1") with { PacketLossPct = 20, ActiveLossPct = 0, LossSource = LossSource.Passive, Passive = new PathPassiveLoss(20, 1_000, 800) };
        var measuredOnly = Snapshot("p2") with { Passive = new PathPassiveLoss(0.5, 400, 398) };

        var payload = Assert.Single(ClusterMessageCodec.EncodeHealth("ctl1", 3, [passive, measuredOnly, Snapshot("p3")]));

        Assert.Equal("""{"v":1,"k":"h","n":"ctl1","t":3,"s":[["p1",12.5,20,1.25,98.5,0,1733380000123,2,2,1,"ok",1,0,[20,1000,800]],""" +
            """["p2",12.5,0,1.25,98.5,0,1733380000123,2,2,1,"ok",0,0,[0.5,400,398]],["p3",12.5,0,1.25,98.5,0,1733380000123,2,2,1,"ok"]]}""", payload);
        Assert.True(ClusterMessageCodec.TryDecode(payload, out var message));
        Assert.Equal([passive, measuredOnly, Snapshot("p3")], message.Health);
        Assert.Equal((LossSource.Passive, 0.0), (message.Health[0].LossSource, message.Health[0].ActiveLossPct));
    }

    [Fact]
    public void EncodeHealth_ManySnapshots_SplitUnderTheLimit_AllInOrder()
    {
        var snapshots = Enumerable.Range(0, 2_000).Select(i => Snapshot($"path-{i:D5}", new string('r', 120))).ToList();

        var payloads = ClusterMessageCodec.EncodeHealth("ctl1", 9, snapshots);

        Assert.True(payloads.Count > 1);
        Assert.All(payloads, p => Assert.InRange(Encoding.UTF8.GetByteCount(p), 1, ClusterMessageCodec.MaxPayloadBytes));
        var decoded = payloads.SelectMany(p =>
        {
            Assert.True(ClusterMessageCodec.TryDecode(p, out var m));
            Assert.Equal(9, m.Term);
            return m.Health;
        }).ToList();
        Assert.Equal(snapshots, decoded);
    }

    [Fact]
    public void EncodeHealth_LongReason_Cut_NoSnapshots_NoPayload()
    {
        var payload = Assert.Single(ClusterMessageCodec.EncodeHealth("n", 1, [Snapshot("p1", new string('x', 5_000))]));

        Assert.True(ClusterMessageCodec.TryDecode(payload, out var message));
        Assert.Equal(ClusterMessageCodec.MaxReasonChars, message.Health[0].Reason.Length);
        Assert.Empty(ClusterMessageCodec.EncodeHealth("n", 1, []));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("""{"v":2,"k":"f","n":"a","t":1}""")]
    [InlineData("""{"v":1,"k":"x","n":"a","t":1}""")]
    [InlineData("""{"v":1,"k":"f","n":"","t":1}""")]
    [InlineData("""{"v":1,"k":"f","n":"a","t":-1}""")]
    [InlineData("""{"v":1,"k":"h","n":"a","t":1}""")]
    [InlineData("""{"v":1,"k":"h","n":"a","t":1,"s":[["p1",1,0,0,100,7,null,1,1,1,"ok"]]}""")]
    [InlineData("""{"v":1,"k":"h","n":"a","t":1,"s":[["p1",1,0,0,100,0,"x",1,1,1,"ok"]]}""")]
    [InlineData("""{"v":1,"k":"h","n":"a","t":1,"s":[["p1",1,0,0,100,0,null,1,1,1]]}""")]
    [InlineData("""{"v":1,"k":"h","n":"a","t":1,"s":[["p1",1,0,0,100,0,null,1,1,1,"ok",2,0,null]]}""")]
    [InlineData("""{"v":1,"k":"h","n":"a","t":1,"s":[["p1",1,0,0,100,0,null,1,1,1,"ok",1,"x",null]]}""")]
    [InlineData("""{"v":1,"k":"h","n":"a","t":1,"s":[["p1",1,0,0,100,0,null,1,1,1,"ok",1,0,[1,2]]]}""")]
    [InlineData("""{"v":1,"k":"h","n":"a","t":1,"s":[["p1",1,0,0,100,0,null,1,1,1,"ok",1,0,[1,-2,0]]]}""")]
    [InlineData("""{"v":1,"k":"h","n":"a","t":1,"s":[["p1",1,0,0,100,0,null,1,1,1,"ok",1,0,"x"]]}""")]
    [InlineData("""{"v":1,"k":"h","n":"a","t":1,"s":[["p1",1,0,0,100,0,null,1,1,1,"ok",1,0]]}""")]
    [InlineData("""{"v":1,"k":"p","n":"a","t":1}""")]
    [InlineData("""{"v":1,"k":"p","n":"a","t":1,"p":[[7,null]]}""")]
    [InlineData("""{"v":1,"k":"p","n":"a","t":1,"p":[[-7,null,null]]}""")]
    [InlineData("""{"v":1,"k":"p","n":"a","t":1,"p":[[7,"x",null]]}""")]
    [InlineData("""{"v":1,"k":"p","n":"a","t":1,"p":[[7,null,-1]]}""")]
    [InlineData("""{"v":1,"k":"p","n":"a","t":1,"p":[[7,null,1e300]]}""")]
    public void TryDecode_Malformed_False(string? payload) => Assert.False(ClusterMessageCodec.TryDecode(payload, out _));

    [Fact]
    public void TryDecode_RandomMutations_NeverThrow()
    {
        var payload = Encoding.UTF8.GetBytes(Assert.Single(ClusterMessageCodec.EncodeHealth("ctl1", 3, [Snapshot("p1"), PathHealthSnapshot.Unknown("p2", 1, 1)])));
        var random = new Random(18);
        for (var i = 0; i < 5_000; i++)
        {
            var mutated = (byte[])payload.Clone();
            for (var j = random.Next(1, 4); j > 0; j--)
            {
                mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            }

            var text = Encoding.UTF8.GetString(mutated, 0, random.Next(1, mutated.Length + 1));
            if (ClusterMessageCodec.TryDecode(text, out var message))
            {
                Assert.NotNull(message.NodeId);
            }
        }
    }
}
