using System.Net;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.Cli;

/// <summary>End to end through the real executable, as an operator runs it.</summary>
public sealed class CliProcessTests : IDisposable
{
    private const int SigInt = 2;
    private const int SigTerm = 15;

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string DataDir => Path.Combine(_dir.Path, "data");

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Theory]
    [InlineData(SigTerm)]
    [InlineData(SigInt)]
    public async Task Serve_Quickstart_ReadyWithSeedTables_SignalExitsZero(int signal)
    {
        var url = $"http://127.0.0.1:{FreePort()}";
        using var serve = PatronusProcess.Start("serve", "--data-dir", DataDir, "--urls", url);
        await serve.WaitReadyAsync(url);

        var db = Path.Combine(DataDir, "patronus.db");
        Assert.True(File.Exists(db));
        using (var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT name FROM sqlite_master WHERE type IN ('table','index') ORDER BY name";
            var names = new List<string>();
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    names.Add(reader.GetString(0));
                }
            }

            foreach (var expected in new[]
            {
                "sdwan_sites", "sdwan_paths", "sdwan_path_health", "idx_path_health_path_time",
                "sdwan_failover_policies", "sdwan_failover_events", "idx_failover_events_policy_time",
            })
            {
                Assert.Contains(expected, names);
            }
        }

        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        serve.Signal(signal);
        Assert.True(await serve.WaitForExitAsync(TimeSpan.FromSeconds(5)),
            $"did not exit within 5 s of the signal; its log (which service was still stopping):\n{serve.Stdout[^Math.Min(serve.Stdout.Length, 4000)..]}\n{serve.Stderr}");
        Assert.Equal(0, serve.ExitCode);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Serve_UnknownLink_ExitsTwoNamingPathAndLink_WritesNothing()
    {
        var config = Path.Combine(_dir.Path, "bad.json");
        await File.WriteAllTextAsync(config, """
            { "Sites": [ { "Id": "hq" } ],
              "Links": [ { "Id": "wan1", "Site": "hq" } ],
              "Paths": [ { "Id": "hq-to-dc", "Link": "wan9", "Targets": [ "10.240.0.1" ] } ] }
            """);

        var (code, _, stderr) = await PatronusProcess.RunAsync("serve", "--config", config, "--data-dir", DataDir, "--urls", $"http://127.0.0.1:{FreePort()}");

        Assert.Equal(2, code);
        Assert.Contains("Paths:0:Link", stderr, StringComparison.Ordinal);
        Assert.Contains("'hq-to-dc'", stderr, StringComparison.Ordinal);
        Assert.Contains("'wan9'", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(DataDir), "a rejected configuration must not create the data directory");
    }

    [Fact]
    public async Task Serve_PortInUse_ExitsOneWithMessage()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

        var (code, _, stderr) = await PatronusProcess.RunAsync("serve", "--data-dir", DataDir, "--urls", url);

        Assert.Equal(1, code);
        Assert.Contains(url, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_CreatesSchemaOnceThenUpToDate()
    {
        var first = await PatronusProcess.RunAsync("migrate", "--data-dir", DataDir);
        Assert.True(first.ExitCode == 0, first.Stderr);
        var latest = Patronus.Persistence.Migrations.All[^1].Version;
        Assert.Contains($"applied {string.Join(", ", Patronus.Persistence.Migrations.All.Select(m => m.Version))}; now at schema version {latest}", first.Stdout, StringComparison.Ordinal);

        var second = await PatronusProcess.RunAsync("migrate", "--data-dir", DataDir);
        Assert.Equal(0, second.ExitCode);
        Assert.Contains($"up to date at schema version {latest}", second.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_UnreachablePostgres_ExitsOneNamingStore()
    {
        var (code, _, stderr) = await PatronusProcess.RunAsync("migrate", "--store", $"Host=127.0.0.1;Port={FreePort()};Database=x;Username=u;Password=hidden-pw;Timeout=2");
        Assert.Equal(1, code);
        Assert.Contains("PostgreSQL u@127.0.0.1", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("hidden-pw", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigCheck_ValidAndInvalid()
    {
        var good = Path.Combine(_dir.Path, "good.json");
        await File.WriteAllTextAsync(good, """
            { "Sites": [ { "Id": "hq" } ], "Links": [ { "Id": "wan1", "Site": "hq" } ],
              "Paths": [ { "Id": "p1", "Link": "wan1", "Targets": [ "10.240.0.1" ] } ] }
            """);
        var ok = await PatronusProcess.RunAsync("config", "check", good);
        Assert.Equal(0, ok.ExitCode);
        Assert.Contains("1 sites, 1 links, 1 paths", ok.Stdout, StringComparison.Ordinal);

        var bad = Path.Combine(_dir.Path, "bad.json");
        await File.WriteAllTextAsync(bad, """{ "Sites": [ { "Id": "hq", "Colour": "red" } ] }""");
        var rejected = await PatronusProcess.RunAsync("config", "check", bad);
        Assert.Equal(2, rejected.ExitCode);
        Assert.Contains("Sites:0:Colour", rejected.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HelpAndVersion_ExitZero_UnknownCommandFails()
    {
        var help = await PatronusProcess.RunAsync("--help");
        Assert.Equal(0, help.ExitCode);
        foreach (var command in new[] { "serve", "migrate", "config", "tunnel", "version" })
        {
            Assert.Contains(command, help.Stdout, StringComparison.Ordinal);
        }

        // Only what exists: no dashboard yet (issue 13.10).
        var serveHelp = await PatronusProcess.RunAsync("serve", "--help");
        foreach (var promise in new[] { "dashboard" })
        {
            Assert.DoesNotContain(promise, help.Stdout, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(promise, serveHelp.Stdout, StringComparison.OrdinalIgnoreCase);
        }

        var version = await PatronusProcess.RunAsync("version");
        Assert.Equal(0, version.ExitCode);
        Assert.StartsWith("patronus 0.", version.Stdout, StringComparison.Ordinal);

        var unknown = await PatronusProcess.RunAsync("frobnicate");
        Assert.NotEqual(0, unknown.ExitCode);
    }
}
