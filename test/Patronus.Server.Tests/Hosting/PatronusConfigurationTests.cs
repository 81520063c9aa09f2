using Patronus.Persistence;
using Patronus.Server.Hosting;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.Hosting;

public sealed class PatronusConfigurationTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string json)
    {
        var file = Path.Combine(_dir.Path, $"{Guid.NewGuid():N}.json");
        File.WriteAllText(file, json);
        return file;
    }

    private static PatronusConfiguration? Load(string? file, out IReadOnlyList<string> errors,
        Dictionary<string, string?>? env = null, string? dataDir = null, string? urls = null, string? store = null) =>
        PatronusConfiguration.Load(new CommandLineOverrides(file, dataDir, urls, store), env ?? [], out errors);

    [Fact]
    public void Load_NoConfig_QuickstartWithDefaults()
    {
        var config = Load(null, out var errors);

        Assert.Empty(errors);
        Assert.True(config!.IsQuickstart);
        Assert.Equal("http://127.0.0.1:8080", config.Urls);
        Assert.Equal(Path.GetFullPath("./data"), config.DataDir);
        Assert.Equal(StoreProvider.Sqlite, config.Store.Provider);
        Assert.Contains(Path.Combine(Path.GetFullPath("./data"), "patronus.db"), config.Store.ConnectionString, StringComparison.Ordinal);
        Assert.Equal(2, config.Topology.Paths.Count);
    }

    [Theory]
    [InlineData(null, 90)]
    [InlineData("400.00:00:00", 400)]
    public void Load_FailoverEventRetention_DefaultOrSet(string? value, int days)
    {
        var config = Load(null, out var errors, value is null ? null : new() { ["PATRONUS__FAILOVER__EVENTRETENTION"] = value });

        Assert.Empty(errors);
        var failover = new Patronus.Engine.Failover.FailoverOptions();
        Microsoft.Extensions.Configuration.ConfigurationBinder.Bind(config!.Configuration.GetSection("Failover"), failover);
        Assert.Equal(TimeSpan.FromDays(days), failover.EventRetention);
    }

    [Fact]
    public void Load_FailoverEventRetentionUnderAnHour_ErrorNamesKey()
    {
        Load(null, out var errors, new() { ["PATRONUS__FAILOVER__EVENTRETENTION"] = "00:10:00" });

        Assert.Contains(errors, e => e.StartsWith("Failover:EventRetention:", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_UnknownLink_ErrorNamesPathAndLink()
    {
        var file = Write("""
            { "Sites": [ { "Id": "hq" } ],
              "Links": [ { "Id": "wan1", "Site": "hq" } ],
              "Paths": [ { "Id": "hq-to-dc", "Link": "wan9", "Targets": [ "10.240.0.1" ] } ] }
            """);

        Assert.Null(Load(file, out var errors));
        var error = Assert.Single(errors);
        Assert.StartsWith("Paths:0:Link:", error, StringComparison.Ordinal);
        Assert.Contains("hq-to-dc", error, StringComparison.Ordinal);
        Assert.Contains("wan9", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ManyProblems_AllReportedWithKeys()
    {
        var file = Write("""
            { "Sites": [ { "Id": "hq" }, { "Id": "hq" } ],
              "Links": [ { "Id": "wan1", "Site": "hq", "Gateway": "300.1.1.1", "Cost": 70000 } ],
              "Paths": [ { "Id": "p", "Link": "wan1", "Targets": [] } ],
              "Urls": "ftp://x",
              "Store": "mysql://nope" }
            """);

        Assert.Null(Load(file, out var errors));
        Assert.Contains(errors, e => e.StartsWith("Sites:1:Id:", StringComparison.Ordinal) && e.Contains("duplicate", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Links:0:Gateway:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Links:0:Cost:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Paths:0:Targets:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Urls:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Store:ConnectionString:", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("{ \"Sites\": [ ", "not valid JSON")]
    [InlineData("{ \"Urls\": \"http://127.0.0.1:1\", \"Urls\": \"http://127.0.0.1:2\" }", "duplicate")]
    public void Load_BrokenFile_Rejected(string json, string fragment)
    {
        Assert.Null(Load(Write(json), out var errors));
        Assert.Contains(fragment, Assert.Single(errors), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Load_MissingFile_Rejected()
    {
        Assert.Null(Load(Path.Combine(_dir.Path, "nope.json"), out var errors));
        Assert.Contains("does not exist", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_Precedence_FileThenEnvironmentThenFlags()
    {
        var file = Write("""{ "Urls": "http://127.0.0.1:1000", "DataDir": "/tmp/from-file", "Sites": [ { "Id": "hq", "Name": "From file" } ] }""");
        var env = new Dictionary<string, string?>
        {
            ["PATRONUS__URLS"] = "http://127.0.0.1:2000",
            ["PATRONUS__DATADIR"] = "/tmp/from-env",
            ["PATRONUS__SITES__0__NAME"] = "From env",
            ["OTHER__URLS"] = "http://127.0.0.1:9",
        };

        var fromEnv = Load(file, out _, env)!;
        Assert.Equal("http://127.0.0.1:2000", fromEnv.Urls);
        Assert.Equal("/tmp/from-env", fromEnv.DataDir);
        Assert.Equal("From env", fromEnv.Topology.Sites[0].Name);

        var fromFlags = Load(file, out _, env, dataDir: "/tmp/from-flag", urls: "http://127.0.0.1:3000")!;
        Assert.Equal("http://127.0.0.1:3000", fromFlags.Urls);
        Assert.Equal("/tmp/from-flag", fromFlags.DataDir);
    }

    [Fact]
    public void Load_TopologyFromEnvironmentOnly_NotQuickstart()
    {
        var env = new Dictionary<string, string?> { ["PATRONUS__SITES__0__ID"] = "edge" };
        var config = Load(null, out var errors, env);
        Assert.Empty(errors);
        Assert.False(config!.IsQuickstart);
        Assert.Equal("edge", Assert.Single(config.Topology.Sites).Id);
    }

    [Theory]
    [InlineData("postgres://patronus:s3cret@db.example:5433/patronus", StoreProvider.Postgres)]
    [InlineData("Host=127.0.0.1;Port=5432;Database=p;Username=u;Password=s3cret", StoreProvider.Postgres)]
    [InlineData("sqlite:/var/lib/patronus/x.db", StoreProvider.Sqlite)]
    [InlineData("/var/lib/patronus/x.db", StoreProvider.Sqlite)]
    public void Load_StoreSetting_SelectsProviderAndHidesPassword(string store, StoreProvider provider)
    {
        var config = Load(null, out var errors, store: store);
        Assert.Empty(errors);
        Assert.Equal(provider, config!.Store.Provider);
        Assert.DoesNotContain("s3cret", config.Store.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_PostgresUri_ParsedIntoConnectionString()
    {
        var config = Load(null, out _, store: "postgres://pat%40ronus:p%3Aw@db.example:5433/patronus?Timeout=7")!;
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(config.Store.ConnectionString);
        Assert.Equal(("db.example", 5433, "patronus", "pat@ronus", "p:w", 7),
            (builder.Host, builder.Port, builder.Database, builder.Username, builder.Password, builder.Timeout));
    }

    [Theory]
    [InlineData("PATRONUS__Health__MinTimeout", "00:00:02", "Health:MinTimeout: 00:00:02 is greater than MaxTimeout 00:00:01")]
    [InlineData("PATRONUS__Health__WindowCount", "1", "Health:WindowCount: The field WindowCount must be between 2 and 1000.")]
    [InlineData("PATRONUS__Health__Persistence__MinuteRetention", "01:00:00", "Health:Persistence: MinuteRetention (01:00:00) must be at least RawRetention (1.00:00:00)")]
    [InlineData("PATRONUS__Health__Persistence__RawRetention", "00:01:00", "Health:Persistence:RawRetention: The field RawRetention must be between 00:10:00 and 3650.00:00:00.")]
    [InlineData("PATRONUS__Failover__FlapHold", "-00:00:01", "Failover: FlapWindow and RouteRetry must be positive, FlapHold not negative")]
    [InlineData("PATRONUS__Failover__RouteTable", "0", "Failover:RouteTable: The field RouteTable must be between 1 and 4294967295.")]
    [InlineData("PATRONUS__Failover__KernelRoutes", "yes", "Failover: Failed to convert configuration value 'yes' at 'Failover:KernelRoutes' to type 'System.Boolean'.")]
    [InlineData("PATRONUS__Traffic__ReadInterval", "00:00:00.001", "Traffic:ReadInterval: The field ReadInterval must be between 00:00:00.1000000 and 01:00:00.")]
    [InlineData("PATRONUS__Tunnels__Mtu", "100", "Tunnels:Mtu: The field Mtu must be between 1280 and 9000.")]
    [InlineData("PATRONUS__Tunnels__PrivateKey", "hunter2", "Tunnels:PrivateKey: not a base64 key of 32 octets (generate one with 'patronus tunnel genkey')")]
    [InlineData("PATRONUS__GraphQL__MaxDepth", "0", "GraphQL:MaxDepth: The field MaxDepth must be between 1 and 100.")]
    [InlineData("PATRONUS__Tracing__ProbeRoundSampleRatio", "2", "Tracing:ProbeRoundSampleRatio: The field ProbeRoundSampleRatio must be between 0 and 1.")]
    public void Load_BadEngineOption_RejectedNamingKey(string variable, string value, string message)
    {
        Assert.Null(Load(null, out var errors, new Dictionary<string, string?> { [variable] = value }));
        Assert.Equal(message, Assert.Single(errors));
    }

    [Theory]
    [InlineData("Health", "Intervall", "HealthOptions")]
    [InlineData("Health:Persistence", "RawRetenton", "HealthPersistenceOptions")]
    [InlineData("Failover", "FlapHolt", "FailoverOptions")]
    [InlineData("Traffic", "Enable", "TrafficOptions")]
    [InlineData("Tunnels", "Enable", "TunnelOptions")]
    [InlineData("GraphQL", "MaxDepht", "GraphQLOptions")]
    public void Load_UnknownEngineKey_RejectedNamingSection(string section, string key, string type)
    {
        var variable = "PATRONUS__" + section.Replace(":", "__", StringComparison.Ordinal) + "__" + key;

        Assert.Null(Load(null, out var errors, new Dictionary<string, string?> { [variable] = "1" }));
        var error = Assert.Single(errors);
        Assert.StartsWith(section + ": ", error, StringComparison.Ordinal);
        Assert.EndsWith($"{type}: '{key}'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnknownKeyInsideAListOfObjects_RejectedNamingTheKey()
    {
        var file = Write($$"""
            { "Tunnels": { "Peers": [ { "PublicKey": "{{Engine.Tunnels.TunnelKeys.GeneratePrivateKey()}}", "Compresion": "off" } ] } }
            """);

        Assert.Null(Load(file, out var errors));
        var error = Assert.Single(errors);
        Assert.StartsWith("Tunnels: ", error, StringComparison.Ordinal);
        Assert.EndsWith("TunnelPeerOptions: 'Compresion'", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"p1\": \"192.0.2.20:51820\"", null)]
    [InlineData("\"nope\": \"192.0.2.20:51820\"", "Tunnels:Peers:0:Endpoints:nope: no path 'nope' in the topology (paths: p1)")]
    [InlineData("\"p1\": \"[2001:db8::20]:51820\"", "Tunnels:Peers:0:Endpoints:p1: '[2001:db8::20]:51820' is IPv6 but link 'l1' sends from 192.0.2.10 (IPv4)")]
    public void Load_TunnelPeerEndpointsPerPath_CheckedAgainstTheTopology(string endpoints, string? error)
    {
        var file = Write($$"""
            { "Sites": [ { "Id": "a" } ], "Links": [ { "Id": "l1", "Site": "a", "SourceAddress": "192.0.2.10" } ],
              "Paths": [ { "Id": "p1", "Link": "l1", "Targets": [ "192.0.2.20" ] } ],
              "Tunnels": { "Peers": [ { "PublicKey": "{{Engine.Tunnels.TunnelKeys.GeneratePrivateKey()}}", "Endpoints": { {{endpoints}} } } ] } }
            """);

        var config = Load(file, out var errors);

        Assert.Equal(error is null ? [] : [error], errors);
        Assert.Equal(error is null, config is not null);
    }

    [Theory]
    [InlineData("\"PreferredPaths\": [ \"p1\" ]", null)]
    [InlineData("\"PreferredPaths\": [ \"nope\" ]", "TrafficClasses:0:PreferredPaths:0: no path 'nope' in the topology")]
    [InlineData("\"Match\": [ { \"Dscp\": [ \"EF\", \"64\" ] } ]", "TrafficClasses:0:Match:0:Dscp:1: '64' is not 0–63 or a DSCP name (EF, AF11–AF43, CS0–CS7, VA, LE)")]
    public void Load_TrafficClasses_CheckedWithTheTopology(string fields, string? error)
    {
        var file = Write($$"""
            { "Sites": [ { "Id": "a" } ], "Links": [ { "Id": "l1", "Site": "a", "SourceAddress": "192.0.2.10" } ],
              "Paths": [ { "Id": "p1", "Link": "l1", "Targets": [ "192.0.2.20" ] } ],
              "TrafficClasses": [ { "Name": "voice", {{fields}} } ] }
            """);

        var config = Load(file, out var errors);

        Assert.Equal(error is null ? [] : [error], errors);
        Assert.Equal(error is null, config is not null);
    }

    [Fact]
    public void Load_HealthPersistenceSection_Accepted()
    {
        var file = Write("""
            { "Sites": [ { "Id": "hq" } ],
              "Health": { "Interval": "00:00:01", "Persistence": { "RawRetention": "2.00:00:00", "MaxBatchSize": 1000 } } }
            """);

        var config = Load(file, out var errors);

        Assert.Empty(errors);
        Assert.Equal("2.00:00:00", config!.Configuration["Health:Persistence:RawRetention"]);
    }
}
