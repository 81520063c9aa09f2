using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Language;
using Patronus.GraphQL.Transport;
using Patronus.GraphQL.Types;

namespace Patronus.Server.GraphQL;

/// <summary>
/// <c>/graphql</c> over HTTP (GraphQL over HTTP, <c>application/json</c>): POST with
/// <c>{"query","operationName","variables"}</c>, or GET with the same as query parameters for
/// queries only (a GET never changes anything). A well-formed request answers 200 with
/// <c>data</c> and/or <c>errors</c>; a malformed one (not JSON, no query) 400; a POST body not
/// declared <c>application/json</c> 415; a body over <see cref="GraphQLOptions.MaxBodyBytes"/> 413. Document size, tokens, depth and complexity are
/// limited before execution and execution time during it (<see cref="GraphQLOptions"/>).
/// </summary>
public static partial class GraphQLEndpoints
{
    public const string Path = "/graphql";

    private static readonly System.Diagnostics.ActivitySource s_activities = new(Engine.Telemetry.PatronusActivitySources.GraphQLName);

    public static IServiceCollection AddPatronusGraphQL(this IServiceCollection services)
    {
        services.AddOptions<GraphQLOptions>().BindConfiguration(GraphQLOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GraphQLOptions>, GraphQLOptionsValidator>());
        services.AddSingleton(_ => PatronusSchema.Build());
        services.AddSingleton(sp =>
        {
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("Patronus.Server.GraphQL");
            var options = sp.GetRequiredService<IOptions<GraphQLOptions>>().Value;
            return new Executor(sp.GetRequiredService<Schema>(), options.ToExecutorOptions(sp.GetRequiredService<TimeProvider>()) with
            {
                OnUnhandledException = (ex, path) => LogResolverFailed(logger, path.ToString() ?? "?", ex),
            });
        });
        return services;
    }

    public static IEndpointRouteBuilder MapPatronusGraphQL(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost(Path, PostAsync).WithTags("graphql");
        app.MapGet(Path, GetAsync).WithTags("graphql");
        return app;
    }

    private static async Task PostAsync(HttpContext context, Executor executor, IOptions<GraphQLOptions> options)
    {
        // GraphQL over HTTP: a POST body is application/json (the media type every server must take),
        // and one without a Content-Type should get a 4xx. No other type is taken, and no look-alike
        // such as application/jsonp — only JSON bodies need a CORS preflight, which guards against CSRF.
        if (!Api.ApiJson.IsJson(context.Request.ContentType))
        {
            await Api.ApiJson.NotJson().ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        // Kestrel enforces the limit while the body streams in (chunked bodies too) by throwing a
        // 413 BadHttpRequestException; a declared length over it is refused before reading.
        var maxBytes = options.Value.MaxBodyBytes;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxBytes;
        }

        if (context.Request.ContentLength > maxBytes)
        {
            await WriteTooLargeAsync(context, maxBytes).ConfigureAwait(false);
            return;
        }

        JsonElement body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await WriteTooLargeAsync(context, maxBytes).ConfigureAwait(false);
            return;
        }
        catch (JsonException ex)
        {
            await WriteAsync(context, StatusCodes.Status400BadRequest, ExecutionResult.RequestError([new GraphQLError($"Body is not JSON: {ex.Message}")])).ConfigureAwait(false);
            return;
        }

        if (!ResultJson.TryReadRequest(body, out var request, out var error))
        {
            await WriteAsync(context, StatusCodes.Status400BadRequest, ExecutionResult.RequestError([new GraphQLError(error!)])).ConfigureAwait(false);
            return;
        }

