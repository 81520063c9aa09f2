using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;

namespace Patronus.Lab.Tests.TestSupport;

/// <summary>
/// One curl inside a namespace fetching one URL at a fixed rate over one keep-alive connection
/// (<c>curl -N --rate</c> with a URL range), each answer timestamped as it arrives. A fine-grained
/// poll must not start a process per request: <c>ip netns exec … curl</c> per poll usually takes
/// ~15 ms but now and then stalls for ~0.5 s, which would be measured as the server's delay.
/// </summary>
public sealed class ApiPoll : IDisposable
{
    private readonly Channel<(long At, string? Line)> _lines = Channel.CreateUnbounded<(long, string?)>(new() { SingleReader = true });
    private readonly long _deadline;
    private LabProcess? _curl;

    private ApiPoll(long deadline)
    {
        _deadline = deadline;
    }

    /// <summary>Starts polling <paramref name="path"/> every <paramref name="every"/>, for at most <paramref name="duration"/>.</summary>
    public static ApiPoll Start(NetLab lab, string ns, string path, TimeSpan every, TimeSpan duration)
    {
        var requests = (int)Math.Ceiling(duration / every);
        var perMinute = (int)Math.Round(TimeSpan.FromMinutes(1) / every);
        var poll = new ApiPoll(Stopwatch.GetTimestamp() + (long)((duration.TotalSeconds + 5) * Stopwatch.Frequency));
        poll._curl = lab.Start(ns, $"curl poll {path}",
            ["curl", "-s", "-N", "--max-time", "2", "--rate", $"{perMinute}/m", "-w", "\\n", .. PatronusEdge.AuthArgs(ns),
             string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{PatronusEdge.ApiPort}{path}?poll=[1-{requests}]")],
            (at, line) => poll._lines.Writer.TryWrite((at, line)));
        return poll;
    }

    /// <summary>The next answer that is JSON, with its arrival timestamp; null when curl is done or the deadline passed.</summary>
    public async Task<(long At, JsonElement Json)?> NextAsync()
    {
        var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), _deadline);
        if (left <= TimeSpan.Zero)
        {
            return null;
        }

        using var cts = new CancellationTokenSource(left);
        try
        {
            while (true)
            {
                var (at, line) = await _lines.Reader.ReadAsync(cts.Token);
                if (line is null)
                {
                    return null; // stdout closed: curl is done
                }

                if (line.StartsWith('{'))
                {
                    using var doc = JsonDocument.Parse(line);
                    return (at, doc.RootElement.Clone());
                }
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public void Dispose() => _curl?.Dispose();
}
