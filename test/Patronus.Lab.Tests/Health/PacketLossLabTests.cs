using System.Globalization;
using Patronus.Lab.Tests.TestSupport;
using Patronus.TestSupport;

namespace Patronus.Lab.Tests.Health;

/// <summary>Measured loss against a known random drop made by nftables.</summary>
public sealed class PacketLossLabTests(ITestOutputHelper output)
{
    /// <summary>
    /// The window the assertion reads: the last 500 probes. Binomial at p = 0.1: σ = √(500·0.1·0.9)
    /// ≈ 6.7 probes = 1.3 %, so 10 ± 5 % is ≈ 3.7 σ.
    /// </summary>
    private const int WindowCount = 500;

    /// <summary>Sent probes to wait for: a full window of completed probes, plus a margin.</summary>
    private const int ProbesBeforeReading = WindowCount + 100;

    [LabFact]
    public async Task RandomTenPercentDropOnWan1_MeasuredLossWithin5PointsOf10()
    {
        await using var lab = NetLab.Create(output);
        var edgeNs = await EdgeFarLab.BuildAsync(lab);
        // The first counter counts every packet out of wan1, the second the ones nft drops (1 in 10 at random).
        await lab.NftAsync(edgeNs, """add rule inet t out oifname "wan1" counter numgen random mod 10 0 counter drop""");

        // Fast probing (50 probes/s per path) so a 500-probe window fills in 10 s.
        var health = new
        {
            Interval = "00:00:00.020",
            FastInterval = "00:00:00.020",
            WindowCount,
            WindowSpan = "00:01:00",
        };
        var edge = await PatronusEdge.StartAsync(lab, edgeNs, EdgeFarLab.Config(health));
        await edge.WaitForAsync(HealthJson.MetricsPath,
            m => HealthJson.Status(m, "p1") is not null && HealthJson.Status(m, "p2") == "up",
            TimeSpan.FromSeconds(10), "p1 measured, p2 up");

        IReadOnlyList<long> counters = [];
        await Poll.UntilAsync(async () => (counters = await lab.NftCountersAsync(edgeNs, "out"))[0] >= ProbesBeforeReading, TimeSpan.FromSeconds(40), TimeSpan.FromMilliseconds(500));

        Assert.True(counters[0] >= ProbesBeforeReading, $"only {counters[0]} probes left wan1 in 40 s (expected 50/s)\n{edge.Diagnostics()}");
        var metrics = await edge.WaitForAsync(HealthJson.MetricsPath, _ => true, TimeSpan.FromSeconds(5), "metrics");
        var after = await lab.NftCountersAsync(edgeNs, "out");
        var loss = HealthJson.Number(metrics, "p1", "packet_loss_pct");
        var cleanLoss = HealthJson.Number(metrics, "p2", "packet_loss_pct");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"p1: {after[0]} packets out of wan1 in {edge.Uptime.TotalSeconds:0.0} s of serve, nft dropped {after[1]} ({100.0 * after[1] / after[0]:0.00} % overall)"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"p1 measured packet_loss_pct {loss} % over its last {WindowCount} probes; status {HealthJson.Status(metrics, "p1")}; p2 (no drop) {cleanLoss} %"));

        Assert.InRange(loss, 5, 15);
        // Tighter: what serve measured is what nft really dropped. The window is the last 500 of the
        // probes counted, so it differs from the overall ratio by (excluded share) × (rate difference):
        // σ ≈ 0.6 points here; 3 points is ~5 σ.
        var dropped = 100.0 * after[1] / after[0];
        Assert.True(Math.Abs(loss - dropped) <= 3, $"p1 measured {loss} % loss but nft dropped {dropped:0.00} % of its packets");
        // The untouched link measures clean: 5 % is where loss starts to cost score.
        Assert.True(cleanLoss < 5, $"p2 has no drop rule but measured {cleanLoss} % loss\n{edge.Diagnostics()}");
    }
}
