namespace Patronus.Server.Api;

/// <summary>Wires safe retries of the REST API's writes (<see cref="IdempotencyMiddleware"/>, <see cref="IdempotencyRetention"/>).</summary>
public static class IdempotencyRegistration
{
    public static IServiceCollection AddPatronusIdempotency(this IServiceCollection services)
    {
        services.AddHostedService<IdempotencyRetention>();
        return services;
    }

    /// <summary>After authorization: only a request that is allowed to run claims its key.</summary>
    public static IApplicationBuilder UseIdempotency(this IApplicationBuilder app) => app.UseMiddleware<IdempotencyMiddleware>();
}
