using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace Patronus.Server.Security;

/// <summary>Wires authentication (JwtBearer), authorization (roles, fallback policy) and the audit log.</summary>
public static class SecurityRegistration
{
    public static IServiceCollection AddPatronusSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        // Validated as part of configuration loading (AuthOptions.Read): bad values never get here.
        services.AddSingleton(Options.Create(AuthOptions.Read(configuration).Options));
        services.AddSingleton<SigningKeys>();
        services.AddSingleton<UserAccounts>();
        services.AddSingleton<UserCache>();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<TokenIssueBudget>();
        services.AddSingleton<TokenIssuer>();
        services.AddSingleton<AuditMetrics>();
        services.AddSingleton<AuditAggregator>();
        services.AddSingleton<AuditLog>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditLog>());
        services.AddHostedService<AuthBootstrap>();
        services.AddSingleton<SetupToken>();
        services.AddHostedService<FirstRunSetup>();
        // Authentication pulls in Data Protection, which nothing here uses (bearer tokens are
        // signed with our own key): keep its key ring in memory instead of writing it under $HOME.
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<SigningKeys>(AccessTokenValidation.Configure);
        services.AddAuthorization(Roles.AddPolicies);
        return services;
    }

    /// <summary>Authentication, the audit log (it needs the user and sees authorization's answer), authorization.</summary>
    public static WebApplication UsePatronusSecurity(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseAuthentication();
        app.UseMiddleware<AuditMiddleware>();
        app.UseAuthorization();
        return app;
    }

    /// <summary>
    /// On a group: every endpoint whose methods include one that changes something (anything but
    /// GET/HEAD/OPTIONS) needs the operator role. Applied last, so it sees every endpoint's methods.
    /// </summary>
    public static TBuilder RequireOperatorForWrites<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.Finally(endpoint =>
        {
            var methods = endpoint.Metadata.OfType<HttpMethodMetadata>().SelectMany(m => m.HttpMethods).ToList();
            if (methods.Count == 0 || methods.Any(m => !HttpMethods.IsGet(m) && !HttpMethods.IsHead(m) && !HttpMethods.IsOptions(m)))
            {
                endpoint.Metadata.Add(new AuthorizeAttribute(Roles.OperatorPolicy));
            }
        });
        return builder;
    }
}
