using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Patronus.Server.Tests.Cli;

/// <summary>
/// A TCP relay on loopback between one <c>serve</c> process and PostgreSQL, so a test can cut that
/// node off its store (<see cref="Cut"/>: every open connection reset, every new one reset at once;
/// <see cref="BlackHole"/>: nothing forwarded any more and nothing refused, connections hang as
/// behind a firewall that drops packets) and give it back (<see cref="Restore"/>) while the other
/// nodes keep their own relays.
/// </summary>
public sealed class ClusterStoreProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private volatile bool _cut;
    private volatile bool _blackHoled;

    // Completed while traffic flows; replaced by a pending one while black-holed.
    private TaskCompletionSource _flowing = Completed();

    public ClusterStoreProxy(IPEndPoint target)
    {
        _target = target;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Resets every connection and every new one until <see cref="Restore"/>.</summary>
    public void Cut()
    {
        _cut = true;
        foreach (var socket in _open.Keys)
        {
            Reset(socket);
        }
    }

    /// <summary>
    /// Forwards nothing until <see cref="Restore"/>, in either direction, on open and new connections
    /// alike, and resets nothing: what was held goes through afterwards, as TCP retransmits once a
    /// dropping path is back.
    /// </summary>
    public void BlackHole()
    {
        if (Volatile.Read(ref _flowing).Task.IsCompleted)
        {
            Volatile.Write(ref _flowing, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }

        _blackHoled = true;
    }

    public void Restore()
    {
        _cut = false;
        _blackHoled = false;
        Volatile.Read(ref _flowing).TrySetResult();
    }

    /// <summary>Waits while black-holed, until <see cref="Restore"/> (bounded by disposal).</summary>
    private async Task HeldAsync()
    {
        if (_blackHoled)
        {
            await Volatile.Read(ref _flowing).Task.WaitAsync(_stop.Token);
        }
    }

    private static TaskCompletionSource Completed()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        done.SetResult();
        return done;
    }

    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0); // close = RST, as a cut cable looks to the peer once it notices
            socket.Close();
        }
        catch (ObjectDisposedException)
        {
            // already gone
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (_cut)
            {
                Reset(client);
                continue;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        _open[client] = 0;
        _open[server] = 0;
        try
        {
            await HeldAsync();
            await server.ConnectAsync(_target, _stop.Token);
            await Task.WhenAny(PumpAsync(client, server), PumpAsync(server, client));
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // cut, or the database went away: both ends are closed below
        }
        finally
        {
            _open.TryRemove(client, out _);
            _open.TryRemove(server, out _);
            Reset(client);
            Reset(server);
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16384];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token)) > 0)
            {
                await HeldAsync();
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // the other pump's end, a cut, or disposal
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var socket in _open.Keys)
        {
            Reset(socket);
        }

        await _accepting;
        _stop.Dispose();
    }
}
