using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Patronus.Engine.Tests.Hosting;

/// <summary>Binds options from configuration keys through a feature's own registration and reads what validation says.</summary>
internal static class SectionOptions
{
    /// <summary>Configuration holding exactly <paramref name="settings"/>.</summary>
    public static IConfiguration Configuration(params (string Key, string? Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, s.Value))).Build();

    /// <summary>
    /// The validation failures of <typeparamref name="TOptions"/> as <paramref name="add"/> registers
    /// it (e.g. <c>AddHealth</c>) over configuration holding one <paramref name="key"/>; none when valid.
    /// </summary>
    public static IReadOnlyList<string> Failures<TOptions>(Func<IServiceCollection, IConfiguration, IServiceCollection> add, string? key = null, string? value = null)
        where TOptions : class
    {
        var configuration = key is null ? Configuration() : Configuration((key, value));
        using var provider = add(new ServiceCollection(), configuration).BuildServiceProvider();
        try
        {
            _ = provider.GetRequiredService<IOptions<TOptions>>().Value;
            return [];
        }
        catch (OptionsValidationException ex)
        {
            return [.. ex.Failures];
        }
    }
}
