using System.Diagnostics;
using System.Security.Claims;
using System.Text.Json;
using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Utilities;
using Patronus.Server.GraphQL;

namespace Patronus.Server.Tests.GraphQL;

/// <summary>
/// The Patronus schema against graphql-js: our introspection builds a valid client schema, graphql-js
/// prints it exactly as our printer does, that print is the checked-in schema.graphql (a schema
/// change is a reviewed diff), and the documented example operations are valid.
/// </summary>
public sealed class PatronusSchemaTests
{
    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Patronus.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Patronus.slnx not found");
    }

    private static string CheckedInPath => Path.Combine(RepoRoot(), "src", "Patronus.Server", "GraphQL", "schema.graphql");

    /// <summary>Operations the docs show (docs/api.md); each must be valid against the schema for graphql-js too.</summary>
    public static readonly string[] DocumentedOperations =
    [
        "{ allPathsHealth { pathId latencyMs packetLossPct jitterMs healthScore status lastChecked } }",
        "query($id: ID!) { pathHealth(pathId: $id) { status healthScore } pathStats(pathId: $id, period: HOUR) { uptimePct latencyP95Ms } }",
        "{ allFailoverPolicies { policyId name primaryPathId backupPathIds activePathId enabled } }",
        "mutation { createFailoverPolicy(name: \"to-dc\", primaryPathId: \"p1\", backupPathIds: [\"p2\"], failbackDelaySecs: 60, prefixes: [\"10.20.0.0/16\"]) { policyId activePathId } }",
        "mutation { updateFailoverPolicy(policyId: \"1\", enabled: false) { enabled } }",
        "{ exportMetrics(format: JSON) { exportedAt paths { pathId health { status } traffic { bytesTotal } } policies { policyId bytesMatched } failovers { eventType } } }",
        "subscription { failoverEvents { policyId eventType fromPathId toPathId timestamp } }",
        "subscription { pathHealthChanged(pathId: \"p1\") { pathId status healthScore } }",
        "subscription { pathHealthBatches(intervalMs: 250) { pathId status latencyMs lastChecked } }",
        "{ sites { id name } links { id siteId } paths { id linkId health { status } } bfdSessions { pathId state } }",
    ];

    [Fact]
    public void PrintedSchema_IsTheCheckedInSchemaFile()
    {
        var printed = SchemaPrinter.Print(PatronusSchema.Build());
        if (Environment.GetEnvironmentVariable("PATRONUS_UPDATE_SCHEMA") == "1")
        {
            File.WriteAllText(CheckedInPath, printed);
        }

        Assert.True(File.Exists(CheckedInPath), $"{CheckedInPath} missing; write it with PATRONUS_UPDATE_SCHEMA=1 dotnet test --filter PrintedSchema");
        Assert.Equal(File.ReadAllText(CheckedInPath), printed);
    }

    [Fact]
    public async Task GraphqlJs_BuildsAValidClientSchema_PrintsTheSame_AcceptsTheDocumentedOperations()
    {
        var schema = PatronusSchema.Build();
        var conformance = Path.Combine(RepoRoot(), "test", "Patronus.GraphQL.Tests", "conformance");
        Assert.True(Directory.Exists(Path.Combine(conformance, "node_modules", "graphql")),
            "graphql-js is not installed: run ./test.sh or npm ci --prefix test/Patronus.GraphQL.Tests/conformance");

        // Introspection through the executor, as an authenticated viewer would run it.
        var context = new PatronusGraphQLContext(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Role, "viewer")], "test")),
            new ServiceCollection().BuildServiceProvider(), null);
        var introspection = await new Executor(schema).ExecuteAsync(
            new GraphQLRequest(await File.ReadAllTextAsync(Path.Combine(conformance, "introspection-query.graphql"))), context);
        Assert.Empty(introspection.Errors);

        var input = Path.GetTempFileName();
        try
        {
            await using (var stream = File.Create(input))
            await using (var writer = new Utf8JsonWriter(stream))
            {
                writer.WriteStartObject();
                writer.WritePropertyName("introspection");
                using (var parsed = JsonDocument.Parse(ResultJson.Serialize(introspection)))
                {
                    parsed.RootElement.GetProperty("data").WriteTo(writer);
                }

                writer.WriteStartArray("documents");
                for (var i = 0; i < DocumentedOperations.Length; i++)
                {
                    writer.WriteStartObject();
                    writer.WriteString("name", $"doc{i}");
                    writer.WriteString("text", DocumentedOperations[i]);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            var start = new ProcessStartInfo("node") { WorkingDirectory = conformance, RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add("conformance.mjs");
            start.ArgumentList.Add(input);
            using var node = Process.Start(start)!;
            var stdout = node.StandardOutput.ReadToEndAsync();
            var stderr = node.StandardError.ReadToEndAsync();
            await node.WaitForExitAsync();
            Assert.True(node.ExitCode == 0, $"conformance.mjs: {await stderr}");
            var output = JsonDocument.Parse(await stdout).RootElement;

            Assert.Empty(output.GetProperty("schemaErrors").EnumerateArray());
            Assert.Equal(output.GetProperty("printed").GetString(), SchemaPrinter.Print(schema));
            foreach (var verdict in output.GetProperty("verdicts").EnumerateObject())
            {
                var index = int.Parse(verdict.Name[3..], System.Globalization.CultureInfo.InvariantCulture);
                Assert.True(verdict.Value.GetProperty("syntaxError").ValueKind == JsonValueKind.Null && verdict.Value.GetProperty("errors").GetArrayLength() == 0,
                    $"graphql-js rejects documented operation {DocumentedOperations[index]}: {verdict.Value}");

                // And so do we not.
                Assert.Empty(new Executor(schema).Validate(DocumentedOperations[index]));
            }
        }
        finally
        {
            File.Delete(input);
        }
    }
}
