using Microsoft.Extensions.Configuration;
using Patronus.Engine.Tunnels.Sdwan;

namespace Patronus.Engine.Tests.Tunnels.Sdwan;

public class TrafficClassifierTests
{
    // voice = EF, or UDP 10000–20000; video = AF41 to the video servers; bulk = the rest.
    private static readonly TrafficClassifier s_classifier = TrafficClassifier.Create(
    [
        new TrafficClassOptions
        {
            Name = "voice",
            Match =
            [
                new TrafficMatchOptions { Dscp = ["EF"] },
                new TrafficMatchOptions { Protocol = "udp", Ports = ["10000-20000"] },
            ],
        },
        new TrafficClassOptions
        {
            Name = "video",
            Match = [new TrafficMatchOptions { Dscp = ["AF41", "34"], Prefixes = ["10.9.0.0/16", "fd00:9::/32"] }],
        },
        new TrafficClassOptions { Name = "sip", Match = [new TrafficMatchOptions { Protocol = "tcp", Ports = ["5060", "5061"] }] },
        new TrafficClassOptions { Name = "bulk" },
    ]);

    public static TheoryData<string, byte[], string> Packets => new()
    {
        { "EF over TCP", PacketBuilder.V4("10.1.0.5", "10.2.0.9", 6, 40000, 443, dscp: 46), "voice" },
        { "UDP to 16000", PacketBuilder.V4("10.1.0.5", "10.2.0.9", 17, 40000, 16000), "voice" },
        { "UDP from 10000 (the reply)", PacketBuilder.V4("10.2.0.9", "10.1.0.5", 17, 10000, 40000), "voice" },
        { "UDP at the range's top", PacketBuilder.V4("10.1.0.5", "10.2.0.9", 17, 20000, 53), "voice" },
        { "UDP just above it", PacketBuilder.V4("10.1.0.5", "10.2.0.9", 17, 20001, 53), "bulk" },
        { "TCP to 16000: the range is UDP only", PacketBuilder.V4("10.1.0.5", "10.2.0.9", 6, 40000, 16000), "bulk" },
        { "a later fragment of UDP to 16000: ports unknown", PacketBuilder.V4("10.1.0.5", "10.2.0.9", 17, 40000, 16000, fragmentOffset: 1480), "bulk" },
        { "the first fragment of UDP to 16000", PacketBuilder.V4("10.1.0.5", "10.2.0.9", 17, 40000, 16000, moreFragments: true), "voice" },
        { "a later fragment with EF: DSCP needs no ports", PacketBuilder.V4("10.1.0.5", "10.2.0.9", 17, 0, 0, dscp: 46, fragmentOffset: 8), "voice" },
        { "AF41 to a video server", PacketBuilder.V4("10.1.0.5", "10.9.3.3", 6, 40000, 443, dscp: 34), "video" },
        { "AF41 from a video server", PacketBuilder.V4("10.9.3.3", "10.1.0.5", 6, 443, 40000, dscp: 34), "video" },
        { "AF41 elsewhere", PacketBuilder.V4("10.1.0.5", "10.8.3.3", 6, 40000, 443, dscp: 34), "bulk" },
        { "best effort to a video server", PacketBuilder.V4("10.1.0.5", "10.9.3.3", 6, 40000, 443), "bulk" },
        { "IPv6 AF41 to a video server", PacketBuilder.V6("fd00:1::5", "fd00:9::3", 6, 40000, 443, dscp: 34), "video" },
        { "IPv6 UDP to 12000 behind hop-by-hop and a first fragment", PacketBuilder.V6("fd00:1::5", "fd00:2::9", 17, 40000, 12000, extensions: [(0, 8, 0), (44, 8, 0)]), "voice" },
        { "IPv6 ESP", PacketBuilder.V6("fd00:1::5", "fd00:2::9", 50), "bulk" },
        { "SIP over TCP", PacketBuilder.V4("10.1.0.5", "10.2.0.9", 6, 40000, 5061), "sip" },
        { "ICMP", PacketBuilder.V4("10.1.0.5", "10.2.0.9", 1), "bulk" },
    };

