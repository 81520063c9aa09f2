using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Language;
using Patronus.GraphQL.Types;

namespace Patronus.GraphQL.Tests.Execution;

/// <summary>
/// What bounds one request's work: the document's size and tokens before parsing ends, linear
/// validation, and a deadline that stops execution even when resolvers ignore their token.
/// </summary>
public sealed class ExecutorLimitsTests
{
    private static readonly Schema s_schema = TestSchema.Build();

    private static string Typenames(int count) => "{ " + string.Concat(Enumerable.Repeat("__typename ", count)) + "}";

    private static string? Code(ExecutionResult result) =>
        result.Errors.Select(e => e.Extensions?.GetValueOrDefault("code") as string).FirstOrDefault();

    [Fact]
    public async Task Execute_DocumentOverMaxBytes_RefusedUnparsed()
    {
        var executor = new Executor(s_schema);
        foreach (var query in new[] { Typenames(60_000), "{ paths { id } }" + new string(' ', 10_000_000), "{ paths { id } }" + new string('é', 40_000) })
        {
            var result = await executor.ExecuteAsync(new GraphQLRequest(query));
            Assert.False(result.HasData);
            Assert.Equal("DOCUMENT_TOO_LARGE", Code(result));
            Assert.Equal("The document is larger than the limit of 65536 bytes.", result.Errors.Single().Message);
        }

        // Exactly at the limit is fine.
        var atLimit = "{ paths { id } }" + new string(' ', ExecutorOptions.DefaultMaxDocumentBytes - 16);
        Assert.Equal(ExecutorOptions.DefaultMaxDocumentBytes, atLimit.Length);
        Assert.Empty((await executor.ExecuteAsync(new GraphQLRequest(atLimit))).Errors);
    }

    [Fact]
    public async Task Execute_DocumentOverMaxTokens_SyntaxErrorAsGraphqlJs()
    {
        // 20,000 tokens in 40 KB: under the size limit, over the token limit.
        var query = "{" + string.Concat(Enumerable.Repeat(" a", 19_999)) + " }";
        var result = await new Executor(s_schema).ExecuteAsync(new GraphQLRequest(query));
        Assert.False(result.HasData);
        Assert.Equal("Syntax Error: Document contains more than 10000 tokens. Parsing aborted.", result.Errors.Single().Message);
    }

    [Fact]
    public async Task Execute_SixtyThousandTypenames_ValidatedAndRunInLinearTime()
    {
        // Without the size limits, the document: 46 s before (quadratic field merging), ~1 s now.
        var executor = new Executor(s_schema, new ExecutorOptions { MaxDocumentBytes = null, Parser = new ParserOptions { MaxTokens = 1_000_000 } });
        var clock = Stopwatch.StartNew();
        var result = await executor.ExecuteAsync(new GraphQLRequest(Typenames(60_000)));
        Assert.Empty(result.Errors);
        Assert.Equal("Query", result.Data!["__typename"]);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }

    private static Schema SlowSchema(FakeTimeProvider time, TaskCompletionSource started) => new SchemaBuilder()
        .Object("Query", o => o
            .Field("fast", "String", f => f.Resolve(_ => "ok"))
            .Field("waits", "String", f => f.Resolve(async ctx =>
            {
                started.TrySetResult();
                await Task.Delay(Timeout.InfiniteTimeSpan, ctx.CancellationToken);
                return "never";
            }))
            .Field("deaf", "[Int!]", f => f.Resolve(_ => Deaf(time))))
        .Object("Subscription", o => o
            .Field("ticks", "String", f => f
                .Subscribe(_ => Ticks())
                .Resolve(async ctx =>
                {
                    if ((int)ctx.Source! == 2)
                    {
                        started.TrySetResult();
                        await Task.Delay(Timeout.InfiniteTimeSpan, ctx.CancellationToken);
                    }

                    return $"tick {ctx.Source}";
                })))
        .Build();

    // A list that takes "forever" to produce and never looks at a token: the clock passes the
    // deadline while its third item is produced.
    private static IEnumerable<int> Deaf(FakeTimeProvider time)
    {
        for (var i = 0; i < 1_000_000; i++)
        {
            if (i == 3)
            {
                time.Advance(TimeSpan.FromSeconds(10));
            }

            yield return i;
        }
    }

    private static async IAsyncEnumerable<object?> Ticks()
    {
        for (var i = 1; i <= 3; i++)
        {
            await Task.Yield();
            yield return i;
        }
    }

    private static ExecutorOptions DeadlineOptions(FakeTimeProvider time) => new() { ExecutionTimeout = TimeSpan.FromSeconds(10), TimeProvider = time };

    [Fact]
    public async Task Execute_ResolverStillWaitingAtTheDeadline_TimeoutError()
    {
        var time = new FakeTimeProvider();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var executor = new Executor(SlowSchema(time, started), DeadlineOptions(time));

        var running = executor.ExecuteAsync(new GraphQLRequest("{ fast waits }"));
        await started.Task;
        time.Advance(TimeSpan.FromSeconds(9.9));
        Assert.False(running.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(0.1));

        var result = await running;
        Assert.True(result.HasData);
        Assert.Null(result.Data);
        Assert.Equal("EXECUTION_TIMEOUT", Code(result));
        Assert.Equal("The request exceeded the time limit of 10 s and was stopped.", result.Errors.Single().Message);
    }

    [Fact]
    public async Task Execute_ListWhoseResolverIgnoresTokens_StoppedBetweenItems()
    {
        var time = new FakeTimeProvider();
        var executor = new Executor(SlowSchema(time, new TaskCompletionSource()), DeadlineOptions(time));
        var result = await executor.ExecuteAsync(new GraphQLRequest("{ deaf }"));
        Assert.Equal("EXECUTION_TIMEOUT", Code(result));
    }

    [Fact]
    public async Task Execute_CallerCancels_StillThrowsNotATimeout()
    {
        var time = new FakeTimeProvider();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var executor = new Executor(SlowSchema(time, started), DeadlineOptions(time));
        using var cancel = new CancellationTokenSource();
        var running = executor.ExecuteAsync(new GraphQLRequest("{ waits }"), null, cancel.Token);
        await started.Task;
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }

    [Fact]
    public async Task Subscribe_DeadlineBoundsEachEvent_NotTheStream()
    {
        var time = new FakeTimeProvider();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var executor = new Executor(SlowSchema(time, started), DeadlineOptions(time));
        var results = new List<string>();
        var reading = Task.Run(async () =>
        {
            await foreach (var result in executor.SubscribeAsync(new GraphQLRequest("subscription { ticks }")))
            {
                results.Add(ResultJson.Serialize(result));
            }
        });

        // Event 2's execution outlives its 10 s; events 1 and 3 are unaffected, however long the stream lives.
        await started.Task;
        time.Advance(TimeSpan.FromSeconds(10));
        await reading;
        Assert.Equal(3, results.Count);
        Assert.Equal("""{"data":{"ticks":"tick 1"}}""", results[0]);
        Assert.Contains("EXECUTION_TIMEOUT", results[1], StringComparison.Ordinal);
        Assert.Equal("""{"data":{"ticks":"tick 3"}}""", results[2]);
    }
}
