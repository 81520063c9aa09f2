using System.Threading.Channels;
using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Types;

namespace Patronus.GraphQL.Tests.Transport;

/// <summary>
/// A small schema whose <c>events</c> subscription is fed by a channel the test writes to, and
/// which records when the source stream's cancellation token fires.
/// </summary>
internal sealed class TransportSchema
{
    public TransportSchema()
    {
        Schema = new SchemaBuilder()
            .Object("Query", o => o
                .Field("hello", "String", f => f.Resolve(_ => "world"))
                .Field("whoami", "String", f => f.Resolve(ctx => ctx.Context as string))
                .Field("failing", "String", f => f.Resolve(_ => throw new GraphQLException("boom"))))
            .Object("Subscription", o => o
                .Field("events", "Int", f => f.Subscribe(ctx =>
                {
                    ctx.CancellationToken.Register(() => SourceCancelled.TrySetResult());
                    SourceStarted.TrySetResult();
                    return Events.Reader.ReadAllAsync(ctx.CancellationToken);
                }))
                .Field("broken", "Int", f => f.Subscribe(_ => Broken()))
                .Field("deaf", "Int", f => f.Subscribe(_ =>
                {
                    // Ignores every cancellation token (an iterator without an [EnumeratorCancellation]
                    // parameter): only completing Events ends it.
                    SourceStarted.TrySetResult();
                    return Deaf(Events.Reader);
                }))
                .Field("resolverFails", "Int", f => f
                    .Subscribe(ctx => Events.Reader.ReadAllAsync(ctx.CancellationToken))
                    .Resolve(_ => throw new GraphQLException("bad event"))))
            .Build();
        Executor = new Executor(Schema);
    }

    public Schema Schema { get; }

    private static async IAsyncEnumerable<int> Deaf(System.Threading.Channels.ChannelReader<int> reader)
    {
        while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            while (reader.TryRead(out var item))
            {
                yield return item;
            }
        }
    }

    public Executor Executor { get; }

    /// <summary>Events of the <c>events</c> subscription, in order (unbounded: the test is the only writer).</summary>
    public Channel<int> Events { get; } = Channel.CreateUnbounded<int>();

    public TaskCompletionSource SourceStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource SourceCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static async IAsyncEnumerable<int> Broken()
    {
        await Task.Yield();
        yield return 1;
        throw new InvalidOperationException("secret");
    }
}
