namespace Patronus.Engine.Tunnels.Sdwan;

/// <summary>
/// One traffic class of the <c>TrafficClasses</c> list (docs/tunnels.md, "Traffic classes"):
/// which packets it holds, the SLA its path must meet, the paths it prefers, and whether its
/// packets are duplicated. Classes are tried in order and the first that matches takes the
/// packet; a class without <see cref="Match"/> takes every packet that reaches it (the catch-all,
/// e.g. bulk = the rest).
/// </summary>
public sealed class TrafficClassOptions
{
    /// <summary>The class name: 1–32 of letters, digits, <c>_ . -</c> (a metric label). Required, unique.</summary>
    public string Name { get; set; } = "";

    /// <summary>The rules; a packet matching any one is in the class. Default none: every packet.</summary>
    public List<TrafficMatchOptions> Match { get; set; } = [];

    /// <summary>The thresholds a path must meet for this class. Default none: no SLA of its own.</summary>
    public TrafficSlaOptions? Sla { get; set; }

    /// <summary>Path ids (of <c>Paths</c>) in order of preference for this class. Default none: the tunnel's own choice.</summary>
    public List<string> PreferredPaths { get; set; } = [];

    /// <summary><c>off</c> (default), <c>always</c>, or <c>on-sla-breach</c>: send each packet on the two best paths.</summary>
    public string Duplication { get; set; } = "off";

    /// <summary>With <c>on-sla-breach</c>: seconds the active path must meet the SLA before duplication stops, 1–3600. Default 30.</summary>
    public int DuplicationHoldSecs { get; set; } = 30;
}

/// <summary>
/// One rule of a class: every field given must match (an empty field matches anything).
/// </summary>
public sealed class TrafficMatchOptions
{
    /// <summary>DSCP values: 0–63 or a name (<c>EF</c>, <c>AF11</c>–<c>AF43</c>, <c>CS0</c>–<c>CS7</c>, <c>VA</c>, <c>LE</c>). Default any.</summary>
    public List<string> Dscp { get; set; } = [];

    /// <summary>The protocol: <c>tcp</c>, <c>udp</c>, <c>icmp</c>, <c>icmpv6</c>, <c>sctp</c>, <c>gre</c>, <c>esp</c> or a number 0–255. Default any.</summary>
    public string? Protocol { get; set; }

    /// <summary>Ports or ranges (<c>5060</c>, <c>10000-20000</c>): the packet's source or destination port in one. Default any.</summary>
    public List<string> Ports { get; set; } = [];

    /// <summary>Prefixes (ADDR/LEN, IPv4 or IPv6): the packet's source or destination address in one. Default any.</summary>
    public List<string> Prefixes { get; set; } = [];
}

/// <summary>A class's SLA: a path breaching any threshold given breaches it. Each default none (not checked).</summary>
public sealed class TrafficSlaOptions
{
    /// <summary>Highest latency in milliseconds (greater than 0).</summary>
    public double? MaxLatencyMs { get; set; }

    /// <summary>Highest loss in percent (greater than 0, at most 100).</summary>
    public double? MaxLossPercent { get; set; }

    /// <summary>Highest jitter in milliseconds (greater than 0).</summary>
    public double? MaxJitterMs { get; set; }
}
