using System.Threading.Channels;
using Patronus.Engine.Loops;
using Patronus.TestSupport;

namespace Patronus.Engine.Tests.Loops;

/// <summary>
/// The loop skeleton running for real on its own task, on a fake clock: each test waits for the
/// loop to be asleep (<see cref="EngineLoop.SleepingForTest"/>) before it moves time, so the
/// iterations it sees are exactly those the clock and the inputs call for.
/// </summary>
public sealed class EngineLoopTests : IAsyncDisposable
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(10);

    private readonly SteppableTimeProvider _clock = new();
    private readonly TestLoop _loop;

    public EngineLoopTests()
    {
        _loop = new TestLoop(_clock);
    }

    [Fact]
    public async Task Start_IteratesAtOnce_ThenAtEveryHeartbeat()
    {
        var start = _clock.GetTimestamp();
        await StartAndSleepAsync();
        Assert.Equal(1, _loop.Iterations);
        Assert.Equal(start, _loop.LastTick);

        _clock.Advance(IEngineLoop.Heartbeat - TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, _loop.Iterations);
        await AdvanceAndSleepAsync(TimeSpan.FromMilliseconds(1));

        Assert.Equal(2, _loop.Iterations);
        Assert.Equal(IEngineLoop.Heartbeat, _clock.GetElapsedTime(start, _loop.LastTick));
    }

    [Fact]
    public async Task Iterate_AsksForADeadline_WakesAtItRoundedUpToTheMillisecond()
    {
        _loop.Next = TimeSpan.FromMilliseconds(249.2);
        var start = _clock.GetTimestamp();
        await StartAndSleepAsync();

        _clock.Advance(TimeSpan.FromMilliseconds(249));
        Assert.Equal(1, _loop.Iterations);
        await AdvanceAndSleepAsync(TimeSpan.FromMilliseconds(1));

        Assert.Equal(2, _loop.Iterations);
        Assert.Equal(TimeSpan.FromMilliseconds(250), _clock.GetElapsedTime(start, _loop.LastTick));
    }

    [Fact]
    public async Task Iterate_AsksForNoSleep_IteratesAgainAtOnce()
    {
        _loop.Next = TimeSpan.Zero;
        _loop.NextAfterFirst = TimeSpan.FromSeconds(1);
        await StartAndSleepAsync();

        Assert.Equal(2, _loop.Iterations);
    }

    [Fact]
    public async Task Wake_ChannelItemOrChange_IteratesWithoutTimePassing()
    {
        await StartAndSleepAsync();

        var sleeping = _loop.SleepingForTest!.Next;
        _loop.Input.Writer.TryWrite(7);
        await sleeping.WaitAsync(s_deadline);
        Assert.Equal(2, _loop.Iterations);
        Assert.Equal([7], _loop.Drained);

        sleeping = _loop.SleepingForTest.Next;
        _loop.Signal.Notify();
        await sleeping.WaitAsync(s_deadline);
        Assert.Equal(3, _loop.Iterations);
        Assert.Equal(1, _loop.ChangesSeen);
    }

    [Fact]
    public async Task Iterate_Throws_LoggedPausedThenCarriesOn()
    {
        _loop.ThrowOnce = true;
        var failed = _loop.Failed.Next;
        await _loop.StartAsync(CancellationToken.None);
        await failed.WaitAsync(s_deadline);
        Assert.Equal("boom", Assert.Single(_loop.Errors).Message);

        // Paused for RetryAfterError (100 ms), then the next iteration.
        var sleeping = _loop.SleepingForTest!.Next;
        await Poll.AssertAsync(() => { _clock.Advance(TimeSpan.FromMilliseconds(10)); return sleeping.IsCompleted; }, s_deadline, "an iteration after the error");
        Assert.Equal(2, _loop.Iterations);
        Assert.False(_loop.ExecuteTask!.IsCompleted);
    }

    [Fact]
    public async Task Stop_WhileAsleep_EndsTheLoopAndRunsStoppedOnce()
    {
        await StartAndSleepAsync();

        await _loop.StopAsync(CancellationToken.None);

        Assert.True(_loop.ExecuteTask!.IsCompletedSuccessfully);
        Assert.Equal(1, _loop.Stopped);
    }

    [Fact]
    public async Task Starting_False_NeverIteratesNorStops()
    {
        _loop.Start = false;
        await _loop.StartAsync(CancellationToken.None);
        await _loop.ExecuteTask!.WaitAsync(s_deadline);

        Assert.Equal(0, _loop.Iterations);
        Assert.Equal(0, _loop.LastTick);
        Assert.Equal(0, _loop.Stopped);
    }

    private async Task StartAndSleepAsync()
    {
        var sleeping = _loop.SleepingForTest!.Next;
        await _loop.StartAsync(CancellationToken.None);
        await sleeping.WaitAsync(s_deadline);
    }

    private async Task AdvanceAndSleepAsync(TimeSpan by)
    {
        var sleeping = _loop.SleepingForTest!.Next;
        _clock.Advance(by);
        await sleeping.WaitAsync(s_deadline);
    }

    public async ValueTask DisposeAsync()
    {
        await _loop.StopAsync(CancellationToken.None);
        _loop.Dispose();
    }

    private sealed class TestLoop : EngineLoop
    {
        private ChangeWatch? _watch;

        public TestLoop(TimeProvider time)
            : base(time)
        {
            SleepingForTest = new ChangeSignal();
        }

        public override string LoopName => "test";

        public Channel<int> Input { get; } = Channel.CreateUnbounded<int>();

        public ChangeSignal Signal { get; } = new();

        public ChangeSignal Failed { get; } = new();

        public bool Start { get; set; } = true;

        public TimeSpan? Next { get; set; }

        public TimeSpan? NextAfterFirst { get; set; }

        public bool ThrowOnce { get; set; }

        public int Iterations { get; private set; }

        public int ChangesSeen { get; private set; }

        public int Stopped { get; private set; }

        public List<int> Drained { get; } = [];

        public List<Exception> Errors { get; } = [];

        protected override ValueTask<bool> StartingAsync(CancellationToken cancellationToken)
        {
            _watch = Signal.Watch();
            WakeOn(Input.Reader);
            WakeOn(_watch);
            return ValueTask.FromResult(Start);
        }

        protected override ValueTask<TimeSpan?> IterateAsync(CancellationToken cancellationToken)
        {
            Iterations++;
            if (ThrowOnce)
            {
                ThrowOnce = false;
                throw new InvalidOperationException("boom");
            }

            while (Input.Reader.TryRead(out var item))
            {
                Drained.Add(item);
            }

            ChangesSeen += _watch!.Consume() ? 1 : 0;
            var next = Next;
            if (NextAfterFirst is { } after)
            {
                Next = after;
            }

            return ValueTask.FromResult(next);
        }

        protected override void LogIterationFailed(Exception exception)
        {
            Errors.Add(exception);
            Failed.Notify();
        }

        protected override ValueTask StoppedAsync()
        {
            Stopped++;
            return ValueTask.CompletedTask;
        }
    }
}
