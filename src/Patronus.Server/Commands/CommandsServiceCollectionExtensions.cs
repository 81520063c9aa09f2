namespace Patronus.Server.Commands;

public static class CommandsServiceCollectionExtensions
{
    /// <summary>Adds the write use cases both APIs share (<see cref="TopologyCommands"/>, <see cref="FailoverPolicyCommands"/>).</summary>
    public static IServiceCollection AddPatronusCommands(this IServiceCollection services)
    {
        services.AddSingleton<TopologyCommands>();
        services.AddSingleton<FailoverPolicyCommands>();
        return services;
    }
}
