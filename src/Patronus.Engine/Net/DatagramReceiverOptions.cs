namespace Patronus.Engine.Net;

/// <summary>How a <see cref="DatagramReceiver"/> reads.</summary>
/// <param name="MaxDatagram">
/// Longest datagram handed over whole; the buffer holds one octet more, so a longer one is seen
/// (<see cref="ReceivedDatagram.Truncated"/>) even where the kernel's MSG_TRUNC is not reported.
/// </param>
/// <param name="ReadAncillary">Read with recvmsg for the received TTL and local address (64-bit Linux; see <see cref="DatagramReceiver"/>).</param>
internal readonly record struct DatagramReceiverOptions(int MaxDatagram, bool ReadAncillary = false);
