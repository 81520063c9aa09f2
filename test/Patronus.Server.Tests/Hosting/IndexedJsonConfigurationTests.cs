using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Patronus.Server.Hosting;

namespace Patronus.Server.Tests.Hosting;

/// <summary>
/// The indexed JSON provider must be indistinguishable from the stock one: the same sections, in
/// the same order, with the same values, at every depth — only faster.
/// </summary>
public sealed class IndexedJsonConfigurationTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"patronus-indexed-{Guid.NewGuid():N}.json");

    public void Dispose() => File.Delete(_file);

    [Theory]
    [InlineData("""{ "Sites": [ { "Id": "a" } ], "Paths": [ { "Id": "p1", "Targets": ["10.0.0.1", "10.0.0.2"], "Bfd": { "Peer": "10.0.0.9", "Auth": { "Type": "keyed-sha1" } } }, { "Id": "p2", "Targets": "10.0.0.3", "Thresholds": { "LossPct": 2 } } ] }""")]
    [InlineData("""{ "a": { "B": 1, "b2": { "c": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] } }, "A1": "x", "10": { "2": "y", "1": "z" }, "Empty": {}, "List": [] }""")]
    [InlineData("""{ "Paths": [ { "id": "lower-case keys", "TARGETS": ["1.1.1.1"] } ] }""")]
    public void Sections_SameAsStockJsonProvider_AtEveryDepth(string json)
    {
        File.WriteAllText(_file, json);
        var stock = Build(new JsonConfigurationSource { Path = _file });
        var indexed = Build(new IndexedJsonConfigurationSource { Path = _file });

        Assert.Equal(Walk(stock), Walk(indexed));
        Assert.NotEmpty(Walk(indexed));
    }

    [Fact]
    public void GetChildKeys_MergesEarlierProvidersKeys_SortedLikeConfiguration()
    {
        File.WriteAllText(_file, """{ "Paths": [ { "Id": "p0" }, { "Id": "p1" } ], "Health": { "Interval": "00:00:01" } }""");
        var root = new ConfigurationBuilder()
            .Add(new IndexedJsonConfigurationSource { Path = _file }.WithFileProvider())
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Paths:10:Id"] = "p10", ["Paths:2:Id"] = "p2", ["Health:Window"] = "5" })
            .Build();

        Assert.Equal(["0", "1", "2", "10"], root.GetSection("Paths").GetChildren().Select(c => c.Key));
        Assert.Equal(["Interval", "Window"], root.GetSection("Health").GetChildren().Select(c => c.Key));
    }

    [Fact]
    public void Set_AfterLoad_NewKeyIsAChild()
    {
        File.WriteAllText(_file, """{ "Paths": [ { "Id": "p0" } ] }""");
        var root = Build(new IndexedJsonConfigurationSource { Path = _file });
        Assert.Single(root.GetSection("Paths").GetChildren());

        root["Paths:1:Id"] = "p1";

        Assert.Equal(["0", "1"], root.GetSection("Paths").GetChildren().Select(c => c.Key));
    }

    private static IConfigurationRoot Build(FileConfigurationSource source) => new ConfigurationBuilder().Add(source.WithFileProvider()).Build();

    /// <summary>Every section path with its value, depth first in GetChildren order.</summary>
    private static List<string> Walk(IConfiguration config)
    {
        var result = new List<string>();
        void Visit(IEnumerable<IConfigurationSection> sections)
        {
            foreach (var s in sections)
            {
                result.Add($"{s.Path}={s.Value ?? "(null)"}");
                Visit(s.GetChildren());
            }
        }

        Visit(config.GetChildren());
        return result;
    }
}

internal static class FileSourceExtensions
{
    public static T WithFileProvider<T>(this T source)
        where T : FileConfigurationSource
    {
        source.ResolveFileProvider();
        return source;
    }
}
