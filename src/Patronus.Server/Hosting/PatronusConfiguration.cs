using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Configuration.Memory;
using Patronus.Engine.Failover;
using Patronus.Engine.Health;
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
    HealthOptions Health,
    IPEndPoint? ReflectorListen,
    IReadOnlyList<FailoverPolicy>? FailoverPolicies = null,
    FailoverOptions? Failover = null,
    TrafficOptions? Traffic = null)
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

            builder.AddJsonFile(full, optional: false, reloadOnChange: false);
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
        var health = ReadHealth(config, problems);
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
        }

        var failover = ReadFailover(config, problems);
        var traffic = ReadTraffic(config, problems);
        problems.AddRange(Security.AuthOptions.Read(config).Errors);
        if (problems.Count > 0)
        {
            return null;
        }

        return new PatronusConfiguration(config, Path.GetFullPath(dataDir), urls, store!, topology!, isQuickstart, health, reflector, policies, failover, traffic);
    }

    /// <summary>Binds and validates the <c>Failover</c> section (dampening, kernel routes).</summary>
    private static FailoverOptions ReadFailover(IConfiguration config, List<string> problems)
    {
        var options = new FailoverOptions();
        try
        {
            config.GetSection(FailoverOptions.Section).Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException ex)
        {
            problems.Add($"{FailoverOptions.Section}: {ex.Message}");
            return options;
        }

        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        problems.AddRange(results.Select(r => $"{FailoverOptions.Section}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
        if (options.FlapWindow <= TimeSpan.Zero || options.FlapHold < TimeSpan.Zero || options.RouteRetry <= TimeSpan.Zero)
        {
            problems.Add($"{FailoverOptions.Section}: FlapWindow and RouteRetry must be positive, FlapHold not negative");
        }

        return options;
    }

    /// <summary>Binds and validates the <c>Traffic</c> section (accounting on/off, read intervals).</summary>
    private static TrafficOptions ReadTraffic(IConfiguration config, List<string> problems)
    {
        var options = new TrafficOptions();
        try
        {
            config.GetSection(TrafficOptions.Section).Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException ex)
        {
            problems.Add($"{TrafficOptions.Section}: {ex.Message}");
            return options;
        }

        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        problems.AddRange(results.Select(r => $"{TrafficOptions.Section}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
        return options;
    }

    /// <summary>Binds and validates the <c>Health</c> section (probe timing, windows).</summary>
    private static HealthOptions ReadHealth(IConfiguration config, List<string> problems)
    {
        var options = new HealthOptions();
        var section = config.GetSection(HealthOptions.Section);
        try
        {
            section.Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException ex)
        {
            problems.Add($"{HealthOptions.Section}: {ex.Message}");
            return options;
        }

        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        foreach (var result in results)
        {
            problems.Add($"{HealthOptions.Section}:{string.Join(",", result.MemberNames)}: {result.ErrorMessage}");
        }

        if (options.MinTimeout > options.MaxTimeout)
        {
            problems.Add($"{HealthOptions.Section}:MinTimeout: {options.MinTimeout} is greater than MaxTimeout {options.MaxTimeout}");
        }

        if (options.FastInterval > options.Interval)
        {
            problems.Add($"{HealthOptions.Section}:FastInterval: {options.FastInterval} is longer than Interval {options.Interval}");
        }

        return options;
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
