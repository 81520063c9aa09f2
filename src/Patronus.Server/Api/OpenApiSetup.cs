using Microsoft.OpenApi;

namespace Patronus.Server.Api;

/// <summary>
/// The REST API's OpenAPI document at <c>/openapi/v1.json</c> (Microsoft.AspNetCore.OpenApi), with
/// the bearer scheme declared. Like every API route it needs an access token (viewer): it is a map
/// of the API, and only health and /metrics are open.
/// </summary>
public static class OpenApiSetup
{
    public const string SchemeName = "Bearer";

    public static IServiceCollection AddPatronusOpenApi(this IServiceCollection services) =>
        services.AddOpenApi("v1", options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Patronus REST API";
            document.Info.Description = "SD-WAN edge and controller. Log in at POST /api/v1/auth/login and send the access token as 'Authorization: Bearer …'.";
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "Access token from POST /api/v1/auth/login (15 min by default).",
            };
            document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, document)] = [] }];
            return Task.CompletedTask;
        }));
}
