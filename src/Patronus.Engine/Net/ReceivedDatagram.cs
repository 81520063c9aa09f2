namespace Patronus.Engine.Net;

/// <summary>
/// One datagram as the <see cref="DatagramReceiver"/> hands it over: views into the loop's
/// buffers, valid only during <see cref="IDatagramHandler.OnDatagram"/> (copy what must outlive it).
/// </summary>
internal readonly ref struct ReceivedDatagram
{
    private readonly DatagramReceiver _receiver;

    public ReceivedDatagram(DatagramReceiver receiver, Span<byte> payload, ReadOnlySpan<byte> source, byte ttl, bool truncated, long receivedAt)
    {
        _receiver = receiver;
        Payload = payload;
        Source = source;
        Ttl = ttl;
        Truncated = truncated;
        ReceivedAt = receivedAt;
    }

    /// <summary>The datagram (a raw IPv4 socket's includes the IP header). Writable: a handler may build its reply in place.</summary>
    public Span<byte> Payload { get; }

    /// <summary>The source as the kernel wrote it: a Linux <c>sockaddr_in</c> / <c>sockaddr_in6</c> (<see cref="NativeSocketAddress"/>).</summary>
    public ReadOnlySpan<byte> Source { get; }

    /// <summary>The received IPv4 TTL / IPv6 Hop Limit; 0 unless the receiver reads with recvmsg.</summary>
    public byte Ttl { get; }

    /// <summary>Longer than the receiver's maximum: <see cref="Payload"/> holds only its start.</summary>
    public bool Truncated { get; }

    /// <summary>
    /// When the datagram arrived (a monotonic <see cref="TimeProvider"/> timestamp): by the kernel's
    /// receive timestamp when the receiver reads with recvmsg, else when the loop took it.
    /// </summary>
    public long ReceivedAt { get; }

    /// <summary>
    /// The ancillary data for a reply that leaves from the local address the datagram was sent
    /// to (IP_PKTINFO / IPV6_PKTINFO cmsgs); empty unless the receiver reads with recvmsg. For a
    /// handler that collects its replies and sends them at <see cref="IDatagramHandler.OnBatchEnd"/>.
    /// </summary>
    public ReadOnlySpan<byte> ReplyControl => _receiver.LastReplyControl;

    /// <summary>The receiver's socket (a handler that batches its replies sends on it).</summary>
    public System.Net.Sockets.Socket Socket => _receiver.Socket;

    /// <summary>
    /// Sends the first <paramref name="length"/> octets of <see cref="Payload"/>'s buffer back to
    /// <see cref="Source"/> — from the local address the datagram was sent to when the receiver
    /// reads with recvmsg. Non-blocking: false with <paramref name="errno"/> when the kernel
    /// refuses (EAGAIN when the send buffer is full: the reply is lost).
    /// </summary>
    public bool TryReply(int length, out int errno) => _receiver.TryReplyToLast(length, out errno);
}
