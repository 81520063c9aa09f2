using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Patronus.Persistence.Tests;

[CollectionDefinition(Name)]
public sealed class PostgresCollectionDefinition : ICollectionFixture<PostgresFixture>
{
    public const string Name = "PostgreSQL";
}

/// <summary>
/// A PostgreSQL server for the store tests: the server named by <c>PATRONUS_TEST_POSTGRES</c>
/// (an Npgsql connection string whose user may CREATE DATABASE) or else a throwaway cluster started
/// from <c>/usr/lib/postgresql/*/bin</c> as in docs TOOLING.md, stopped and deleted on dispose.
/// When neither is possible the tests fail: CI installs postgresql, so a missing server is a
/// broken machine, not a reason to skip.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public const string EnvironmentVariable = "PATRONUS_TEST_POSTGRES";

    private const string Role = "patronus";
    private const string RolePassword = "patronus-test-pw";

    // Bounds on every wait: initdb takes ~0.5 s and a start ~0.3 s here; the margins cover a loaded CI box.
    private static readonly TimeSpan s_commandTimeout = TimeSpan.FromSeconds(60);
    private const int PgCtlWaitSeconds = 30;
    private const int StartAttempts = 3;

    private readonly IMessageSink _diagnostics;
    private string? _tempDir;
    private string? _pgBin;
    private string? _dataDir;
    private NpgsqlDataSource? _admin;
    private NpgsqlConnectionStringBuilder? _storeTemplate;
    private bool _ownsDatabaseRole;

    public PostgresFixture(IMessageSink diagnostics)
    {
        _diagnostics = diagnostics;
    }

    /// <summary>How long it took to have a server ready (start of a cluster, or the first connection to the external one).</summary>
    public TimeSpan StartupTime { get; private set; }

    /// <summary>"throwaway cluster …" or "PATRONUS_TEST_POSTGRES", for messages.</summary>
    public string ServerDescription { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var stopwatch = Stopwatch.StartNew();
        var external = Environment.GetEnvironmentVariable(EnvironmentVariable);
        try
        {
            if (!string.IsNullOrWhiteSpace(external))
            {
                UseExternal(external);
            }
            else
            {
                await StartClusterAsync().ConfigureAwait(false);
            }

            try
            {
                await using var connection = await _admin!.OpenConnectionAsync().ConfigureAwait(false);
                ServerDescription += $" (server {connection.PostgreSqlVersion})";
            }
            catch (NpgsqlException ex)
            {
                throw new InvalidOperationException($"cannot connect to the PostgreSQL test server, {ServerDescription}: {ex.Message}", ex);
            }
        }
        catch
        {
            await DisposeAsync().ConfigureAwait(false);
            throw;
        }

        StartupTime = stopwatch.Elapsed;
        _diagnostics.OnMessage(new DiagnosticMessage($"PostgreSQL ready in {StartupTime.TotalMilliseconds:F0} ms: {ServerDescription}"));
    }

    /// <summary>Creates an empty database and returns where a store finds it (as the non-superuser role).</summary>
    public async Task<(string Name, StoreLocation Location)> CreateDatabaseAsync()
    {
        var name = $"patronus_test_{Guid.NewGuid():N}";
        await using var connection = await _admin!.OpenConnectionAsync().ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        // FILE_COPY (PostgreSQL 15+) copies template1's files instead of WAL-logging every block:
        // about 5 times faster on this machine's disk, and a database per test is most of a test's cost.
        var strategy = connection.PostgreSqlVersion.Major >= 15 ? " STRATEGY FILE_COPY" : "";
        var owner = _ownsDatabaseRole ? $" OWNER {Role}" : "";
        command.CommandText = $"CREATE DATABASE \"{name}\"{owner}{strategy}";
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);

        var builder = new NpgsqlConnectionStringBuilder(_storeTemplate!.ConnectionString) { Database = name };
        if (!StoreLocation.TryParse(builder.ConnectionString, Path.GetTempPath(), out var location, out var error))
        {
            throw new InvalidOperationException($"StoreLocation rejected the test connection string: {error}");
        }

        return (name, location!);
    }

    public async Task DropDatabaseAsync(string name)
    {
        await using var connection = await _admin!.OpenConnectionAsync().ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        // FORCE ends sessions a failed test may have left open.
        command.CommandText = $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)";
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    public async Task DisposeAsync()
    {
        if (_admin is not null)
        {
            await _admin.DisposeAsync().ConfigureAwait(false);
            _admin = null;
        }

        try
        {
            if (_dataDir is not null && File.Exists(Path.Combine(_dataDir, "postmaster.pid")))
            {
                await RunAsync(AsPostgres(Path.Combine(_pgBin!, "pg_ctl"), "-D", _dataDir, "-m", "fast", "-w", "-t", $"{PgCtlWaitSeconds}", "stop"))
                    .ConfigureAwait(false);
            }
        }
        finally
        {
            if (_tempDir is not null && Directory.Exists(_tempDir))
            {
                Directory.Delete(_tempDir, recursive: true);
            }

            _tempDir = null;
            _dataDir = null;
        }
    }

    private void UseExternal(string connectionString)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException($"{EnvironmentVariable} is not a valid Npgsql connection string: {ex.Message}", ex);
        }

        _admin = NpgsqlDataSource.Create(builder.ConnectionString);
        _storeTemplate = builder;
        _ownsDatabaseRole = false;
        ServerDescription = $"{EnvironmentVariable} {builder.Username}@{builder.Host}:{builder.Port}";
    }

    private async Task StartClusterAsync()
    {
        _pgBin = FindServerBinaries() ?? throw new InvalidOperationException(
            "PostgreSQL store tests need a server: no initdb/pg_ctl under /usr/lib/postgresql/*/bin. " +
            $"Install it (apt-get install -y postgresql) or set {EnvironmentVariable} to an Npgsql connection string " +
            "(Host=…;Port=…;Username=…;Password=…) whose user may CREATE DATABASE.");

        _tempDir = CreateClusterDirectory();
        _dataDir = Path.Combine(_tempDir, "data");
        if (Environment.IsPrivilegedProcess)
        {
            // initdb refuses to run as root: the cluster runs as postgres and must own its directory.
            await RunAsync(new ProcessStartInfo("chown", ["postgres:postgres", _tempDir])).ConfigureAwait(false);
        }

        await RunAsync(AsPostgres(Path.Combine(_pgBin, "initdb"), "-D", _dataDir, "-U", "postgres", "-A", "trust",
            "--auth-host=scram-sha-256", "--no-sync", "--no-instructions", "--encoding=UTF8", "--locale=C")).ConfigureAwait(false);

        int port = 0;
        for (var attempt = 1; ; attempt++)
        {
            port = FreeLoopbackPort();
            // Loopback only. Durability is worthless in a throwaway cluster, so every setting that buys it is off.
            var started = await RunAsync(AsPostgres(Path.Combine(_pgBin, "pg_ctl"), "-D", _dataDir, "-l", Path.Combine(_tempDir, "pg.log"),
                "-w", "-t", $"{PgCtlWaitSeconds}",
                "-o", $"-p {port} -k {_tempDir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c wal_level=minimal -c max_wal_senders=0",
                "start"), throwOnFailure: false).ConfigureAwait(false);
            if (started)
            {
                break;
            }

            // The port picked may have been taken between probing and binding: try another one.
            if (attempt == StartAttempts)
            {
                throw new InvalidOperationException($"pg_ctl start failed {StartAttempts} times; server log:\n{ReadLog()}");
            }
        }

        // Superuser over the Unix socket (trust); stores use the TCP listener with a password (SCRAM), as production does.
        _admin = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder
        {
            Host = _tempDir,
            Port = port,
            Username = "postgres",
            Database = "postgres",
            Timeout = 10,
        }.ConnectionString);
        await using (var connection = await _admin.OpenConnectionAsync().ConfigureAwait(false))
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = $"CREATE ROLE {Role} LOGIN PASSWORD '{RolePassword}'";
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        _storeTemplate = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = Role,
            Password = RolePassword,
            Timeout = 10,
        };
        _ownsDatabaseRole = true;
        ServerDescription = $"throwaway cluster {_pgBin} on 127.0.0.1:{port}";
    }

    private static string? FindServerBinaries()
    {
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root))
        {
            return null;
        }

        return Directory.GetDirectories(root)
            .Select(dir => (Version: int.TryParse(Path.GetFileName(dir), out var v) ? v : -1, Bin: Path.Combine(dir, "bin")))
            .Where(x => File.Exists(Path.Combine(x.Bin, "initdb")) && File.Exists(Path.Combine(x.Bin, "pg_ctl")))
            .OrderByDescending(x => x.Version)
            .Select(x => x.Bin)
            .FirstOrDefault();
    }

    /// <summary>
    /// A fresh directory for the cluster, on tmpfs when there is room: CREATE DATABASE copies ~8 MB
    /// and took 100–300 ms per test on this machine's disk against ~10 ms in memory.
    /// </summary>
    private static string CreateClusterDirectory()
    {
        const string shm = "/dev/shm";
        const long needed = 512L * 1024 * 1024;
        var parent = Path.GetTempPath();
        try
        {
            if (Directory.Exists(shm) && new DriveInfo(shm).AvailableFreeSpace >= needed)
            {
                parent = shm;
            }
        }
        catch (IOException)
        {
            // Not a mount we can inspect: the ordinary temp directory will do.
        }

        var dir = Path.Combine(parent, $"patronus-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return dir;
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private ProcessStartInfo AsPostgres(string program, params string[] args)
    {
        var info = Environment.IsPrivilegedProcess
            ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", program, .. args])
            : new ProcessStartInfo(program, args);
        // postgres cannot enter root's working directory; run from the cluster's own.
        info.WorkingDirectory = _tempDir;
        return info;
    }

    private string ReadLog()
    {
        var log = _tempDir is null ? null : Path.Combine(_tempDir, "pg.log");
        return log is not null && File.Exists(log) ? File.ReadAllText(log) : "(no log)";
    }

    /// <summary>Runs a command to completion within <see cref="s_commandTimeout"/>; kills it past that.</summary>
    private static async Task<bool> RunAsync(ProcessStartInfo info, bool throwOnFailure = true)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        using var process = new Process { StartInfo = info };
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        var commandLine = $"{info.FileName} {string.Join(' ', info.ArgumentList)}";
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"could not run {commandLine}: {ex.Message}", ex);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var deadline = new CancellationTokenSource(s_commandTimeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{commandLine} did not finish within {s_commandTimeout.TotalSeconds} s:\n{Text(output)}");
        }

        if (process.ExitCode != 0 && throwOnFailure)
        {
            throw new InvalidOperationException($"{commandLine} exited with {process.ExitCode}:\n{Text(output)}");
        }

        return process.ExitCode == 0;
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
