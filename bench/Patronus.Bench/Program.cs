using BenchmarkDotNet.Running;
using Patronus.Bench.Micro;
using Patronus.Bench.Probes;

namespace Patronus.Bench;

/// <summary>
/// <c>Patronus.Bench probes [options]</c>: the end-to-end path-health harness (see <see cref="ProbeHarness"/>).
/// <c>Patronus.Bench serve [options]</c>: a whole <c>patronus serve</c> at scale, issue 14's bar 1 (see <see cref="Serve.ServeHarness"/>).
/// <c>Patronus.Bench reflector --listen ADDR:PORT</c>: a bare STAMP reflector process for the harness.
/// <c>Patronus.Bench history-budget [options]</c>: fills a store with synthetic health history and prints its size per tier (see <see cref="History.HistoryBudgetHarness"/>).
/// <c>Patronus.Bench bfd-sends [options]</c>: CPU per BFD packet sent per socket or batched through io_uring (see <see cref="Bfd.SendBatchHarness"/>).
/// <c>Patronus.Bench suspension-watch [options]</c>: CPU and allocation per runtime suspension of the suspension watch (see <see cref="Runtime.SuspensionWatchHarness"/>).
/// <c>Patronus.Bench traffic-reads [options]</c>: one read of the accounting counters over netlink and through nft (see <see cref="Traffic.CounterReadHarness"/>).
/// <c>Patronus.Bench micro [BenchmarkDotNet args]</c>: the micro-benchmarks (in process, iterated until the error is within 5 % of the mean; see <see cref="Micro.MicroConfig"/>).
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var mode = args.Length > 0 ? args[0] : "";
        var rest = args.Length > 0 ? args[1..] : [];
        switch (mode)
        {
            case "probes":
                return await ProbeHarness.RunAsync(ProbeHarnessOptions.Parse(rest));
            case "serve":
                try
                {
                    return await Serve.ServeHarness.RunAsync(Serve.ServeHarnessOptions.Parse(rest));
                }
                catch (ArgumentException e)
                {
                    await Console.Error.WriteLineAsync($"serve: {e.Message}\n{Serve.ServeHarnessOptions.Usage}");
                    return 2;
                }
            case "reflector":
                return await ReflectorHost.RunAsync(rest);
            case "history-budget":
                return await History.HistoryBudgetHarness.RunAsync(rest);
            case "bfd-sends":
                return Bfd.SendBatchHarness.Run(rest);
            case "suspension-watch":
                return await Runtime.SuspensionWatchHarness.RunAsync(rest);
            case "kernel-routes":
                return await Routing.KernelRoutesHarness.RunAsync(rest);
            case "traffic-reads":
                return await Traffic.CounterReadHarness.RunAsync(rest);
            case "micro":
                BenchmarkSwitcher.FromTypes(
                    [typeof(HealthStateBenchmarks), typeof(ProbeWindowBenchmarks), typeof(PathEvaluationBenchmarks), typeof(StampPacketBenchmarks), typeof(FailoverBenchmarks), typeof(ExportBenchmarks), typeof(TracingBenchmarks), typeof(HistoryRecorderBenchmarks), typeof(Lz4CodecBenchmarks), typeof(SdwanBenchmarks), typeof(GraphQLBenchmarks)])
                    .Run(rest, MicroConfig.Create());
                return 0;
            default:
                await Console.Error.WriteLineAsync("usage: Patronus.Bench probes [--paths N] [--seconds S] [--warmup S] [--reflectors K] [--sources L] [--far-ends N] [--reflector-exe PATH|inproc] [--sink count|sqlite] [--alloc-profile on]");
                await Console.Error.WriteLineAsync(Serve.ServeHarnessOptions.Usage);
                await Console.Error.WriteLineAsync("       Patronus.Bench reflector --listen ADDR:PORT");
                await Console.Error.WriteLineAsync("       Patronus.Bench history-budget [--store sqlite|postgres://…] [--paths N] [--hours-10s H] [--days-1m D] [--days-1h D] [--events-per-path-day E] [--days-events D] [--append-hours H] [--vacuum-every N]");
                await Console.Error.WriteLineAsync("       Patronus.Bench micro [--filter *] [BenchmarkDotNet options]");
                await Console.Error.WriteLineAsync("       Patronus.Bench bfd-sends [--sockets N] [--per-pass K] [--packets P] [--rounds R]");
                await Console.Error.WriteLineAsync("       Patronus.Bench suspension-watch [--collections N] [--rounds R]");
                await Console.Error.WriteLineAsync("       Patronus.Bench kernel-routes [--routes N]   (root: rtnetlink in a namespace of its own)");
                await Console.Error.WriteLineAsync("       Patronus.Bench traffic-reads [--counters N] [--reads R]   (root: netlink vs nft counter reads in a namespace of its own)");
                return 2;
        }
    }
}
