using Patronus.Engine.Loops;

namespace Patronus.Engine.Tests.Loops;

public sealed class BroadcastTests
{
    [Fact]
    public void Publish_EverySubscriberGetsEveryItemInOrder()
    {
        var broadcast = new Broadcast<string>(8);
        var a = broadcast.Subscribe();
        var b = broadcast.Subscribe();

        broadcast.Publish("x");
        broadcast.Publish("y");

        Assert.Equal(2, broadcast.SubscriberCount);
        Assert.Equal(["x", "y"], Drain(a));
        Assert.Equal(["x", "y"], Drain(b));
    }

    [Fact]
    public void Publish_SlowSubscriber_LosesItsOldestItemsOnly()
    {
        var broadcast = new Broadcast<int>(3);
        var slow = broadcast.Subscribe();

        for (var i = 1; i <= 5; i++)
        {
            broadcast.Publish(i);
        }

        Assert.Equal([3, 4, 5], Drain(slow));
    }

    [Fact]
    public void Publish_BeforeSubscribing_NotSeen()
    {
        var broadcast = new Broadcast<int>(3);
        broadcast.Publish(1);
        var late = broadcast.Subscribe();
        broadcast.Publish(2);

        Assert.Equal([2], Drain(late));
    }

    [Fact]
    public async Task Subscribe_Cancelled_UnsubscribesAndCompletesTheReader()
    {
        var broadcast = new Broadcast<int>(3);
        using var cts = new CancellationTokenSource();
        var reader = broadcast.Subscribe(cts.Token);
        var stays = broadcast.Subscribe();

        await cts.CancelAsync();
        broadcast.Publish(1);

        Assert.Equal(1, broadcast.SubscriberCount);
        Assert.True(reader.Completion.IsCompleted);
        Assert.False(await reader.WaitToReadAsync());
        Assert.Equal([1], Drain(stays));
    }

    [Fact]
    public void Constructor_CapacityBelowOne_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new Broadcast<int>(0));

    private static List<T> Drain<T>(System.Threading.Channels.ChannelReader<T> reader)
    {
        var items = new List<T>();
        while (reader.TryRead(out var item))
        {
            items.Add(item);
        }

        return items;
    }
}
