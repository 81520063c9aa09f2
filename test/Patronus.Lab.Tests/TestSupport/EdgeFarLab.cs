namespace Patronus.Lab.Tests.TestSupport;

/// <summary>
/// The two-uplink lab: namespace <c>edge</c> (runs serve) and <c>far</c> (runs the STAMP reflector
/// on UDP 862), joined by two veth links, each a /30:
/// <code>
///   edge  wan1 10.240.1.1/30 ──── 10.240.1.2/30 wan1  far   (path p1)
///   edge  wan2 10.240.2.1/30 ──── 10.240.2.2/30 wan2  far   (path p2)
/// </code>
/// The edge gets an empty nftables table <c>inet t</c> (chains <c>out</c>, <c>in</c>) for the tests' drop rules.
/// </summary>
public static class EdgeFarLab
{
    public const string Wan1 = "wan1";
    public const string Wan2 = "wan2";

    /// <summary>Creates the namespaces and links, the filter table, and starts the reflector (waiting until it listens).</summary>
    public static async Task<string> BuildAsync(NetLab lab)
    {
        var edge = await lab.AddNamespaceAsync("edge");
        var far = await lab.AddNamespaceAsync("far");
        await lab.AddVethAsync(edge, Wan1, "10.240.1.1/30", far, Wan1, "10.240.1.2/30");
        await lab.AddVethAsync(edge, Wan2, "10.240.2.1/30", far, Wan2, "10.240.2.2/30");
        await lab.AddFilterTableAsync(edge);
        var reflector = lab.StartPatronus(far, "far reflector", "reflector", "--listen", "0.0.0.0:862");
        await reflector.WaitForOutputAsync("STAMP reflector listening", TimeSpan.FromSeconds(30));
        return edge;
    }

    /// <summary>The edge's config: site, links wan1/wan2 bound to their interfaces, STAMP paths p1/p2; optional <c>Health</c> section.</summary>
    public static object Config(object? health = null) => new
    {
        Sites = new[] { new { Id = "edge" }, new { Id = "far" } },
        Links = new[]
        {
            new { Id = "wan1", Site = "edge", Interface = Wan1, SourceAddress = "10.240.1.1" },
            new { Id = "wan2", Site = "edge", Interface = Wan2, SourceAddress = "10.240.2.1" },
        },
        Paths = new[]
        {
            new { Id = "p1", Link = "wan1", RemoteSite = "far", Probe = "stamp", Targets = new[] { "10.240.1.2:862" } },
            new { Id = "p2", Link = "wan2", RemoteSite = "far", Probe = "stamp", Targets = new[] { "10.240.2.2:862" } },
        },
        Health = health,
    };
}
