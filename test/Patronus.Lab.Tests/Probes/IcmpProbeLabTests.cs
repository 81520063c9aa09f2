using System.Globalization;
using Patronus.Lab.Tests.TestSupport;

namespace Patronus.Lab.Tests.Probes;

/// <summary>ICMP echo probes to a host that runs no Patronus: the far kernel answers.</summary>
public sealed class IcmpProbeLabTests(ITestOutputHelper output)
{
    [LabFact]
    public async Task IcmpPathToPlainHost_UpWithMeasuredLatency()
    {
        await using var lab = NetLab.Create(output);
        var edgeNs = await lab.AddNamespaceAsync("edge");
        var hostNs = await lab.AddNamespaceAsync("host");
        await lab.AddVethAsync(edgeNs, "wan3", "10.240.3.1/30", hostNs, "wan3", "10.240.3.2/30");
        await lab.AddFilterTableAsync(edgeNs);
        // Proof that the echoes really leave through wan3 (and not, say, a STAMP fallback).
        await lab.NftAsync(edgeNs, """add rule inet t out oifname "wan3" icmp type echo-request counter""");

        var config = new
        {
            Sites = new[] { new { Id = "edge" } },
            Links = new[] { new { Id = "wan3", Site = "edge", Interface = "wan3", SourceAddress = "10.240.3.1" } },
            Paths = new[] { new { Id = "p3", Link = "wan3", Probe = "icmp", Targets = new[] { "10.240.3.2" } } },
        };
        var edge = await PatronusEdge.StartAsync(lab, edgeNs, config);
        var metrics = await edge.WaitForAsync(HealthJson.MetricsPath, m => HealthJson.Status(m, "p3") == "up",
            edge.LeftOf(TimeSpan.FromSeconds(10)), "p3 (ICMP) up within 10 s of starting serve");

        var latency = HealthJson.Number(metrics, "p3", "latency_ms");
        var echoes = (await lab.NftCountersAsync(edgeNs, "out"))[0];
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"p3 up {edge.Uptime.TotalSeconds:0.00} s after starting serve: latency {latency} ms; {echoes} echo requests out of wan3"));
        Assert.True(latency > 0, $"latency must be measured, not 0: {metrics}");
        Assert.True(echoes > 0, $"no ICMP echo request left wan3\n{edge.Diagnostics()}");
        Assert.DoesNotContain("probe with STAMP", edge.Process.Stdout, StringComparison.Ordinal);
    }
}
