using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Patronus.Lab.Tests.TestSupport;
using Patronus.TestSupport;

namespace Patronus.Lab.Tests.Probes;

/// <summary>
/// The real <c>patronus reflector</c> process attacked on loopback (the test's own host: the
/// network rule allows loopback). Before the fix one spoofed test packet whose source was the
/// reflector itself started an endless loop of replies to itself, and the process then ignored
/// SIGTERM; now it must go on answering others and exit on SIGTERM within seconds, also while a
/// flood keeps its socket busy.
/// </summary>
public sealed class ReflectorShutdownLabTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_exitDeadline = TimeSpan.FromSeconds(2);

    [LabFact]
    public async Task Reflector_SelfSourcedTestPacket_StillAnswersAndExitsOnSigterm()
    {
        using var reflector = await StartAsync();

        // Answered in order: once the next test packet is answered, the spoofed one has been handled.
        SpoofedUdp.Send(reflector.Listen, reflector.Listen, TestPacket());
        await AssertAnswersAsync(reflector.Listen);

        await StopAsync(reflector, "after a self-sourced test packet");
    }

    [LabFact]
    public async Task Reflector_DuringAFlood_ExitsOnSigterm()
    {
        using var reflector = await StartAsync();
        using var flood = DatagramFlood.Udp(reflector.Listen, TestPacket());
        await Poll.AssertAsync(() => flood.Sent > 100_000, TimeSpan.FromSeconds(10), "the flood is under way");
        await AssertAnswersAsync(reflector.Listen);

        await StopAsync(reflector, $"under a flood ({flood.Sent} datagrams sent so far)");
    }

    private static async Task<Reflector> StartAsync()
    {
        LabRequirements.Check();
        var listen = new IPEndPoint(IPAddress.Loopback, FreeUdpPort());
        var process = LabProcess.Start("reflector", "dotnet", [NetLab.PatronusDll, "reflector", "--listen", listen.ToString()], AppContext.BaseDirectory);
        var reflector = new Reflector(process, listen);
        await process.WaitForOutputAsync("STAMP reflector listening", TimeSpan.FromSeconds(30));
        return reflector;
    }

    private async Task StopAsync(Reflector reflector, string when)
    {
        var stopping = Stopwatch.StartNew();
        var kill = await Shell.RunAsync("kill", ["-TERM", reflector.Process.Id.ToString(CultureInfo.InvariantCulture)]);
        Assert.True(kill.Succeeded, kill.ToString());
        var exited = await Poll.UntilAsync(() => reflector.Process.HasExited, s_exitDeadline);
        output.WriteLine($"SIGTERM {when}: exited {exited} after {stopping.Elapsed.TotalMilliseconds:0} ms");
        Assert.True(exited, $"still running {s_exitDeadline.TotalSeconds} s after SIGTERM {when}\n{reflector.Process.Describe()}");
        Assert.Contains("stopped", reflector.Process.Stdout, StringComparison.Ordinal);
    }

    // Under a flood the kernel queue may be full when a test packet arrives (it is then lost, as
    // it would be for a real sender): up to ten tries, a second each.
    private static async Task AssertAnswersAsync(IPEndPoint reflector)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        // From another loopback address than the flood's: the reflector rate-limits per source
        // address, and this packet must not be one of the flood's drops.
        client.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
        client.Connect(reflector);
        var buffer = new byte[128];
        for (var attempt = 0; attempt < 10; attempt++)
        {
            client.Send(TestPacket());
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try
            {
                Assert.Equal(44, await client.ReceiveAsync(buffer, SocketFlags.None, cts.Token));
                return;
            }
            catch (OperationCanceledException)
            {
            }
        }

        Assert.Fail($"the reflector on {reflector} answered none of ten test packets");
    }

    // RFC 8762 §4.2.1: sequence 1, a timestamp, error estimate S=0 Z=0 Scale 0 Multiplier 1, MBZ.
    private static byte[] TestPacket()
    {
        var packet = new byte[44];
        packet[3] = 1;
        packet[4] = 0xE9;
        packet[13] = 1;
        return packet;
    }

    private static int FreeUdpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private sealed record Reflector(LabProcess Process, IPEndPoint Listen) : IDisposable
    {
        public void Dispose() => Process.Dispose();
    }
}
