using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Patronus.Engine.Net;

namespace Patronus.Bench.Bfd;

/// <summary>
/// <c>Patronus.Bench bfd-sends [--sockets N] [--per-pass K] [--packets P] [--rounds R]</c>: the CPU
/// one packet costs the sending process on N connected UDP sockets (loopback, one per BFD session),
/// sent the three ways the BFD loop could: .NET <c>Socket.Send</c> (the loop before io_uring),
/// libc <c>send</c> (IoUringSendBatch's fallback) and <c>IoUringSendBatch</c> with one
/// <c>io_uring_enter</c> per K packets (the loop's pass). The modes alternate round by round so
/// that a busy box skews them alike; the figure is the process's CPU time (user + system, which
/// includes the loopback receive run in the sender's context) divided by the packets, median
/// over the rounds. The receivers are never read: a full receive queue drops silently.
/// </summary>
internal static class SendBatchHarness
{
    public static int Run(string[] args)
    {
        var sockets = Option(args, "--sockets", 1000);
        var perPass = Option(args, "--per-pass", 20);
        var packets = Option(args, "--packets", 200_000);
        var rounds = Option(args, "--rounds", 5);
        var receivers = new List<Socket>();
        var senders = new List<Socket>();
        try
        {
            for (var i = 0; i < sockets; i++)
            {
                var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 4096 };
                receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                receivers.Add(receiver);
                var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                sender.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                sender.Connect(receiver.LocalEndPoint!);
                senders.Add(sender);
            }

            var handles = senders.Select(s => s.SafeHandle).ToArray();
            var packet = new byte[24];
            long failed = 0;
            using var batch = IoUringSendBatch<int>.Create(256, 64, (_, errno, _) => failed += errno == 0 ? 0 : 1);
            if (!batch.UsesIoUring)
            {
                Console.Error.WriteLine($"io_uring not available: {batch.FallbackReason}");
                return 1;
            }

            var modes = new (string Name, Action<int> Send)[]
            {
                ("Socket.Send (before)", i => senders[i % sockets].Send(packet)),
                ("libc send (fallback)", i => failed += LinuxSend.Send(handles[i % sockets], packet, 0x40) == 0 ? 0 : 1),
                ($"io_uring, {perPass} per enter", i =>
                {
                    batch.Send(handles[i % sockets], packet, i);
                    if ((i + 1) % perPass == 0)
                    {
                        batch.Flush();
                    }
                }),
            };
            var results = modes.Select(_ => new List<double>()).ToArray();
            foreach (var (_, send) in modes)
            {
                Measure(send, packets / 10); // warm-up: JIT, socket buffers
            }

            for (var r = 0; r < rounds; r++)
            {
                for (var m = 0; m < modes.Length; m++)
                {
                    results[m].Add(Measure(modes[m].Send, packets));
                    batch.Flush();
                }
            }

            Console.WriteLine($"bfd-sends: {sockets} sockets, {packets} packets per round, {rounds} rounds, io_uring {perPass} per enter; loadavg {File.ReadAllText("/proc/loadavg").Trim()}");
            for (var m = 0; m < modes.Length; m++)
            {
                var sorted = results[m].Order().ToList();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {modes[m].Name,-26} µs CPU per packet: median {sorted[sorted.Count / 2]:0.000}, min {sorted[0]:0.000}, max {sorted[^1]:0.000}"));
            }

            Console.WriteLine($"  failed sends: {failed}");
            return 0;
        }
        finally
        {
            foreach (var s in senders.Concat(receivers))
            {
                s.Dispose();
            }
        }
    }

    private static double Measure(Action<int> send, int packets)
    {
        using var process = Process.GetCurrentProcess();
        var before = process.TotalProcessorTime;
        for (var i = 0; i < packets; i++)
        {
            send(i);
        }

        process.Refresh();
        return (process.TotalProcessorTime - before).TotalMicroseconds / packets;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
