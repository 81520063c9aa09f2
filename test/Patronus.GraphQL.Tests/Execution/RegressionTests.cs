using System.Text.Json;
using System.Threading.Channels;
using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Types;

namespace Patronus.GraphQL.Tests.Execution;

/// <summary>Bugs found while building the WebSocket transport, kept fixed.</summary>
public sealed class RegressionTests
{
    [Theory]
    [InlineData("2", typeof(int))]
    [InlineData("-7", typeof(int))]
    [InlineData("4294967296", typeof(long))]
    [InlineData("2.5", typeof(double))]
    [InlineData("1e400", typeof(double))]
    public void ToValue_JsonNumbers_KeepTheirKind(string json, Type expected)
    {
        // A conditional of int, long and double has type double: every number came out as 2.0.
        var value = ResultJson.ToValue(JsonDocument.Parse(json).RootElement);
        Assert.IsType(expected, value);
    }

    [Fact]
    public async Task Subscription_SourceIgnoringTheToken_StillCancelledWhenTheConsumerStops()
    {
        var channel = Channel.CreateUnbounded<int>();
        var schema = new SchemaBuilder()
            .Object("Query", o => o.Field("x", "Int", f => f.Resolve(_ => 1)))
            .Object("Subscription", o => o.Field("n", "Int!", f => f.Subscribe(_ => channel.Reader.ReadAllAsync()))) // no token passed
            .Build();
        using var cts = new CancellationTokenSource();
        await channel.Writer.WriteAsync(1);
        var enumerator = new Executor(schema).SubscribeAsync(new GraphQLRequest("subscription { n }"), null, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await enumerator.MoveNextAsync());

        // Nothing more is written: only cancellation can end the wait.
        var next = enumerator.MoveNextAsync().AsTask();
        await cts.CancelAsync();
        // Bounded, not slept: a source that never sees the cancellation fails with a TimeoutException.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next.WaitAsync(TimeSpan.FromSeconds(10)));
        await enumerator.DisposeAsync();
    }
}
