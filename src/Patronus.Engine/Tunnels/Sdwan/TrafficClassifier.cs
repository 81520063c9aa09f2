namespace Patronus.Engine.Tunnels.Sdwan;

/// <summary>
/// The traffic class of an IP packet (issue 16 item 4), compiled once from the
/// <c>TrafficClasses</c> list and then only read, so any thread classifies without a lock; a new
/// configuration compiles a new classifier. Classes are tried in order, a class's rules in
/// order, first match wins; a packet nothing matches (or that is not a readable IP packet) is in
/// the <see cref="DefaultName"/> class, the last of <see cref="Classes"/>. A rule is a 64-bit DSCP
/// mask, a protocol, port ranges and a prefix trie, so <see cref="Classify(ReadOnlySpan{byte})"/> allocates nothing
/// (<c>TrafficClassifierBenchmarks</c>).
/// </summary>
public sealed class TrafficClassifier
{
    /// <summary>The name of the class of packets that no configured class matches.</summary>
    public const string DefaultName = "default";

    private static readonly object s_inPrefix = new();
    private readonly Rule[] _rules;
    private readonly TrafficClass _default;

    private TrafficClassifier(Rule[] rules, TrafficClass[] classes)
    {
        _rules = rules;
        Classes = classes;
        _default = classes[^1];
    }

    /// <summary>The configured classes in order, then the <see cref="DefaultName"/> class.</summary>
    public IReadOnlyList<TrafficClass> Classes { get; }

    /// <summary>
    /// Compiles <paramref name="classes"/>; throws <see cref="ArgumentException"/> listing the
    /// problems when they do not pass <see cref="TrafficClassRules.Validate"/> (validate first).
    /// </summary>
    public static TrafficClassifier Create(IReadOnlyList<TrafficClassOptions> classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        var failures = TrafficClassRules.Validate(classes);
        if (failures.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", failures), nameof(classes));
        }

        var compiled = new TrafficClass[classes.Count + 1];
        var rules = new List<Rule>();
        for (var c = 0; c < classes.Count; c++)
        {
            var options = classes[c];
            var duplication = TrafficClassRules.TryParseDuplication(options.Duplication, out var mode) ? mode : DuplicationMode.Off;
            var sla = options.Sla is { } s ? new TrafficSla(s.MaxLatencyMs, s.MaxLossPercent, s.MaxJitterMs) : TrafficSla.None;
            var trafficClass = new TrafficClass(options.Name, c, sla, [.. options.PreferredPaths], duplication, TimeSpan.FromSeconds(options.DuplicationHoldSecs));
            compiled[c] = trafficClass;
            if (options.Match.Count == 0)
            {
                rules.Add(new Rule(0, -1, null, null, trafficClass));
            }

            foreach (var match in options.Match)
            {
                rules.Add(Compile(match, trafficClass));
            }
        }

        compiled[^1] = new TrafficClass(DefaultName, classes.Count, TrafficSla.None, [], DuplicationMode.Off, TimeSpan.Zero);
        return new TrafficClassifier([.. rules], compiled);
    }

    /// <summary>The class of <paramref name="packet"/> (an IPv4 or IPv6 packet as the TUN device gives it).</summary>
    public TrafficClass Classify(ReadOnlySpan<byte> packet) => Classify(packet, wantFlow: false, out _);

    /// <summary>
    /// The class of <paramref name="packet"/> and its <paramref name="flow"/>: a 32-bit hash of its
    /// 5-tuple (addresses, protocol, ports; never 0), or 0 when the packet is not readable. The hash
    /// is <see cref="HashCode"/>'s, seeded per process: for counting distinct flows, not for the wire.
    /// </summary>
    public TrafficClass Classify(ReadOnlySpan<byte> packet, out int flow) => Classify(packet, wantFlow: true, out flow);

    private TrafficClass Classify(ReadOnlySpan<byte> packet, bool wantFlow, out int flow)
    {
        flow = 0;
        if (!PacketFields.TryRead(packet, out var fields))
        {
            return _default;
        }

        if (wantFlow)
        {
            var hash = default(HashCode);
            hash.AddBytes(fields.Source);
            hash.AddBytes(fields.Destination);
            hash.Add(fields.Protocol);
            hash.Add(fields.HasPorts ? (fields.SourcePort << 16) | fields.DestinationPort : -1);
            var value = hash.ToHashCode();
            flow = value == 0 ? 1 : value;
        }

        foreach (var rule in _rules)
        {
            if (rule.Matches(fields))
            {
                return rule.Class;
            }
        }

        return _default;
    }

    private static Rule Compile(TrafficMatchOptions match, TrafficClass trafficClass)
    {
        var mask = 0UL;
        foreach (var text in match.Dscp)
        {
            if (TrafficClassRules.TryParseDscp(text, out var dscp))
            {
                mask |= 1UL << dscp;
            }
        }

        var protocol = match.Protocol is not null && TrafficClassRules.TryParseProtocol(match.Protocol, out var p) ? p : -1;
        PortRange[]? ports = null;
        if (match.Ports.Count > 0)
        {
            ports = [.. match.Ports.Select(text => TrafficClassRules.TryParsePorts(text, out var low, out var high) ? new PortRange(low, high) : default)];
        }

        PrefixTrie<object>? prefixes = null;
        foreach (var text in match.Prefixes)
        {
            if (IpPrefix.TryParse(text, out var prefix, out _))
            {
                (prefixes ??= new PrefixTrie<object>()).Add(prefix, s_inPrefix);
            }
        }

        return new Rule(mask, protocol, ports, prefixes, trafficClass);
    }

    private readonly record struct PortRange(ushort Low, ushort High)
    {
        public bool Contains(ushort port) => port >= Low && port <= High;
    }

    /// <summary>One rule: every part that is set must match (mask 0, protocol −1, null: any).</summary>
    private sealed record Rule(ulong DscpMask, int Protocol, PortRange[]? Ports, PrefixTrie<object>? Prefixes, TrafficClass Class)
    {
        public bool Matches(in PacketFields fields)
        {
            if ((DscpMask != 0 && (DscpMask & (1UL << fields.Dscp)) == 0) || (Protocol >= 0 && fields.Protocol != Protocol))
            {
                return false;
            }

            if (Ports is not null)
            {
                if (!fields.HasPorts)
                {
                    return false;
                }

                var any = false;
                foreach (var range in Ports)
                {
                    any |= range.Contains(fields.SourcePort) || range.Contains(fields.DestinationPort);
                }

                if (!any)
                {
                    return false;
                }
            }

            return Prefixes is null || Prefixes.Lookup(fields.Source) is not null || Prefixes.Lookup(fields.Destination) is not null;
        }
    }
}
