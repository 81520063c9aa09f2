using System.Diagnostics.CodeAnalysis;

namespace Patronus.Engine.Net;

/// <summary>
/// Sockets shared by their users, ref-counted, per key (<see cref="LocalBinding"/>, or what a
/// feature shares by): the STAMP sessions of a link share a UDP socket, the ICMP sessions of a
/// link a raw socket, the BFD sessions of a local address a listener. A key may hold several
/// sockets, in opening order, for users that one socket cannot all serve (STAMP's sequence slots).
/// Acquire and release run under one lock, with the user's join and leave step inside it, so a
/// socket is never closed under a user that is just joining; closing the last user's socket
/// happens outside it. Not on a per-packet path.
/// </summary>
internal sealed class SharedSocketPool<TKey, TSocket> : IDisposable, IAsyncDisposable
    where TKey : notnull
    where TSocket : class, IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<TKey, List<TSocket>> _byKey = [];
    private readonly Dictionary<TSocket, (TKey Key, int Users)> _users = new(ReferenceEqualityComparer.Instance);
    private bool _closed;

    /// <summary>Opens the <paramref name="index"/>-th socket (from 1) of <paramref name="key"/>, started; null with the reason when it cannot.</summary>
    public delegate TSocket? Open(TKey key, int index, out string? failure);

    /// <summary>Sockets open, over all keys.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _users.Count;
            }
        }
    }

    /// <summary>The sockets open now, a copy.</summary>
    public IReadOnlyList<TSocket> Sockets
    {
        get
        {
            lock (_gate)
            {
                return [.. _users.Keys];
            }
        }
    }

    /// <summary>
    /// Offers each socket of <paramref name="key"/>, in opening order, to <paramref name="join"/>
    /// until one is taken (join returns true, having registered its user there); when none is,
    /// opens another with <paramref name="open"/>, which join must then take. Both run under the
    /// pool's lock. On success the socket counts one user more.
    /// </summary>
    /// <exception cref="ObjectDisposedException">After <see cref="TakeAll"/>.</exception>
    public bool TryAcquire(TKey key, Func<TSocket, bool> join, Open open, [NotNullWhen(true)] out TSocket? socket, out string? failure)
    {
        ArgumentNullException.ThrowIfNull(join);
        ArgumentNullException.ThrowIfNull(open);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            _byKey.TryGetValue(key, out var sockets);
            foreach (var candidate in sockets ?? [])
            {
                if (join(candidate))
                {
                    AddUser(candidate);
                    socket = candidate;
                    failure = null;
                    return true;
                }
            }

            socket = open(key, (sockets?.Count ?? 0) + 1, out failure);
            if (socket is null)
            {
                return false;
            }

            if (!join(socket))
            {
                throw new InvalidOperationException($"a new socket of {key} refused its first user");
            }

            if (sockets is null)
            {
                sockets = [];
                _byKey.Add(key, sockets);
            }

            sockets.Add(socket);
            _users.Add(socket, (key, 1));
            return true;
        }
    }

    /// <summary>
    /// One user of <paramref name="socket"/> less, after <paramref name="leave"/> (under the lock)
    /// unregistered it; closes the socket when that was the last. Nothing for a socket not in the
    /// pool (after <see cref="TakeAll"/>), apart from <paramref name="leave"/>.
    /// </summary>
    public ValueTask ReleaseAsync(TSocket socket, Action<TSocket>? leave = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        lock (_gate)
        {
            leave?.Invoke(socket);
            if (!_users.TryGetValue(socket, out var entry))
            {
                return ValueTask.CompletedTask;
            }

            if (entry.Users > 1)
            {
                _users[socket] = (entry.Key, entry.Users - 1);
                return ValueTask.CompletedTask;
            }

            _users.Remove(socket);
            var sockets = _byKey[entry.Key];
            sockets.Remove(socket);
            if (sockets.Count == 0)
            {
                _byKey.Remove(entry.Key);
            }
        }

        return socket.DisposeAsync();
    }

    /// <summary>Closes the pool: every socket is handed to the caller to close, and acquiring throws from now on.</summary>
    public IReadOnlyList<TSocket> TakeAll()
    {
        lock (_gate)
        {
            _closed = true;
            var all = _users.Keys.ToList();
            _users.Clear();
            _byKey.Clear();
            return all;
        }
    }

    /// <summary>
    /// Closes the pool and each socket without waiting for its receive loop: a socket that is
    /// also <see cref="IDisposable"/> is disposed, any other one's disposal is started and left
    /// to finish. Acquiring throws from now on.
    /// </summary>
    public void Dispose()
    {
        foreach (var socket in TakeAll())
        {
            if (socket is IDisposable disposable)
            {
                disposable.Dispose();
            }
            else
            {
                _ = socket.DisposeAsync().AsTask();
            }
        }
    }

    /// <summary>Closes the pool and each socket, waiting for each. Acquiring throws from now on.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var socket in TakeAll())
        {
            await socket.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void AddUser(TSocket socket)
    {
        var entry = _users[socket];
        _users[socket] = (entry.Key, entry.Users + 1);
    }
}
