using System.Net;
using Patronus.Persistence.Tests;
using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.Observability;

/// <summary>
/// On PostgreSQL, the store's commands are traced by Npgsql's own source (Npgsql.OpenTelemetry):
/// a client span per command, inside the request that ran it. The other tests on the shared
/// cluster run one at a time (one collection), so the Npgsql spans the receiver sees are ours.
/// </summary>
[Collection(PostgresCollectionDefinition.Name)]
public sealed class TracingPostgresTests(PostgresFixture postgres)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Server_OnPostgres_StoreCommandsAreClientSpansInsideTheirRequest()
    {
        var (_, location) = await postgres.CreateDatabaseAsync();
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var server = await RunningServer.StartAsync(environment: new()
        {
            ["PATRONUS__STORE__CONNECTIONSTRING"] = location.ConnectionString,
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
            ["OTEL_BSP_SCHEDULE_DELAY"] = "50", // ms between batches (default 5 s)
            ["PATRONUS__TRACING__PROBEROUNDSAMPLERATIO"] = "0",
        });

        using (var path = await server.PostJsonAsync("/api/v1/paths", """{"id":"trace-pg","link_id":"demo-wan1","targets":["127.0.0.1:9"]}"""))
        {
            Assert.Equal(HttpStatusCode.Created, path.StatusCode);
        }

        var command = await receiver.WaitForSpanAsync(s => s.ScopeName == "Npgsql"
            && receiver.Spans.Any(r => r.SpanId == s.ParentSpanId && r.Name == "POST /api/v1/paths/"), s_timeout, "an Npgsql span inside POST /api/v1/paths/");
        Assert.Equal(OtlpSpan.KindClient, command.Kind);
        Assert.Equal("postgresql", command.Attribute("db.system.name"));
        Assert.False(string.IsNullOrEmpty(command.Attribute("db.query.text") as string), command.ToString());
    }
}
