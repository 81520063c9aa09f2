using System.Globalization;

namespace Patronus.Server.Observability;

/// <summary>OTLP wire protocols the exporter speaks.</summary>
public enum OtlpWireProtocol
{
    /// <summary><c>http/protobuf</c>: POST to <c>{endpoint}/v1/traces</c> (default, port 4318).</summary>
    HttpProtobuf,

    /// <summary><c>grpc</c>: port 4317.</summary>
    Grpc,
}

/// <summary>
/// The standard OpenTelemetry environment variables, read from configuration (where
/// <see cref="Hosting.PatronusConfiguration"/> puts every <c>OTEL_*</c> variable under its own
/// name), resolved once. Values that do not parse are reported in <see cref="Problems"/> and
/// treated as unset, as the OpenTelemetry specification asks.
/// </summary>
public sealed record TracingEnvironment(
    bool Enabled,
    string? Endpoint,
    OtlpWireProtocol Protocol,
    string Sampler,
    double SamplerRatio,
    IReadOnlyList<KeyValuePair<string, object>> Resource,
    IReadOnlyList<string> Problems)
{
    /// <summary>Service name when neither <c>OTEL_SERVICE_NAME</c> nor <c>OTEL_RESOURCE_ATTRIBUTES</c> give one.</summary>
    public const string DefaultServiceName = "patronus";

    /// <summary>The sampler for everything but probe rounds when <c>OTEL_TRACES_SAMPLER</c> is unset: follow the caller's decision, sample new traces.</summary>
    public const string DefaultSampler = "parentbased_always_on";

    private static readonly string[] s_samplers =
        ["always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"];

    /// <summary>Reads the variables; <paramref name="serviceVersion"/> and <paramref name="instanceId"/> are the defaults of those resource attributes.</summary>
    public static TracingEnvironment Read(IConfiguration config, string serviceVersion, string instanceId)
    {
        ArgumentNullException.ThrowIfNull(config);
        var problems = new List<string>();
        var endpoint = Value(config, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") ?? Value(config, "OTEL_EXPORTER_OTLP_ENDPOINT");
        var enabled = endpoint is not null;
        if (Value(config, "OTEL_SDK_DISABLED") is { } disabled && disabled.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            enabled = false;
        }

        if (Value(config, "OTEL_TRACES_EXPORTER") is { } exporter && !exporter.Equals("otlp", StringComparison.OrdinalIgnoreCase))
        {
            // "none" is the documented off switch; console, zipkin… are not built in.
            enabled = false;
            if (!exporter.Equals("none", StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"OTEL_TRACES_EXPORTER: '{exporter}' is not supported (otlp or none); traces are off");
            }
        }

        var protocol = OtlpWireProtocol.HttpProtobuf;
        var protocolText = Value(config, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") ?? Value(config, "OTEL_EXPORTER_OTLP_PROTOCOL");
        if (protocolText is "grpc")
        {
            protocol = OtlpWireProtocol.Grpc;
        }
        else if (protocolText is not null and not "http/protobuf")
        {
            problems.Add($"OTEL_EXPORTER_OTLP_PROTOCOL: '{protocolText}' is not supported (http/protobuf or grpc); using http/protobuf");
        }

        var sampler = Value(config, "OTEL_TRACES_SAMPLER")?.ToLowerInvariant() ?? DefaultSampler;
        if (!s_samplers.Contains(sampler))
        {
            problems.Add($"OTEL_TRACES_SAMPLER: '{sampler}' is not one of {string.Join(", ", s_samplers)}; using {DefaultSampler}");
            sampler = DefaultSampler;
        }

        var ratio = 1.0;
        if (Value(config, "OTEL_TRACES_SAMPLER_ARG") is { } arg && sampler.EndsWith("traceidratio", StringComparison.Ordinal))
        {
            if (!double.TryParse(arg, NumberStyles.Float, CultureInfo.InvariantCulture, out ratio) || ratio is < 0 or > 1 || double.IsNaN(ratio))
            {
                problems.Add($"OTEL_TRACES_SAMPLER_ARG: '{arg}' is not a ratio between 0 and 1; using 1");
                ratio = 1.0;
            }
        }

        var resource = ReadResource(config, serviceVersion, instanceId, problems);
        return new TracingEnvironment(enabled, endpoint, protocol, sampler, ratio, resource, problems);
    }

    /// <summary>
    /// The resource: defaults (service name <see cref="DefaultServiceName"/>, version, instance id,
    /// host name, the environment from <c>DOTNET_ENVIRONMENT</c>/<c>ASPNETCORE_ENVIRONMENT</c>),
    /// then <c>OTEL_RESOURCE_ATTRIBUTES</c> over them, then <c>OTEL_SERVICE_NAME</c> over all.
    /// </summary>
    private static List<KeyValuePair<string, object>> ReadResource(IConfiguration config, string serviceVersion, string instanceId, List<string> problems)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["service.name"] = DefaultServiceName,
            ["service.version"] = serviceVersion,
            ["service.instance.id"] = instanceId,
            ["host.name"] = Environment.MachineName,
        };
        var fromVariable = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Value(config, "OTEL_RESOURCE_ATTRIBUTES") is { } raw && !TryParseResourceAttributes(raw, fromVariable))
        {
            problems.Add("OTEL_RESOURCE_ATTRIBUTES: not a list of key=value pairs (values percent-encoded); ignored");
            fromVariable.Clear();
        }

        foreach (var (key, value) in fromVariable)
        {
            attributes[key] = value;
        }

        // Semantic conventions renamed deployment.environment to deployment.environment.name (1.27);
        // both are set so that backends keyed on either name find it.
        var environment = attributes.GetValueOrDefault("deployment.environment.name") ?? attributes.GetValueOrDefault("deployment.environment")
            ?? Value(config, "DOTNET_ENVIRONMENT") ?? Value(config, "ASPNETCORE_ENVIRONMENT");
        if (environment is not null)
        {
            attributes["deployment.environment.name"] = environment;
            attributes["deployment.environment"] = environment;
        }

        if (Value(config, "OTEL_SERVICE_NAME") is { } name)
        {
            attributes["service.name"] = name;
        }

        return [.. attributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => new KeyValuePair<string, object>(a.Key, a.Value))];
    }

    /// <summary>
    /// <c>key1=value1,key2=value2</c> with percent-encoded values (the W3C Baggage form the
    /// specification names). Any malformed pair rejects the whole value.
    /// </summary>
    public static bool TryParseResourceAttributes(string raw, IDictionary<string, string> into)
    {
        ArgumentNullException.ThrowIfNull(raw);
        ArgumentNullException.ThrowIfNull(into);
        foreach (var pair in raw.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                return false;
            }

            var key = pair[..equals].Trim();
            var value = pair[(equals + 1)..].Trim();
            if (key.Length == 0 || key.Any(char.IsWhiteSpace))
            {
                return false;
            }

            into[key] = Uri.UnescapeDataString(value); // leaves a malformed %xx as it is
        }

        return true;
    }

    private static string? Value(IConfiguration config, string key) => config[key] is { Length: > 0 } v ? v.Trim() : null;
}
