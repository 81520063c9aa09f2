using Microsoft.Data.Sqlite;
using Patronus.Server.Tests.TestSupport;
using Patronus.TestSupport;

namespace Patronus.Server.Tests.Cli;

/// <summary>
/// A real <c>serve</c> killed with SIGKILL (issue 13.12): what reached the SQLite file before the
/// kill is all that survives, so these tests measure what a crash costs.
/// </summary>
public sealed class CrashDurabilityTests : IDisposable
{
    private const int SigKill = 9;

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string DataDir => Path.Combine(_dir.Path, "data");

    private string Database => Path.Combine(DataDir, "patronus.db");

    /// <summary>The newest health sample's timestamp in the file; null before the first flush.</summary>
    private DateTimeOffset? NewestSample()
    {
        if (!File.Exists(Database))
        {
            return null;
        }

        using var connection = new SqliteConnection($"Data Source={Database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT MAX(timestamp) FROM sdwan_path_health";
        try
        {
            return command.ExecuteScalar() is long ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
        }
        catch (SqliteException)
        {
            return null; // the schema is not there yet
        }
    }

    [Fact]
    public async Task Serve_KillNineJustBeforeOldFlush_LosesUnderOneSecondOfSamples()
    {
        var url = $"http://127.0.0.1:{CliProcessTests.FreePort()}";
        // A sample every 100 ms, so the newest stored sample shows the loss to within 0.1 s.
        // Raw samples on: this measures the flush of rows (10-second buckets lose at most their open 10 s).
        using var serve = PatronusProcess.StartWith(new Dictionary<string, string>
        {
            ["PATRONUS__HEALTH__SAMPLEINTERVAL"] = "00:00:00.100",
            ["PATRONUS__HEALTH__PERSISTENCE__RAWSAMPLES"] = "true",
        },
            "serve", "--data-dir", DataDir, "--urls", url);
        await serve.WaitReadyAsync(url);
        await Poll.AssertAsync(() => NewestSample() is not null, TimeSpan.FromSeconds(30), "health samples reach the file");

        // Catch a flush as it lands and kill 0.95 s after the newest sample it wrote: the worst
        // moment for a 1 s flush interval (the old default lost ≥ 0.9 s here, up to 2 s under
        // load), while a 250 ms interval has flushed three times since. A flush noticed too late
        // (a loaded machine) is skipped for the next one.
        DateTimeOffset killedAt = default;
        for (var attempt = 0; attempt < 20 && killedAt == default; attempt++)
        {
            var before = NewestSample();
            await Poll.AssertAsync(() => NewestSample() != before, TimeSpan.FromSeconds(10), "a flush");
            var wait = NewestSample()!.Value + TimeSpan.FromMilliseconds(950) - DateTimeOffset.UtcNow;
            if (wait >= TimeSpan.FromMilliseconds(100))
            {
                await Task.Delay(wait);
                killedAt = DateTimeOffset.UtcNow;
                serve.Signal(SigKill);
            }
        }

        Assert.True(killedAt != default, "never caught a flush in time");
        Assert.True(await serve.WaitForExitAsync(TimeSpan.FromSeconds(10)), "SIGKILL did not end the process");

        var lost = killedAt - NewestSample()!.Value;

        // One flush interval (0.25 s) plus one sample interval (0.1 s), with room for a loaded
        // machine; the bound is 1 s.
        Assert.True(lost <= TimeSpan.FromMilliseconds(750), $"{lost.TotalMilliseconds:F0} ms of samples lost");
    }
}
