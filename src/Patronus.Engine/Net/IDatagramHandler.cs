using System.Net.Sockets;

namespace Patronus.Engine.Net;

/// <summary>What a <see cref="DatagramReceiver"/> calls, all on its loop (or on a <see cref="DatagramReceiver.Drain"/> caller), one call at a time.</summary>
internal interface IDatagramHandler
{
    /// <summary>One datagram; may reply to it (<see cref="ReceivedDatagram.TryReply"/>). Should not throw: what it throws goes to <see cref="OnLoopError"/>.</summary>
    void OnDatagram(ref ReceivedDatagram datagram);

    /// <summary>The socket reported an error (a queued ICMP error, the bound device gone); the loop goes on, after a pause from the second in a row.</summary>
    void OnReceiveError(SocketException exception);

    /// <summary>Anything else that failed in the loop, usually a bug in <see cref="OnDatagram"/>; the loop goes on.</summary>
    void OnLoopError(Exception exception);

    /// <summary>
    /// The datagrams read in one go (up to <see cref="DatagramReceiver.MaxBatch"/>; one without
    /// recvmsg) have all been handed over: a handler that collects its replies sends them now, in
    /// one system call. Same thread as <see cref="OnDatagram"/>; what it throws goes to <see cref="OnLoopError"/>.
    /// </summary>
    void OnBatchEnd()
    {
    }
}
