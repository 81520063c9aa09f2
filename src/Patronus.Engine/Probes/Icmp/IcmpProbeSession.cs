using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Patronus.Engine.Probes.Icmp;

/// <summary>
/// A thin handle on a shared <see cref="IcmpSocket"/>: an echo identifier, the target, and the
/// send times of outstanding probes. Sends go straight out of the shared socket; replies are
/// routed here by the socket's receive loop, which calls <see cref="TryComplete"/>.
/// </summary>
internal sealed class IcmpProbeSession : IProbeSession
{
    private const string Protocol = IcmpProbeSessionFactory.MetricProtocol;

    private readonly IcmpProbeSessionFactory _owner;
    private readonly ProbeTarget _target;
    private readonly SocketAddress _remote;
    private readonly byte[] _remoteAddressBytes;
    private readonly Action<ProbeReply> _onReply;
    private readonly IcmpSendRing _sendTimes = new();
    private int _disposed;

    /// <summary>A session on <paramref name="socket"/>, whose clock, metrics and logger it uses.</summary>
    public IcmpProbeSession(IcmpProbeSessionFactory owner, IcmpSocket socket, ushort identifier, ProbeTarget target, IPAddress remote, Action<ProbeReply> onReply)
    {
        _owner = owner;
        Socket = socket;
        Identifier = identifier;
        _target = target;

        // Port 0: a raw IPv6 socket rejects a destination port other than 0 or its protocol
        // (the target's port is STAMP's and means nothing to ICMP).
        _remote = new IPEndPoint(remote, 0).Serialize();
        _remoteAddressBytes = remote.GetAddressBytes();
        _onReply = onReply;
    }

    public ushort Identifier { get; }

    public IcmpSocket Socket { get; }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> SendAsync(uint sequence, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var buffer = ArrayPool<byte>.Shared.Rent(IcmpEchoPacket.Length);
        try
        {
            IcmpEchoPacket.CreateRequest(Socket.Binding.Family, Identifier, sequence).TryWrite(buffer, out var written);

            // Recorded before the send: on loopback the reply can be received before
            // SendToAsync returns.
            _sendTimes.Record(sequence, Socket.TimeProvider.GetTimestamp());
            await Socket.Socket.SendToAsync(buffer.AsMemory(0, written), SocketFlags.None, _remote, cancellationToken).ConfigureAwait(false);
            Socket.Metrics.Sent(Protocol);
            return true;
        }
        catch (SocketException ex)
        {
            Socket.Metrics.SendFailed(Protocol);
            Log.SendFailed(Socket.Logger, _target.PathId, _target.TargetIndex, sequence, ex.SocketErrorCode);
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>True when a reply came from this session's target (address bytes of a sockaddr).</summary>
    internal bool IsFrom(ReadOnlySpan<byte> sourceAddress) => sourceAddress.SequenceEqual(_remoteAddressBytes);

    /// <summary>
    /// Matches a reply to its probe and delivers it (on the receive loop). False when no probe
    /// with that sequence is outstanding: never sent, already answered, or long overwritten.
    /// </summary>
    internal bool TryComplete(uint sequence, long receivedAt)
    {
        if (!_sendTimes.TryTake(sequence, out var sentAt))
        {
            return false;
        }

        Socket.Metrics.Reply(Protocol);

        // A reply being routed while DisposeAsync runs is counted but no longer delivered.
        if (Volatile.Read(ref _disposed) == 0)
        {
            _onReply(new ProbeReply(sequence, TimeSpan.FromTicks(Math.Max(0, Socket.TimeProvider.GetElapsedTime(sentAt, receivedAt).Ticks))));
        }

        return true;
    }

    /// <summary>Releases the identifier; closes the shared socket if this was its last session.</summary>
    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref _disposed, 1) == 0 ? _owner.ReleaseAsync(this) : ValueTask.CompletedTask;
}
