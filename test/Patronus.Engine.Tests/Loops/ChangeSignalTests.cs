using Patronus.Engine.Loops;

namespace Patronus.Engine.Tests.Loops;

public sealed class ChangeSignalTests
{
    [Fact]
    public void Next_CompletesAtTheNextNotifyOnly()
    {
        var signal = new ChangeSignal();
        var next = signal.Next;

        Assert.False(next.IsCompleted);
        signal.Notify();

        Assert.True(next.IsCompletedSuccessfully);
        Assert.False(signal.Next.IsCompleted); // a new one for the change after
    }

    [Fact]
    public void Consume_ManyChanges_ReportsOnceThenNothingUntilTheNext()
    {
        var signal = new ChangeSignal();
        var watch = signal.Watch();
        Assert.False(watch.Consume());

        signal.Notify();
        signal.Notify();
        signal.Notify();

        Assert.True(watch.Consume());
        Assert.False(watch.Consume());
        Assert.False(watch.Pending.IsCompleted);
        signal.Notify();
        Assert.True(watch.Pending.IsCompleted);
        Assert.True(watch.Consume());
    }

    [Fact]
    public void Watch_ChangedAtFirst_FirstConsumeReportsAChange()
    {
        var watch = new ChangeSignal().Watch(changedAtFirst: true);

        Assert.True(watch.Pending.IsCompleted);
        Assert.True(watch.Consume());
        Assert.False(watch.Consume());
    }

    [Fact]
    public void Watches_AreIndependent()
    {
        var signal = new ChangeSignal();
        var a = signal.Watch();
        var b = signal.Watch();

        signal.Notify();

        Assert.True(a.Consume());
        Assert.True(b.Consume());
    }
}
