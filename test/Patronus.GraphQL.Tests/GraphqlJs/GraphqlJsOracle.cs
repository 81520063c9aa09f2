using System.Diagnostics;
using System.Text.Json;
using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Types;

namespace Patronus.GraphQL.Tests.GraphqlJs;

/// <summary>
/// Runs conformance/conformance.mjs (graphql-js) once for the test class: our introspection result
/// and the corpus go in, graphql-js's schema checks, printed SDL and per-document verdicts come out.
/// Fails loudly when node or node_modules are missing (./test.sh installs them).
/// </summary>
public sealed class GraphqlJsOracle
{
    public GraphqlJsOracle()
    {
        Directory = FindConformanceDirectory();
        Schema = TestSchema.Build();
        var nodeModules = Path.Combine(Directory, "node_modules", "graphql");
        if (!System.IO.Directory.Exists(nodeModules))
        {
            throw new InvalidOperationException($"graphql-js is not installed at {nodeModules}: run ./test.sh or `npm ci --prefix test/Patronus.GraphQL.Tests/conformance`.");
        }

        IntrospectionQuery = File.ReadAllText(Path.Combine(Directory, "introspection-query.graphql"));
        var introspection = new Executor(Schema).ExecuteAsync(new GraphQLRequest(IntrospectionQuery)).GetAwaiter().GetResult();
        if (introspection.Errors.Count > 0)
        {
            throw new InvalidOperationException("Introspection failed: " + string.Join("; ", introspection.Errors.Select(e => e.Message)));
        }

        IntrospectionJson = ResultJson.Serialize(introspection);
        Documents = System.IO.Directory.GetFiles(Path.Combine(Directory, "corpus"), "*.graphql")
            .OrderBy(f => f, StringComparer.Ordinal)
            .ToDictionary(f => Path.GetFileNameWithoutExtension(f), File.ReadAllText);

        var input = Path.GetTempFileName();
        try
        {
            using (var stream = File.Create(input))
            using (var writer = new Utf8JsonWriter(stream))
            {
                writer.WriteStartObject();
                writer.WritePropertyName("introspection");
                using (var parsed = JsonDocument.Parse(IntrospectionJson))
                {
                    parsed.RootElement.GetProperty("data").WriteTo(writer);
                }

                writer.WriteStartArray("documents");
                foreach (var (name, text) in Documents)
                {
                    writer.WriteStartObject();
                    writer.WriteString("name", name);
                    writer.WriteString("text", text);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            Output = JsonDocument.Parse(RunNode(input)).RootElement.Clone();
        }
        finally
        {
            File.Delete(input);
        }
    }

    public string Directory { get; }

    public Schema Schema { get; }

    public string IntrospectionQuery { get; }

    public string IntrospectionJson { get; }

    public IReadOnlyDictionary<string, string> Documents { get; }

    public JsonElement Output { get; }

    private string RunNode(string inputPath)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("conformance.mjs");
        start.ArgumentList.Add(inputPath);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("node is not installed (apt-get install nodejs npm; ./test.sh does it): " + e.Message, e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(60_000))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("conformance.mjs did not finish in 60 s");
            }

            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"conformance.mjs failed ({process.ExitCode}): {stderr.Result}");
            }

            return stdout.Result;
        }
    }

    private static string FindConformanceDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "test", "Patronus.GraphQL.Tests", "conformance");
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("test/Patronus.GraphQL.Tests/conformance not found above " + AppContext.BaseDirectory);
    }
}
