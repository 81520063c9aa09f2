using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Options;
using Patronus.Engine.Failover;
using Patronus.Engine.Health;
using Patronus.Engine.Hosting;
using Patronus.Engine.Paths;
using Patronus.Engine.Traffic;
using Patronus.Persistence;

namespace Patronus.Server.Hosting;

/// <summary>Values given on the command line; each overrides the same key from file and environment.</summary>
public sealed record CommandLineOverrides(string? ConfigFile = null, string? DataDir = null, string? Urls = null, string? Store = null);

/// <summary>
/// Everything <c>serve</c> needs, resolved and validated before anything is written: the merged
/// configuration (file, then <c>PATRONUS__</c> environment variables, then flags — the usual .NET
/// order, later wins), the topology and the store location.
/// </summary>
public sealed record PatronusConfiguration(
    IConfigurationRoot Configuration,
    string DataDir,
    string Urls,
    StoreLocation Store,
    TopologySnapshot Topology,
    bool IsQuickstart,
    IPEndPoint? ReflectorListen,
    IReadOnlyList<FailoverPolicy>? FailoverPolicies = null)
{
    /// <summary>Default data directory, relative to the working directory.</summary>
    public const string DefaultDataDir = "./data";

    /// <summary>Default listen URL: loopback only, so nothing is exposed until the operator says so.</summary>
    public const string DefaultUrls = "http://127.0.0.1:8080";

    /// <summary>Prefix of environment variables that override configuration (<c>PATRONUS__STORE__CONNECTIONSTRING</c>).</summary>
    public const string EnvironmentPrefix = "PATRONUS__";

    /// <summary>
    /// Loads and validates. Returns null with every problem listed (each naming its key) when the
    /// configuration is unusable; nothing is created on disk either way.
    /// </summary>
    public static PatronusConfiguration? Load(CommandLineOverrides overrides, IDictionary<string, string?>? environment, out IReadOnlyList<string> errors)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        var problems = new List<string>();
        errors = problems;

        var builder = new ConfigurationBuilder();
        if (overrides.ConfigFile is { } file)
        {
            var full = Path.GetFullPath(file);
            if (!File.Exists(full))
            {
                problems.Add($"--config: file '{file}' does not exist");
                return null;
            }

            if (!TryCheckJson(full, out var jsonError))
            {
                problems.Add($"--config: '{file}' is not valid JSON: {jsonError}");
                return null;
            }

            var json = new IndexedJsonConfigurationSource { Path = full, Optional = false, ReloadOnChange = false };
            json.ResolveFileProvider(); // an absolute path: a file provider for its directory, as AddJsonFile does
            builder.Add(json);
        }

        builder.Add(new MemoryConfigurationSource { InitialData = FromEnvironment(environment) });
        var flags = new Dictionary<string, string?>();
        if (overrides.DataDir is not null)
        {
            flags["DataDir"] = overrides.DataDir;
        }

        if (overrides.Urls is not null)
        {
            flags["Urls"] = overrides.Urls;
        }

        if (overrides.Store is not null)
        {
            flags["Store:ConnectionString"] = overrides.Store;
        }

        builder.AddInMemoryCollection(flags);
        IConfigurationRoot config;
        try
        {
            config = builder.Build();
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException)
        {
            // e.g. the same key twice in the file
            problems.Add($"--config: {ex.InnerException?.Message ?? ex.Message}");
            return null;
        }

        var dataDir = config["DataDir"] is { Length: > 0 } d ? d : DefaultDataDir;
        var urls = config["Urls"] is { Length: > 0 } u ? u : DefaultUrls;
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url.Replace("*", "0.0.0.0", StringComparison.Ordinal).Replace("+", "0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri) ||
                (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                problems.Add($"Urls: '{url}' is not an http:// or https:// URL");
            }
        }

        // Store:ConnectionString, or Store as a plain string.
        var storeSetting = config["Store:ConnectionString"] ?? config["Store"];
        if (!StoreLocation.TryParse(storeSetting, Path.GetFullPath(dataDir), out var store, out var storeError))
        {
            problems.Add($"Store:ConnectionString: {storeError}");
        }

        // Quickstart only when nothing defines a topology, neither a file nor the environment.
        var hasTopology = config.GetSection("Sites").Exists() || config.GetSection("Links").Exists() || config.GetSection("Paths").Exists();
        var isQuickstart = overrides.ConfigFile is null && !hasTopology;
        var reflector = ReadReflector(config, isQuickstart, out var quickstartPort, problems);
        TopologySnapshot? topology = Quickstart.Topology(quickstartPort);
        if (!isQuickstart)
        {
            (topology, var topologyErrors) = TopologyConfigReader.Read(config, ItemSource.Config);
            problems.AddRange(topologyErrors.Select(e => e.ToString()));
        }

        IReadOnlyList<FailoverPolicy> policies = [];
        if (topology is not null)
        {
            (policies, var policyErrors) = FailoverConfigReader.Read(config, topology);
            problems.AddRange(policyErrors.Select(e => e.ToString()));
            problems.AddRange(Engine.Tunnels.TunnelOptionsValidator.ValidatePaths(
                config.GetSection(Engine.Tunnels.TunnelOptions.Section).Get<Engine.Tunnels.TunnelOptions>() ?? new(), topology));
            problems.AddRange(Engine.Tunnels.Sdwan.TrafficClassRules.Read(config, topology).Failures);
        }

        // The engine's sections, bound and checked as AddPatronusEngine will at start.
        Validate(config, new HealthOptionsValidator(), problems);
        Validate(config, new HealthPersistenceOptionsValidator(), problems);
        Validate(config, new FailoverOptionsValidator(), problems);
        Validate(config, new TrafficOptionsValidator(), problems);
        Validate(config, new Engine.Tunnels.TunnelOptionsValidator(), problems);
        Validate(config, new Engine.Cluster.ClusterOptionsValidator(), problems);
        // The server's sections, checked the same way (a bad value used to surface only as the host's start-up exception, exit 1).
        Validate(config, new GraphQL.GraphQLOptionsValidator(), problems);
        Validate(config, new Observability.TracingOptionsValidator(), problems);
        problems.AddRange(Security.AuthOptions.Read(config).Errors);
        if (problems.Count > 0)
        {
            return null;
        }

        return new PatronusConfiguration(config, Path.GetFullPath(dataDir), urls, store!, topology!, isQuickstart, reflector, policies);
    }

    /// <summary>
    /// Binds one options section and checks it with the validator the host runs at start, so a bad
    /// value stops <c>serve</c> before anything is written, with the same message naming its key.
    /// Unlike the host's binding, a key the options do not have is an error here (a misspelt key
    /// would otherwise be ignored); child sections that other options own are left to them.
    /// </summary>
    private static void Validate<TOptions>(IConfiguration config, OptionsSectionValidator<TOptions> validator, List<string> problems)
        where TOptions : class, new()
    {
        var options = new TOptions();
        try
        {
            new SectionWithout(config.GetSection(validator.Section), validator.Subsections).Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException ex)
        {
            problems.Add($"{validator.Section}: {Engine.Hosting.BinderErrors.Message(ex)}");
            return;
        }

        if (validator.Validate(Options.DefaultName, options) is { Failed: true } result)
        {
            problems.AddRange(result.Failures);
        }
    }

    /// <summary>
    /// The built-in STAMP reflector: <c>Reflector:Enabled</c> + <c>Reflector:Listen</c> (default
    /// <c>0.0.0.0:862</c>); in the quickstart it is on, on <c>127.0.0.1:Quickstart:ReflectorPort</c>.
    /// </summary>
    private static IPEndPoint? ReadReflector(IConfiguration config, bool quickstart, out int quickstartPort, List<string> problems)
    {
        quickstartPort = Quickstart.DefaultReflectorPort;
        if (config["Quickstart:ReflectorPort"] is { } rawPort &&
            (!int.TryParse(rawPort, NumberStyles.None, CultureInfo.InvariantCulture, out quickstartPort) || quickstartPort is < 1 or > 65535))
        {
            problems.Add($"Quickstart:ReflectorPort: '{rawPort}' is not a port (1–65535)");
            quickstartPort = Quickstart.DefaultReflectorPort;
        }

        var enabledText = config["Reflector:Enabled"];
        var enabled = quickstart;
        if (enabledText is not null && !bool.TryParse(enabledText, out enabled))
        {
            problems.Add($"Reflector:Enabled: '{enabledText}' is not true or false");
        }

        if (!enabled)
        {
            return null;
        }

        var listen = config["Reflector:Listen"];
        if (listen is null)
        {
            return quickstart ? new IPEndPoint(IPAddress.Loopback, quickstartPort) : new IPEndPoint(IPAddress.Any, PathDefinition.DefaultStampPort);
        }

        if (IPEndPoint.TryParse(listen, out var endpoint) && TopologyRules.CheckTarget(listen, out var checkedEndpoint) is null && checkedEndpoint!.Port > 0)
        {
            return endpoint;
        }

        problems.Add($"Reflector:Listen: '{listen}' is not ADDRESS:PORT (use [addr]:port for IPv6)");
        return null;
    }

    /// <summary>Environment variables with the <see cref="EnvironmentPrefix"/>, as configuration keys (<c>__</c> → <c>:</c>).</summary>
    private static Dictionary<string, string?> FromEnvironment(IDictionary<string, string?>? environment)
    {
        var result = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (environment is null)
        {
            foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
            {
                Add((string)entry.Key, (string?)entry.Value);
            }
        }
        else
        {
            foreach (var (key, value) in environment)
            {
                Add(key, value);
            }
        }

        return result;

        void Add(string key, string? value)
        {
            if (key.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
            {
                result[key[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal)] = value;
            }
            else if (key.StartsWith("OTEL_", StringComparison.OrdinalIgnoreCase) || key is "DOTNET_ENVIRONMENT" or "ASPNETCORE_ENVIRONMENT")
            {
                // Standard variables kept under their own names: OpenTelemetry reads them from configuration (docs/tracing.md).
                result[key] = value;
            }
        }
    }

    private static bool TryCheckJson(string file, out string? error)
    {
        error = null;
        try
        {
            using var stream = File.OpenRead(file);
            using var _ = JsonDocument.Parse(stream, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            return true;
        }
        catch (JsonException ex)
        {
            error = ex.Message;
            return false;
        }
        catch (IOException ex)
        {
            error = ex.Message;
            return false;
        }
        catch (UnauthorizedAccessException ex)
        {
            error = ex.Message;
            return false;
        }
    }
}
