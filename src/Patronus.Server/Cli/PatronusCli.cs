using System.CommandLine;
using Patronus.Persistence;
using Patronus.Server.Health;
using Patronus.Server.Hosting;

namespace Patronus.Server.Cli;

/// <summary>
/// The <c>patronus</c> command line. Exit codes: 0 success, 1 runtime failure (store unreachable,
/// port in use), 2 invalid configuration or arguments.
/// </summary>
public static class PatronusCli
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int BadConfig = 2;

    public static RootCommand Build()
    {
        var root = new RootCommand("Patronus SD-WAN edge and controller: path health probes, BFD, failover with kernel routes, REST and GraphQL API, metrics and traces.");
        root.Add(ServeCommand());
        root.Add(MigrateCommand());
        root.Add(ConfigCommand());
        root.Add(ReflectorCommand.Create());
        root.Add(UsersCommand.Create());
        root.Add(TunnelCommand.Create());
        root.Add(VersionCommand());
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var parse = Build().Parse(args);
        // The web host handles SIGINT/SIGTERM itself (graceful shutdown); System.CommandLine must not race it.
        return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);
    }

    internal static Option<string?> ConfigOption() => new("--config") { Description = "JSON configuration file (sites, links, paths, store, …). Without it, serve runs the quickstart." };

    internal static Option<string?> DataDirOption() => new("--data-dir") { Description = $"Directory for the embedded store and state (default {PatronusConfiguration.DefaultDataDir})." };

    internal static Option<string?> StoreOption() => new("--store") { Description = "Store: postgres://user:pw@host:port/db, an Npgsql connection string, or sqlite:PATH (default: SQLite file patronus.db in the data dir)." };

    private static Command ServeCommand()
    {
        var config = ConfigOption();
        var dataDir = DataDirOption();
        var store = StoreOption();
        var urls = new Option<string?>("--urls") { Description = $"URLs to listen on, ';'-separated (default {PatronusConfiguration.DefaultUrls})." };
        var command = new Command("serve", "Run the engine (probes, BFD, failover) and the REST and GraphQL API.") { config, dataDir, urls, store };
        command.SetAction(async (parse, ct) =>
        {
            var loaded = LoadOrReport(new CommandLineOverrides(parse.GetValue(config), parse.GetValue(dataDir), parse.GetValue(urls), parse.GetValue(store)));
            if (loaded is null)
            {
                return BadConfig;
            }

            await using var app = ServerApp.Build(loaded);
            try
            {
                await app.RunAsync().ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                await Console.Error.WriteLineAsync($"patronus: cannot listen on {loaded.Urls}: {ex.Message}").ConfigureAwait(false);
                return Failure;
            }

            return Environment.ExitCode;
        });
        return command;
    }

    private static Command MigrateCommand()
    {
        var config = ConfigOption();
        var dataDir = DataDirOption();
        var store = StoreOption();
        var command = new Command("migrate", "Apply pending schema migrations to the store and exit.") { config, dataDir, store };
        command.SetAction(async (parse, ct) =>
        {
            var loaded = LoadOrReport(new CommandLineOverrides(parse.GetValue(config), parse.GetValue(dataDir), null, parse.GetValue(store)));
            if (loaded is null)
            {
                return BadConfig;
            }

            await using var db = SqlStore.Create(loaded.Store, TimeProvider.System);
            try
            {
                var applied = await db.MigrateAsync(ct).ConfigureAwait(false);
                var version = await db.GetSchemaVersionAsync(ct).ConfigureAwait(false);
                Console.WriteLine(applied.Count == 0
                    ? $"{db.Description}: up to date at schema version {version}"
                    : $"{db.Description}: applied {string.Join(", ", applied)}; now at schema version {version}");
                return Ok;
            }
#pragma warning disable CA1031 // reported to the operator with the store named
            catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
            {
                await Console.Error.WriteLineAsync($"patronus: migrating {db.Description} failed: {ex.Message}").ConfigureAwait(false);
                return Failure;
            }
        });
        return command;
    }

    private static Command ConfigCommand()
    {
        var file = new Argument<string>("FILE") { Description = "The configuration file to check." };
        var check = new Command("check", "Validate a configuration file (with PATRONUS__ environment overrides) without starting anything.") { file };
        check.SetAction(parse =>
        {
            var loaded = LoadOrReport(new CommandLineOverrides(ConfigFile: parse.GetValue(file)));
            if (loaded is null)
            {
                return BadConfig;
            }

            var t = loaded.Topology;
            Console.WriteLine($"{parse.GetValue(file)}: valid — {t.Sites.Count} sites, {t.Links.Count} links, {t.Paths.Count} paths; store {loaded.Store.Description}");
            return Ok;
        });
        return new Command("config", "Configuration tools.") { check };
    }

    private static Command VersionCommand()
    {
        var command = new Command("version", "Print the version.");
        command.SetAction(_ =>
        {
            Console.WriteLine($"patronus {ProcessInfo.Version} (.NET {Environment.Version})");
            return Ok;
        });
        return command;
    }

    internal static PatronusConfiguration? LoadOrReport(CommandLineOverrides overrides)
    {
        var loaded = PatronusConfiguration.Load(overrides, null, out var errors);
        if (loaded is null)
        {
            Console.Error.WriteLine($"patronus: the configuration is invalid ({errors.Count} problem{(errors.Count == 1 ? "" : "s")}):");
            foreach (var error in errors)
            {
                Console.Error.WriteLine($"  - {error}");
            }
        }

        return loaded;
    }
}
