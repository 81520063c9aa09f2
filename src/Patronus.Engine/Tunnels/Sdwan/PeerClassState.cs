namespace Patronus.Engine.Tunnels.Sdwan;

/// <summary>
/// What a tunnel keeps per traffic class for one peer (issue 16): octets and packets sent and
/// received per class and path, the path the class's last packet left on, and whether its
/// packets are duplicated now (<c>on-sla-breach</c>). The counters are flat arrays indexed by
/// class index × (paths + 1) + path number (0: the plain endpoint), written under the peer's
/// lock by the send and receive paths, so counting a packet allocates nothing and takes no
/// atomic; the duplication states belong to the steering loop, which publishes the on/off flag
/// that the send path reads with <see cref="Volatile"/>.
/// </summary>
public sealed class PeerClassState
{
    // Flows: a 4-way set-associative recent-set of 5-tuple hashes per class (64 sets × 4 ways =
    // 256 flows, 1 KB a class), round-robin replacement within a set. A flow counts when its hash
    // is not in its set; one that was pushed out (more than ~256 flows of the class at once, or
    // five in one set) counts again when it returns: an upper bound under churn, exact below it.
    private const int FlowSets = 64;
    private const int FlowWays = 4;

    private readonly int _slots;
    private readonly int[] _flowKeys;
    private readonly byte[] _flowNext;
    private readonly long[] _flows;
    private readonly long[] _sentBytes;
    private readonly long[] _sentPackets;
    private readonly long[] _receivedBytes;
    private readonly long[] _receivedPackets;
    private readonly byte[] _lastPath;
    private readonly bool[] _sent;
    private readonly bool[] _duplicating;
    private readonly DuplicationState[] _duplication;

    /// <summary>State for <paramref name="classes"/> (the classifier's, the default class last) over <paramref name="paths"/> per-path endpoints.</summary>
    public PeerClassState(IReadOnlyList<TrafficClass> classes, int paths)
    {
        ArgumentNullException.ThrowIfNull(classes);
        ArgumentOutOfRangeException.ThrowIfNegative(paths);
        Classes = classes;
        _slots = Math.Min(paths, byte.MaxValue - 1) + 1;
        var size = classes.Count * _slots;
        _sentBytes = new long[size];
        _sentPackets = new long[size];
        _receivedBytes = new long[size];
        _receivedPackets = new long[size];
        _lastPath = new byte[classes.Count];
        _sent = new bool[classes.Count];
        _duplicating = new bool[classes.Count];
        _duplication = new DuplicationState[classes.Count];
        _flowKeys = new int[classes.Count * FlowSets * FlowWays];
        _flowNext = new byte[classes.Count * FlowSets];
        _flows = new long[classes.Count];
    }

    /// <summary>The classes, by index.</summary>
    public IReadOnlyList<TrafficClass> Classes { get; }

    /// <summary>Counts a packet of class <paramref name="classIndex"/> (<paramref name="bytes"/> octets of IP packet) sent on path number <paramref name="pathNumber"/>; <paramref name="primary"/>: not a duplicate's second copy. Caller holds the peer's lock.</summary>
    public void CountSent(int classIndex, byte pathNumber, int bytes, bool primary)
    {
        var i = Slot(classIndex, pathNumber);
        _sentBytes[i] += bytes;
        _sentPackets[i]++;
        if (primary)
        {
            _lastPath[classIndex] = pathNumber;
            _sent[classIndex] = true;
        }
    }

    /// <summary>
    /// Counts the flow of a packet of class <paramref name="classIndex"/> sent (<paramref name="flow"/>:
    /// <see cref="TrafficClassifier.Classify(ReadOnlySpan{byte}, out int)"/>'s hash; 0 is none) when
    /// it is not in the class's recent-set. Four compares, no allocation. Caller holds the peer's lock.
    /// </summary>
    public void CountFlow(int classIndex, int flow)
    {
        if (flow == 0)
        {
            return;
        }

        var set = (classIndex * FlowSets) + (flow & (FlowSets - 1));
        var ways = _flowKeys.AsSpan(set * FlowWays, FlowWays);
        if (ways.Contains(flow))
        {
            return;
        }

        ways[_flowNext[set]] = flow;
        _flowNext[set] = (byte)((_flowNext[set] + 1) % FlowWays);
        _flows[classIndex]++;
    }

    /// <summary>Flows of class <paramref name="classIndex"/> sent so far (see <see cref="CountFlow"/>). Caller holds the peer's lock.</summary>
    public long Flows(int classIndex) => _flows[classIndex];

    /// <summary>Counts a packet of class <paramref name="classIndex"/> received through our path number <paramref name="pathNumber"/>. Caller holds the peer's lock.</summary>
    public void CountReceived(int classIndex, byte pathNumber, int bytes)
    {
        var i = Slot(classIndex, pathNumber);
        _receivedBytes[i] += bytes;
        _receivedPackets[i]++;
    }

    /// <summary>The path number the class's last packet left on (its active path), or null before its first.</summary>
    public byte? LastPath(int classIndex) => Volatile.Read(ref _sent[classIndex]) ? Volatile.Read(ref _lastPath[classIndex]) : null;

    /// <summary>Whether packets of the class are duplicated now by <c>on-sla-breach</c> (read per packet).</summary>
    public bool Duplicating(int classIndex) => Volatile.Read(ref _duplicating[classIndex]);

    /// <summary>Traffic of class <paramref name="classIndex"/> on path number <paramref name="pathNumber"/>: sent octets, sent packets, received octets, received packets. Caller holds the peer's lock.</summary>
    public (long SentBytes, long SentPackets, long ReceivedBytes, long ReceivedPackets) Traffic(int classIndex, byte pathNumber)
    {
        var i = Slot(classIndex, pathNumber);
        return (_sentBytes[i], _sentPackets[i], _receivedBytes[i], _receivedPackets[i]);
    }

    /// <summary>
    /// Evaluates <c>on-sla-breach</c> duplication of every class that has it at <paramref name="now"/>
    /// (<see cref="DuplicationDecision"/>): <paramref name="breached"/> tells, for a class index,
    /// whether its active path breaches the class's SLA now. Called by the one steering loop on
    /// every rebuild. Returns the earliest timestamp at which a running hold ends (the loop must
    /// evaluate again then, health change or not), or null; <paramref name="changes"/> gets each
    /// class whose duplication turned on or off.
    /// </summary>
    public long? EvaluateDuplication(Func<TrafficClass, bool> breached, long now, long frequency, List<(TrafficClass Class, bool Active)>? changes = null)
    {
        ArgumentNullException.ThrowIfNull(breached);
        long? due = null;
        foreach (var trafficClass in Classes)
        {
            if (trafficClass.Duplication != DuplicationMode.OnSlaBreach)
            {
                continue;
            }

            var i = trafficClass.Index;
            var before = _duplication[i];
            var after = DuplicationDecision.Next(trafficClass.Duplication, before, breached(trafficClass), trafficClass.DuplicationHold, now, frequency);
            _duplication[i] = after;
            if (after.Active != before.Active)
            {
                Volatile.Write(ref _duplicating[i], after.Active);
                changes?.Add((trafficClass, after.Active));
            }

            if (after is { Active: true, CleanSince: { } since })
            {
                var end = since + (long)Math.Ceiling(trafficClass.DuplicationHold.TotalSeconds * frequency);
                due = due is { } d && d < end ? d : end;
            }
        }

        return due;
    }

    private int Slot(int classIndex, byte pathNumber) => (classIndex * _slots) + (pathNumber < _slots ? pathNumber : 0);
}