        await ExecuteAsync(context, executor, request!, allowMutation: true).ConfigureAwait(false);
    }

    private static Task WriteTooLargeAsync(HttpContext context, int maxBytes) =>
        Api.Problems.Status(StatusCodes.Status413PayloadTooLarge, "Body too large",
            $"the body is larger than {maxBytes} bytes ({GraphQLOptions.Section}:{nameof(GraphQLOptions.MaxBodyBytes)})").ExecuteAsync(context);

    private static async Task GetAsync(HttpContext context, Executor executor)
    {
        if (context.WebSockets.IsWebSocketRequest)
        {
            await SubscribeAsync(context, executor).ConfigureAwait(false);
            return;
        }

        var query = context.Request.Query;
        if (query["query"].FirstOrDefault() is not { Length: > 0 } text)
        {
            await WriteAsync(context, StatusCodes.Status400BadRequest, ExecutionResult.RequestError([new GraphQLError("Must provide query string.")])).ConfigureAwait(false);
            return;
        }

        IReadOnlyDictionary<string, object?>? variables = null;
        if (query["variables"].FirstOrDefault() is { Length: > 0 } json)
        {
            try
            {
                variables = ResultJson.ToValue(JsonDocument.Parse(json).RootElement) as IReadOnlyDictionary<string, object?>;
            }
            catch (JsonException)
            {
                variables = null;
            }

            if (variables is null)
            {
                await WriteAsync(context, StatusCodes.Status400BadRequest, ExecutionResult.RequestError([new GraphQLError("\"variables\" must be a JSON object.")])).ConfigureAwait(false);
                return;
            }
        }

        await ExecuteAsync(context, executor, new GraphQLRequest(text, query["operationName"].FirstOrDefault(), variables), allowMutation: false).ConfigureAwait(false);
    }

    private static async Task ExecuteAsync(HttpContext context, Executor executor, GraphQLRequest request, bool allowMutation)
    {
        if (!allowMutation && IsMutation(executor, request))
        {
            context.Response.Headers.Allow = "POST";
            await WriteAsync(context, StatusCodes.Status405MethodNotAllowed,
                ExecutionResult.RequestError([new GraphQLError("Mutations are only accepted with POST.")])).ConfigureAwait(false);
            return;
        }

        var user = new PatronusGraphQLContext(context.User, context.RequestServices, context.Connection.RemoteIpAddress?.ToString(), context);
        // A span per operation (OpenTelemetry's GraphQL conventions), a child of the HTTP request's.
        // Naming it takes a parse of its own: only when tracing listens.
        using var activity = s_activities.HasListeners() ? StartOperationActivity(executor, request) : null;
        var result = await executor.ExecuteAsync(request, user, context.RequestAborted).ConfigureAwait(false);
        if (result.Errors.Count > 0)
        {
            activity?.SetTag("graphql.errors", result.Errors.Count);
            activity?.SetStatus(result.IsRequestError ? System.Diagnostics.ActivityStatusCode.Error : System.Diagnostics.ActivityStatusCode.Unset, result.Errors[0].Message);
        }

        await WriteAsync(context, StatusCodes.Status200OK, result).ConfigureAwait(false);
    }

    /// <summary>
    /// Subscriptions (and any operation) over a WebSocket with the graphql-transport-ws protocol.
    /// The upgrade request is authenticated like every request (header, or <c>?access_token=</c>
    /// for browsers, which cannot set headers on a WebSocket); the connection's operations run as
    /// that caller, with the same per-field roles. Results are pushed as the engine publishes them.
    /// </summary>
    private static async Task SubscribeAsync(HttpContext context, Executor executor)
    {
        if (!context.WebSockets.WebSocketRequestedProtocols.Contains(GraphQLWebSocket.SubProtocol, StringComparer.Ordinal))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync($"WebSocket subprotocol must be {GraphQLWebSocket.SubProtocol}", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        var services = context.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Patronus.Server.GraphQL");
        var user = new PatronusGraphQLContext(context.User, services, context.Connection.RemoteIpAddress?.ToString());
        var metrics = services.GetRequiredService<Export.WebSocketMetrics>();
        // The connection lives as long as the access token it was opened with: at its expiry the
        // socket closes (1001) and the client reconnects with a fresh token.
        var time = services.GetRequiredService<TimeProvider>();
        var left = Timeout.InfiniteTimeSpan;
        if (context.User.FindFirst(Security.PatronusClaims.Expires)?.Value is { } exp && long.TryParse(exp, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds))
        {
            left = DateTimeOffset.FromUnixTimeSeconds(seconds) - time.GetUtcNow();
            left = left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }

        using var expiry = new CancellationTokenSource(left, time);
        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, expiry.Token);

        // …and no longer than the user's rights: a password, role or disable change (token version)
        // ends it within one check, as it refuses the user's next HTTP request.
        var watch = WatchUserAsync(context, time, lifetime);

        using var socket = await context.WebSockets.AcceptWebSocketAsync(GraphQLWebSocket.SubProtocol).ConfigureAwait(false);
        metrics.Opened();
        try
        {
            await GraphQLWebSocket.RunAsync(socket, executor, new GraphQLWsOptions
            {
                Authenticate = (_, _) => ValueTask.FromResult(GraphQLWsAuthResult.Accept(user)),
                MaxMessageBytes = services.GetRequiredService<IOptions<GraphQLOptions>>().Value.MaxBodyBytes,
                TimeProvider = time,
                OnUnhandledException = ex => LogTransportFailed(logger, ex),
            }, lifetime.Token).ConfigureAwait(false);
        }
        finally
        {
            metrics.Closed();
            await lifetime.CancelAsync().ConfigureAwait(false);
            await watch.ConfigureAwait(false);
        }
    }

    /// <summary>How often an open GraphQL WebSocket re-checks that its user still holds the rights its token names.</summary>
    public static readonly TimeSpan UserCheckInterval = TimeSpan.FromSeconds(5);

    private static async Task WatchUserAsync(HttpContext context, TimeProvider time, CancellationTokenSource lifetime)
    {
        var cache = context.RequestServices.GetRequiredService<Security.UserCache>();
        using var timer = new PeriodicTimer(UserCheckInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(lifetime.Token).ConfigureAwait(false))
            {
                // The same check the connection's upgrade request passed (AccessTokenValidation).
                if (!await cache.IsCurrentAsync(context.User, lifetime.Token).ConfigureAwait(false))
                {
                    await lifetime.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The connection ended first.
        }
    }

    private static bool IsMutation(Executor executor, GraphQLRequest request) => Selected(executor, request)?.Operation == OperationType.Mutation;

    private static System.Diagnostics.Activity? StartOperationActivity(Executor executor, GraphQLRequest request)
    {
        var (operationType, operationName) = Describe(executor, request);
        var activity = s_activities.StartActivity($"{operationType} {operationName ?? "anonymous"}".Trim());
        activity?.SetTag("graphql.operation.type", operationType);
        activity?.SetTag("graphql.operation.name", operationName);
        activity?.SetTag("graphql.document", request.Query.Length <= 4096 ? request.Query : request.Query[..4096]);
        return activity;
    }

    private static (string Type, string? Name) Describe(Executor executor, GraphQLRequest request) => Selected(executor, request) is { } op
        ? (op.Operation.ToString().ToLowerInvariant(), op.Name?.Value)
        : ("invalid", null);

    private static OperationDefinitionNode? Selected(Executor executor, GraphQLRequest request)
    {
        // Under the executor's own size and token limits: the executor reports what is over them.
        if (request.Query.Length > executor.Options.MaxDocumentBytes
            || !Parser.TryParse(request.Query, out var document, out _, executor.Options.Parser) || document is null)
        {
            return null; // the executor reports the syntax error
        }

        var operations = document.Definitions.OfType<OperationDefinitionNode>().ToList();
        return request.OperationName is null ? operations.FirstOrDefault() : operations.FirstOrDefault(o => o.Name?.Value == request.OperationName);
    }

    private static async Task WriteAsync(HttpContext context, int status, ExecutionResult result)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        // Straight into the response's pooled pipe buffers: a list response is 100s of KB, and a
        // growing array per response would land on the large object heap under load.
        await using (var writer = new Utf8JsonWriter(context.Response.BodyWriter))
        {
            ResultJson.Write(writer, result);
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "GraphQL WebSocket transport failed")]
    private static partial void LogTransportFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Error, Message = "GraphQL resolver at {Path} failed")]
    private static partial void LogResolverFailed(ILogger logger, string path, Exception exception);
}
