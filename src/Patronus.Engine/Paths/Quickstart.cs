namespace Patronus.Engine.Paths;

/// <summary>
/// The topology <c>patronus serve</c> runs when no <c>--config</c> is given: one demo site with two
/// links on the loopback interface, each with a path to a target every machine has. It exists so a
/// newcomer sees live data within seconds; the built-in reflector answers on 127.0.0.1.
/// </summary>
public static class Quickstart
{
    public const string SiteId = "demo";

    /// <summary>
    /// Port of the built-in STAMP reflector the quickstart paths probe. Not 862: that port needs root,
    /// and the quickstart must work for anyone. Configurable as <c>Quickstart:ReflectorPort</c>.
    /// </summary>
    public const int DefaultReflectorPort = 8620;

    public static TopologySnapshot Topology(int reflectorPort = DefaultReflectorPort) => new(
        [new Site(SiteId, "Demo site (quickstart)", "Created because serve ran without --config", ItemSource.Quickstart)],
        [
            new WanLink("demo-wan1", SiteId, "Demo WAN 1 (loopback)", null, "127.0.0.1", null, 10, ItemSource.Quickstart),
            new WanLink("demo-wan2", SiteId, "Demo WAN 2 (loopback)", null, "127.0.0.2", null, 20, ItemSource.Quickstart),
        ],
        [
            new PathDefinition("demo-wan1-loopback", "Demo WAN 1 → loopback reflector", "demo-wan1", null, [$"127.0.0.1:{reflectorPort}"], ItemSource.Quickstart),
            new PathDefinition("demo-wan2-loopback", "Demo WAN 2 → loopback reflector", "demo-wan2", null, [$"127.0.0.1:{reflectorPort}"], ItemSource.Quickstart),
        ]);
}
