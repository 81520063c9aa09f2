using BenchmarkDotNet.Attributes;
using Patronus.Engine.Tunnels.Sdwan;
using Patronus.Engine.Tunnels.Wire;

namespace Patronus.Bench.Micro;

/// <summary>
/// The per-packet SD-WAN work a tunnel packet between Patronus peers will do (issue 16): classify
/// it (a voice/video/SIP/bulk configuration like docs/tunnels.md's; IPv4 UDP that matches the
/// first class's second rule, IPv6 TCP that falls through to bulk), write and read the data
/// message header, feed the passive estimator, and pass the duplicate filter. Each must
/// allocate nothing.
/// </summary>
[MaxIterationCount(200)]
public class SdwanBenchmarks
{
    private readonly TrafficClassifier _classifier = TrafficClassifier.Create(
    [
        new TrafficClassOptions
        {
            Name = "voice",
            Match = [new TrafficMatchOptions { Dscp = ["EF"] }, new TrafficMatchOptions { Protocol = "udp", Ports = ["10000-20000"] }],
        },
        new TrafficClassOptions { Name = "video", Match = [new TrafficMatchOptions { Dscp = ["AF41"], Prefixes = ["10.9.0.0/16", "fd00:9::/32"] }] },
        new TrafficClassOptions { Name = "sip", Match = [new TrafficMatchOptions { Protocol = "tcp", Ports = ["5060-5061"] }] },
        new TrafficClassOptions { Name = "bulk" },
    ]);

    private readonly byte[] _header = new byte[PatronusDataHeader.MaxSize + 1400];
    private readonly PatronusDataHeader _message = new(PatronusDataFeatures.Echo, 1, 2, 77, 0, 123_456, 1400, 1400, 99_999, 250);
    private byte[] _voice = [];
    private byte[] _bulkV6 = [];
    private PathReceiveEstimator _estimator = null!;
    private DuplicateFilter _filter = null!;
    private PeerClassState _classState = null!;
    private uint _sequence;

    [GlobalSetup]
    public void Setup()
    {
        _voice = new byte[172];
        _voice[0] = 0x45;
        _voice[9] = 17;
        _voice[22] = 0x3e; // destination port 16000
        _voice[23] = 0x80;
        _bulkV6 = new byte[1400];
        _bulkV6[0] = 0x60;
        _bulkV6[6] = 6;
        _bulkV6[40] = 0x01;
        _bulkV6[42] = 0x01;
        _bulkV6[43] = 0xbb;
        _message.TryWrite(_header, out _);
        _estimator = new PathReceiveEstimator(TimeProvider.System);
        _filter = new DuplicateFilter();
        _classState = new PeerClassState(_classifier.Classes, paths: 2);
    }

    [Benchmark]
    public int ClassifyVoiceV4() => _classifier.Classify(_voice).Index;

    [Benchmark]
    public int ClassifyBulkV6() => _classifier.Classify(_bulkV6).Index;

    /// <summary>What the send path does per packet once classes are configured: classify with the 5-tuple's hash, count the flow and the packet on its class and path.</summary>
    [Benchmark]
    public long ClassifyAndCountVoiceV4()
    {
        var trafficClass = _classifier.Classify(_voice, out var flow);
        _classState.CountFlow(trafficClass.Index, flow);
        _classState.CountSent(trafficClass.Index, 1, _voice.Length, primary: true);
        return _classState.Flows(trafficClass.Index);
    }

    [Benchmark]
    public int HeaderTryWrite()
    {
        _message.TryWrite(_header, out var written);
        return written;
    }

    [Benchmark]
    public int HeaderTryRead() => PatronusDataHeader.TryRead(_header, out _, out var payload) ? payload.Length : 0;

    [Benchmark]
    public void EstimatorOnPacket()
    {
        _sequence++;
        _estimator.OnPacket(_sequence, _sequence * 10, _sequence * 100L);
    }

    [Benchmark]
    public bool DuplicateFilterTwoCopies()
    {
        _sequence++;
        return _filter.TryAccept(_sequence) & !_filter.TryAccept(_sequence);
    }
}
