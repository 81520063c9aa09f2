using System.Globalization;
using Patronus.Engine.Tunnels;
using Patronus.Lab.Tests.TestSupport;
using Patronus.TestSupport;

namespace Patronus.Lab.Tests.Tunnels;

/// <summary>
/// Garbage at the tunnel's UDP port from another namespace: random octets, truncated and mutated
/// messages of every type. serve must survive, and every datagram the kernel delivered to the
/// socket (the namespace's UDP InDatagrams) must show up as a counted drop.
/// </summary>
public sealed class TunnelFloodLabTests(ITestOutputHelper output)
{
    private const int Datagrams = 200_000;

    private const string Flood = """
        import os, random, socket, sys
        dst = (sys.argv[1], int(sys.argv[2])); n = int(sys.argv[3])
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        r = random.Random(15)
        for i in range(n):
            k = i % 4
            if k == 0:
                d = r.randbytes(r.randrange(0, 200))
            elif k == 1:
                d = bytes([1, 0, 0, 0]) + r.randbytes(144)
            elif k == 2:
                d = bytes([4, 0, 0, 0]) + r.randbytes(r.randrange(28, 100))
            else:
                d = bytes([r.randrange(1, 5), 0, 0, 0]) + r.randbytes(r.randrange(0, 100))
            s.sendto(d, dst)
        """;

    [LabFact]
    public async Task RandomDatagramFlood_ServeSurvivesAndEveryDeliveredDatagramIsCounted()
    {
        await using var lab = NetLab.Create(output);
        var edgeNs = await lab.AddNamespaceAsync("fe");
        var floodNs = await lab.AddNamespaceAsync("ff");
        await lab.AddVethAsync(edgeNs, "wan0", "10.241.20.1/24", floodNs, "eth0", "10.241.20.2/24");
        Assert.True(TunnelKeys.TryPublicKey(TunnelKeys.GeneratePrivateKey(), out var peer));
        var config = new
        {
            Sites = new[] { new { Id = "edge" } },
            Links = new[] { new { Id = "wan", Site = "edge", Interface = "wan0", SourceAddress = "10.241.20.1" } },
            Paths = new[] { new { Id = "p", Link = "wan", Probe = "icmp", Targets = new[] { "10.241.20.2" } } },
            Tunnels = new
            {
                Enabled = true,
                Addresses = new[] { "10.250.20.1/24" },
                PrivateKey = TunnelKeys.GeneratePrivateKey(),
                Peers = new[] { new { PublicKey = peer, AllowedIps = new[] { "10.250.20.2/32" } } },
            },
        };
        var edge = await PatronusEdge.StartAsync(lab, edgeNs, config);
        Assert.True(
            await Poll.UntilAsync(async () => (await lab.ExecAsync(edgeNs, "ip", "-o", "link", "show", "dev", "ptun0")).Succeeded, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50)),
            $"ptun0 did not come up\n{lab.Diagnostics()}");
        var before = await UdpInDatagramsAsync(lab, edgeNs);

        await lab.MustExecAsync(floodNs, ["python3", "-c", Flood, "10.241.20.1", "51820", Datagrams.ToString(CultureInfo.InvariantCulture)]);

        // Datagrams still queued in the veth when python exits reach the socket a little later:
        // settled means the kernel's count stopped moving and every delivered datagram is counted.
        long delivered = 0, counted = 0, previous = -1;
        var caughtUp = await Poll.UntilAsync(
            async () =>
            {
                previous = delivered;
                delivered = await UdpInDatagramsAsync(lab, edgeNs) - before;
                counted = DroppedTotal(await edge.TryGetTextAsync("/metrics"));
                return counted == delivered && delivered == previous;
            },
            TimeSpan.FromSeconds(60),
            TimeSpan.FromMilliseconds(250));

        output.WriteLine($"sent {Datagrams}, delivered to the socket {delivered}, counted as dropped {counted}");
        Assert.False(edge.Process.HasExited, $"serve exited\n{lab.Diagnostics()}");
        Assert.True(caughtUp, $"delivered {delivered}, counted {counted}\n{lab.Diagnostics()}");
        Assert.Equal(delivered, counted);
        Assert.True(delivered > Datagrams / 2, $"only {delivered} of {Datagrams} reached the socket");
    }

    // Udp: InDatagrams of the namespace (/proc/net/snmp is per network namespace).
    private static async Task<long> UdpInDatagramsAsync(NetLab lab, string ns)
    {
        var lines = (await lab.MustExecAsync(ns, "cat", "/proc/net/snmp")).Stdout.Split('\n').Where(l => l.StartsWith("Udp: ", StringComparison.Ordinal)).ToArray();
        var names = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var values = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(values[Array.IndexOf(names, "InDatagrams")], CultureInfo.InvariantCulture);
    }

    // Drops of datagrams off the wire: the reasons of packets from the TUN device (the kernel's own
    // IPv6 chatter on ptun0 has no route, and nothing of the flood can decrypt into a bad packet) are not counted here.
    private static readonly string[] s_outbound = ["no_route", "no_endpoint", "handshake_timeout", "bad_inner_packet"];

    private static long DroppedTotal(string? metrics) => metrics is null
        ? 0
        : metrics.Split('\n')
            .Where(l => l.StartsWith("patronus_tunnel_dropped_packets_total{", StringComparison.Ordinal))
            .Where(l => !s_outbound.Any(r => l.Contains($"reason=\"{r}\"", StringComparison.Ordinal)))
            .Sum(l => (long)double.Parse(l.Split(' ')[^1], CultureInfo.InvariantCulture));
}