    [Theory]
    [MemberData(nameof(Packets))]
    public void Classify_Packet_ReturnsFirstMatchingClass(string why, byte[] packet, string expected) =>
        Assert.True(expected == s_classifier.Classify(packet).Name, $"{why}: got {s_classifier.Classify(packet).Name}, expected {expected}");

    [Fact]
    public void Classify_NoCatchAllAndNoMatch_ReturnsDefaultClass()
    {
        var classifier = TrafficClassifier.Create([new TrafficClassOptions { Name = "voice", Match = [new TrafficMatchOptions { Dscp = ["EF"] }] }]);

        var result = classifier.Classify(PacketBuilder.V4("10.1.0.5", "10.2.0.9", 6, 1, 2));

        Assert.Equal(TrafficClassifier.DefaultName, result.Name);
        Assert.Same(classifier.Classes[^1], result);
        Assert.Equal(1, result.Index);
        Assert.Equal(DuplicationMode.Off, result.Duplication);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x45, 0, 0 })]
    [InlineData(new byte[] { 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })]
    public void Classify_NotAnIpPacket_ReturnsDefaultClass(byte[] packet) =>
        Assert.Equal(TrafficClassifier.DefaultName, s_classifier.Classify(packet).Name);

    [Fact]
    public void Classify_SamePacket_ReturnsSameInstance()
    {
        var packet = PacketBuilder.V4("10.1.0.5", "10.2.0.9", 17, 40000, 16000);

        Assert.Same(s_classifier.Classify(packet), s_classifier.Classify(packet));
        Assert.Equal(["voice", "video", "sip", "bulk", "default"], s_classifier.Classes.Select(c => c.Name));
    }

    [Fact]
    public void Classify_ManyPackets_AllocatesNothing()
    {
        var packets = Packets.Select(row => (byte[])row[1]).ToArray();
        foreach (var packet in packets)
        {
            s_classifier.Classify(packet);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            s_classifier.Classify(packets[i % packets.Length]);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Create_FromConfiguration_CompilesSlaPathsAndDuplication()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TrafficClasses:0:Name"] = "voice",
            ["TrafficClasses:0:Match:0:Dscp:0"] = "EF",
            ["TrafficClasses:0:Match:1:Protocol"] = "udp",
            ["TrafficClasses:0:Match:1:Ports:0"] = "10000-20000",
            ["TrafficClasses:0:Sla:MaxLatencyMs"] = "150",
            ["TrafficClasses:0:Sla:MaxLossPercent"] = "1",
            ["TrafficClasses:0:Sla:MaxJitterMs"] = "30",
            ["TrafficClasses:0:PreferredPaths:0"] = "a-b-1",
            ["TrafficClasses:0:PreferredPaths:1"] = "a-b-2",
            ["TrafficClasses:0:Duplication"] = "on-sla-breach",
            ["TrafficClasses:0:DuplicationHoldSecs"] = "20",
            ["TrafficClasses:1:Name"] = "bulk",
        }).Build();
        var options = config.GetSection(TrafficClassRules.Section).Get<List<TrafficClassOptions>>()!;

        Assert.Empty(TrafficClassRules.Validate(options));
        var voice = TrafficClassifier.Create(options).Classes[0];

        Assert.Equal(new TrafficSla(150, 1, 30), voice.Sla);
        Assert.Equal(["a-b-1", "a-b-2"], voice.PreferredPaths);
        Assert.Equal(DuplicationMode.OnSlaBreach, voice.Duplication);
        Assert.Equal(TimeSpan.FromSeconds(20), voice.DuplicationHold);
    }

    [Fact]
    public void Create_InvalidClasses_ThrowsNamingTheKey()
    {
        var error = Assert.Throws<ArgumentException>(() => TrafficClassifier.Create([new TrafficClassOptions { Name = "x", Match = [new TrafficMatchOptions { Dscp = ["64"] }] }]));

        Assert.Contains("TrafficClasses:0:Match:0:Dscp:0", error.Message, StringComparison.Ordinal);
    }
}
