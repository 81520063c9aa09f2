namespace Patronus.Engine.Net;

/// <summary>How a <see cref="DatagramReceiver"/> reads.</summary>
/// <param name="MaxDatagram">
/// Longest datagram handed over whole; the buffer holds one octet more, so a longer one is seen
/// (<see cref="ReceivedDatagram.Truncated"/>) even where the kernel's MSG_TRUNC is not reported.
/// </param>
/// <param name="ReadAncillary">Read with recvmsg for the received TTL and local address (64-bit Linux; see <see cref="DatagramReceiver"/>).</param>
/// <param name="BatchReceive">
/// With <paramref name="ReadAncillary"/>: read up to <see cref="DatagramReceiver.ReceiveBatch"/>
/// datagrams per system call with recvmmsg (TTL, source and kernel timestamp, but not the local
/// address), for a handler that never replies (<see cref="ReceivedDatagram.TryReply"/> then
/// fails): the probe sockets, whose replies arrive in bursts.
/// </param>
internal readonly record struct DatagramReceiverOptions(int MaxDatagram, bool ReadAncillary = false, bool BatchReceive = false);
