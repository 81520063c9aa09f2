using Patronus.Engine.Net;

namespace Patronus.Engine.Tests.Net;

public sealed class SharedSocketPoolTests
{
    [Fact]
    public async Task TryAcquire_SameKey_SharesOneSocketUntilItsLastUserLeaves()
    {
        var pool = new SharedSocketPool<string, FakeSocket>();

        Assert.True(pool.TryAcquire("link-a", s => s.TryJoin(), Open, out var first, out _));
        Assert.True(pool.TryAcquire("link-a", s => s.TryJoin(), Open, out var second, out _));
        Assert.True(pool.TryAcquire("link-b", s => s.TryJoin(), Open, out var other, out _));

        Assert.Same(first, second);
        Assert.NotSame(first, other);
        Assert.Equal(2, pool.Count);

        await pool.ReleaseAsync(first, s => s.Users--);
        Assert.False(first.Disposed);
        await pool.ReleaseAsync(second, s => s.Users--);
        Assert.True(first.Disposed);
        Assert.Equal(0, first.Users);
        Assert.Equal([other], pool.Sockets);
    }

    [Fact]
    public async Task TryAcquire_SocketFull_OpensTheNextAndReusesTheFirstOnceItHasRoom()
    {
        var pool = new SharedSocketPool<string, FakeSocket>();
        var opened = new List<int>();
        FakeSocket? Open(string key, int index, out string? failure)
        {
            opened.Add(index);
            failure = null;
            return new FakeSocket(capacity: 2);
        }

        var sockets = Enumerable.Range(0, 3).Select(i => pool.TryAcquire("a", s => s.TryJoin(), Open, out var socket, out _) ? socket : null).ToList();

        Assert.Equal([1, 2], opened);
        Assert.Same(sockets[0], sockets[1]);
        Assert.NotSame(sockets[0], sockets[2]);

        await pool.ReleaseAsync(sockets[0]!, s => s.Users--);
        Assert.True(pool.TryAcquire("a", s => s.TryJoin(), Open, out var again, out _));
        Assert.Same(sockets[0], again);
        Assert.Equal(2, opened.Count);
    }

    [Fact]
    public void TryAcquire_OpenFails_ReturnsItsReasonAndKeepsNothing()
    {
        var pool = new SharedSocketPool<string, FakeSocket>();

        Assert.False(pool.TryAcquire("a", _ => true, (string _, int _, out string? failure) =>
        {
            failure = "address 192.0.2.1 is not on this host";
            return null;
        }, out var socket, out var reason));

        Assert.Null(socket);
        Assert.Equal("address 192.0.2.1 is not on this host", reason);
        Assert.Equal(0, pool.Count);
    }

    [Fact]
    public async Task TakeAll_ThenAcquire_Throws_AndReleaseOfATakenSocketOnlyLeaves()
    {
        var pool = new SharedSocketPool<string, FakeSocket>();
        Assert.True(pool.TryAcquire("a", s => s.TryJoin(), Open, out var socket, out _));

        Assert.Equal([socket], pool.TakeAll());
        Assert.Throws<ObjectDisposedException>(() => pool.TryAcquire("a", s => s.TryJoin(), Open, out _, out _));

        await pool.ReleaseAsync(socket, s => s.Users--);
        Assert.Equal(0, socket.Users);
        Assert.False(socket.Disposed); // TakeAll's caller closes it
    }

    private static FakeSocket? Open(string key, int index, out string? failure)
    {
        failure = null;
        return new FakeSocket(capacity: int.MaxValue);
    }

    private sealed class FakeSocket(int capacity) : IAsyncDisposable
    {
        public int Users { get; set; }

        public bool Disposed { get; private set; }

        public bool TryJoin()
        {
            if (Users == capacity)
            {
                return false;
            }

            Users++;
            return true;
        }

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }
}
