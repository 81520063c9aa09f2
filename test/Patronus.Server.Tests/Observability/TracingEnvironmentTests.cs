using Microsoft.Extensions.Configuration;
using Patronus.Server.Hosting;
using Patronus.Server.Observability;

namespace Patronus.Server.Tests.Observability;

public sealed class TracingEnvironmentTests
{
    private static TracingEnvironment Read(params (string Key, string Value)[] variables)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(variables.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();
        return TracingEnvironment.Read(config, "1.2.3", "instance-1");
    }

    private static Dictionary<string, object> Resource(TracingEnvironment e) => e.Resource.ToDictionary(a => a.Key, a => a.Value);

    [Fact]
    public void Read_NoEndpoint_Disabled()
    {
        var e = Read(("OTEL_SERVICE_NAME", "edge"));

        Assert.False(e.Enabled);
        Assert.Empty(e.Problems);
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT")]
    [InlineData("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")]
    public void Read_Endpoint_EnabledOverHttpProtobufByDefault(string key)
    {
        var e = Read((key, "http://collector:4318"));

        Assert.True(e.Enabled);
        Assert.Equal("http://collector:4318", e.Endpoint);
        Assert.Equal(OtlpWireProtocol.HttpProtobuf, e.Protocol);
        Assert.Equal("parentbased_always_on", e.Sampler);
    }

    [Theory]
    [InlineData("OTEL_SDK_DISABLED", "true")]
    [InlineData("OTEL_TRACES_EXPORTER", "none")]
    public void Read_EndpointButSwitchedOff_Disabled(string key, string value)
    {
        Assert.False(Read(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"), (key, value)).Enabled);
    }

    [Fact]
    public void Read_UnsupportedExporter_DisabledAndSaysWhy()
    {
        var e = Read(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"), ("OTEL_TRACES_EXPORTER", "zipkin"));

        Assert.False(e.Enabled);
        Assert.Contains(e.Problems, p => p.Contains("zipkin", StringComparison.Ordinal));
    }

    [Fact]
    public void Read_Grpc_Grpc()
    {
        Assert.Equal(OtlpWireProtocol.Grpc, Read(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"), ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")).Protocol);
        Assert.Equal(OtlpWireProtocol.Grpc, Read(("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"), ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc")).Protocol);
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")]
    [InlineData("OTEL_TRACES_SAMPLER", "jaeger_remote")]
    public void Read_UnsupportedValue_DefaultAndAProblem(string key, string value)
    {
        var e = Read(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"), (key, value));

        Assert.True(e.Enabled);
        Assert.Equal(OtlpWireProtocol.HttpProtobuf, e.Protocol);
        Assert.Equal(TracingEnvironment.DefaultSampler, e.Sampler);
        Assert.Contains(e.Problems, p => p.StartsWith(key, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("0.25", 0.25, 0)]
    [InlineData("1", 1.0, 0)]
    [InlineData("1.5", 1.0, 1)]
    [InlineData("half", 1.0, 1)]
    public void Read_SamplerArg_RatioOrProblem(string arg, double ratio, int problems)
    {
        var e = Read(("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"), ("OTEL_TRACES_SAMPLER_ARG", arg));

        Assert.Equal("parentbased_traceidratio", e.Sampler);
        Assert.Equal(ratio, e.SamplerRatio);
        Assert.Equal(problems, e.Problems.Count);
    }

    [Fact]
    public void Read_Nothing_DefaultResource()
    {
        var r = Resource(Read());

        Assert.Equal("patronus", r["service.name"]);
        Assert.Equal("1.2.3", r["service.version"]);
        Assert.Equal("instance-1", r["service.instance.id"]);
        Assert.Equal(Environment.MachineName, r["host.name"]);
        Assert.False(r.ContainsKey("deployment.environment"));
    }

    [Fact]
    public void Read_ServiceNameVariableWinsOverResourceAttributesOverDefault()
    {
        Assert.Equal("from-attributes", Resource(Read(("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attributes")))["service.name"]);
        Assert.Equal("from-variable", Resource(Read(("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attributes"), ("OTEL_SERVICE_NAME", "from-variable")))["service.name"]);
    }

    [Fact]
    public void Read_ResourceAttributes_PercentDecodedAndOverrideDefaults()
    {
        var r = Resource(Read(("OTEL_RESOURCE_ATTRIBUTES", "site=paris%20hq, service.version = 9.9 ,k=a%2Cb%3Dc")));

        Assert.Equal("paris hq", r["site"]);
        Assert.Equal("9.9", r["service.version"]);
        Assert.Equal("a,b=c", r["k"]);
    }

    [Theory]
    [InlineData("novalue")]
    [InlineData("=value")]
    [InlineData("ok=1,broken")]
    [InlineData("two words=1")]
    public void Read_MalformedResourceAttributes_IgnoredWhole(string raw)
    {
        var e = Read(("OTEL_RESOURCE_ATTRIBUTES", raw));

        Assert.Single(e.Problems);
        Assert.False(Resource(e).ContainsKey("ok"));
        Assert.Equal("patronus", Resource(e)["service.name"]);
    }

    [Theory]
    [InlineData("DOTNET_ENVIRONMENT", "staging")]
    [InlineData("ASPNETCORE_ENVIRONMENT", "staging")]
    [InlineData("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=staging")]
    [InlineData("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=staging")]
    public void Read_Environment_BothAttributeNames(string key, string value)
    {
        var r = Resource(Read((key, value), ("ASPNETCORE_ENVIRONMENT_UNRELATED", "x")));

        Assert.Equal("staging", r["deployment.environment"]);
        Assert.Equal("staging", r["deployment.environment.name"]);
    }

    [Fact]
    public void Read_ResourceAttributesEnvironmentWinsOverDotnetEnvironment()
    {
        var r = Resource(Read(("DOTNET_ENVIRONMENT", "Development"), ("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=prod-eu")));

        Assert.Equal("prod-eu", r["deployment.environment"]);
    }

    [Fact]
    public void PatronusConfiguration_OtelVariables_ReachConfigurationUnderTheirOwnNames()
    {
        var config = PatronusConfiguration.Load(new CommandLineOverrides(DataDir: Path.GetTempPath()), new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4318",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
            ["DOTNET_ENVIRONMENT"] = "Staging",
            ["PATRONUS__TRACING__PROBEROUNDSAMPLERATIO"] = "0.5",
            ["HOME"] = "/root",
        }, out var errors);

        Assert.True(config is not null, string.Join("\n", errors));
        Assert.Equal("http://127.0.0.1:4318", config!.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        Assert.Equal("100", config.Configuration["OTEL_BSP_SCHEDULE_DELAY"]);
        Assert.Equal("Staging", config.Configuration["DOTNET_ENVIRONMENT"]);
        Assert.Equal("0.5", config.Configuration["Tracing:ProbeRoundSampleRatio"]);
        Assert.Null(config.Configuration["HOME"]);
        Assert.True(TracingEnvironment.Read(config.Configuration, "v", "i").Enabled);
    }
}
