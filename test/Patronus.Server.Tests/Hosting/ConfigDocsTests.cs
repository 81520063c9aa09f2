using Patronus.Server.Hosting;

namespace Patronus.Server.Tests.Hosting;

/// <summary>The documented example must stay a valid configuration.</summary>
public sealed class ConfigDocsTests
{
    [Fact]
    public void DocsExample_IsValid()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Patronus.slnx")))
        {
            dir = dir.Parent;
        }

        Assert.NotNull(dir);
        var example = Path.Combine(dir!.FullName, "docs", "examples", "patronus.json");
        var config = PatronusConfiguration.Load(new CommandLineOverrides(example), new Dictionary<string, string?>(), out var errors);

        Assert.True(config is not null, string.Join("\n", errors));
        Assert.Equal(2, config!.Topology.Sites.Count);
        Assert.Equal(2, config.Topology.Links.Count);
        Assert.Equal(2, config.Topology.Paths.Count);
        Assert.False(config.IsQuickstart);
        Assert.Equal(50, config.Topology.PathsById["paris-fibre-fra"].Bfd?.DesiredMinTxMs);
    }
}
