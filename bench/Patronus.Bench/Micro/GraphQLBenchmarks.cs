using System.Buffers;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Patronus.Engine.Cluster;
using Patronus.Engine.Failover;
using Patronus.Engine.Health;
using Patronus.Engine.Paths;
using Patronus.GraphQL.Execution;
using Patronus.Persistence;
using Patronus.Server.Api;
using Patronus.Server.GraphQL;

namespace Patronus.Bench.Micro;

/// <summary>
/// Issue 14 bar 4 without HTTP: one <c>allPathsHealth</c> request with 1,000 paths through the real
/// Patronus schema and executor as <c>POST /graphql</c> runs it (the body read as JSON, parse and
/// validation from the document cache, limits, execution as a viewer, JSON written into a pooled
/// buffer), beside its REST twin's work (<c>GET /api/v1/metrics/health</c>: the same snapshots as
/// the endpoint's objects, serialized with the server's JSON options). Both read the same
/// <see cref="ClusterFeed"/>; the ratio of the two is what the wrk bench compares end to end.
/// </summary>
public class GraphQLBenchmarks
{
    private const int Paths = 1_000;

    private const string Body = "{\"query\":\"{ allPathsHealth { pathId latencyMs packetLossPct jitterMs healthScore status lastChecked } }\"}";

    private readonly byte[] _body = Encoding.UTF8.GetBytes(Body);
    private readonly ArrayBufferWriter<byte> _output = new(1 << 20);
    private DirectoryInfo _dir = null!;
    private ServiceProvider _services = null!;
    private Executor _executor = null!;
    private PatronusGraphQLContext _context = null!;
    private GraphQLRequest _request = null!;
    private ClusterFeed _feed = null!;
    private JsonSerializerOptions _restJson = null!;

    [GlobalSetup]
    public void Setup()
    {
        var now = DateTimeOffset.UtcNow;
        var random = new Random(42);
        var health = new HealthState();
        health.SetPaths(Enumerable.Range(0, Paths).Select(i => new PathHealthSnapshot($"path-{i:D4}", 5 + random.NextDouble() * 40, random.NextDouble() * 2,
            random.NextDouble() * 3, 90 + random.NextDouble() * 10, PathStatus.Up, now, 1, 1, 1, "within thresholds")));

        // The feed shows this instance's health (a cluster of one): the store behind the failover
        // service is never opened, as neither endpoint reads policies.
        _dir = Directory.CreateTempSubdirectory("patronus-bench-graphql-");
        if (!StoreLocation.TryParse("sqlite:" + Path.Combine(_dir.FullName, "b.db"), _dir.FullName, out var location, out var error))
        {
            throw new InvalidOperationException(error);
        }

        var store = new SqliteStore(location!, TimeProvider.System);
        var leadership = new Leadership("bench", TimeProvider.System);
        var failover = new FailoverService(new FailoverPolicyService(store), new TopologyService(store), health,
            new FailoverEventRecorder(store, TimeProvider.System, NullLogger<FailoverEventRecorder>.Instance), new FailoverMetrics(),
            Options.Create(new FailoverOptions()), TimeProvider.System, NullLogger<FailoverService>.Instance, leadership: leadership);
        _feed = new ClusterFeed(leadership, health, failover);
        _services = new ServiceCollection().AddSingleton(_feed).BuildServiceProvider();

        // The server's executor options (limits, timeout) and a viewer, as the endpoint makes them.
        _executor = new Executor(PatronusSchema.Build(), new GraphQLOptions().ToExecutorOptions(TimeProvider.System));
        _context = new PatronusGraphQLContext(new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(Patronus.Server.Security.PatronusClaims.Role, "viewer")], "bench", ClaimTypes.Name, Patronus.Server.Security.PatronusClaims.Role)), _services, "127.0.0.1");
        _request = new GraphQLRequest("{ allPathsHealth { pathId latencyMs packetLossPct jitterMs healthScore status lastChecked } }");

        // As ServerApp configures the HTTP JSON options.
        _restJson = new JsonSerializerOptions(JsonSerializerDefaults.Web) { PropertyNamingPolicy = ApiJson.Options.PropertyNamingPolicy };
        _restJson.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));

        var result = _executor.ExecuteAsync(_request, _context).GetAwaiter().GetResult();
        if (result.Errors.Count > 0)
        {
            throw new InvalidOperationException(result.Errors[0].Message);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _services.Dispose();
        _dir.Delete(recursive: true);
    }

    /// <summary>The REST twin's work: its response objects serialized with the server's options.</summary>
    [Benchmark(Baseline = true)]
    public int RestTwin()
    {
        _output.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(_output))
        {
            var value = new { paths = _feed.All.Select(h => new { path_id = h.PathId, health = PathHealthEndpoints.Health(h) }) };
            JsonSerializer.Serialize(writer, value, _restJson);
        }

        return _output.WrittenCount;
    }

    /// <summary>Execution alone: the completed result tree, not written.</summary>
    [Benchmark]
    public async Task<int> GraphQLExecute()
    {
        var result = await _executor.ExecuteAsync(_request, _context);
        return result.Errors.Count;
    }

    /// <summary>What <c>POST /graphql</c> does between the socket's bytes: read the body, execute, write the JSON.</summary>
    [Benchmark]
    public async Task<int> GraphQLRequest()
    {
        var body = JsonSerializer.Deserialize<JsonElement>(_body);
        if (!ResultJson.TryReadRequest(body, out var request, out var error))
        {
            throw new InvalidOperationException(error);
        }

        var result = await _executor.ExecuteAsync(request!, _context);
        _output.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(_output))
        {
            ResultJson.Write(writer, result);
        }

        return _output.WrittenCount;
    }
}
