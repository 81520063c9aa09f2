using Microsoft.Extensions.Primitives;

namespace Patronus.Server.Hosting;

/// <summary>
/// A configuration section that hides some of its children from enumeration, so that binding with
/// <c>ErrorOnUnknownConfiguration</c> does not take a nested section that other options own
/// (<c>Health:Persistence</c> inside <c>Health</c>) for an unknown key. Everything else, paths
/// (and so binding error messages) included, is the section's own.
/// </summary>
internal sealed class SectionWithout(IConfigurationSection section, IReadOnlyCollection<string> hidden) : IConfigurationSection
{
    public string Key => section.Key;

    public string Path => section.Path;

    public string? Value
    {
        get => section.Value;
        set => section.Value = value;
    }

    public string? this[string key]
    {
        get => section[key];
        set => section[key] = value;
    }

    public IEnumerable<IConfigurationSection> GetChildren() =>
        section.GetChildren().Where(c => !hidden.Contains(c.Key, StringComparer.OrdinalIgnoreCase));

    public IChangeToken GetReloadToken() => section.GetReloadToken();

    public IConfigurationSection GetSection(string key) => section.GetSection(key);
}
