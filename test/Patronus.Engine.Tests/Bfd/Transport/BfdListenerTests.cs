using System.Net;
using System.Net.Sockets;
using Patronus.Engine.Bfd.Transport;
using Patronus.Engine.Net;
using Patronus.TestSupport;

namespace Patronus.Engine.Tests.Bfd.Transport;

/// <summary>A real listener on a loopback port of the kernel's choosing, read as the session loop reads it.</summary>
public sealed class BfdListenerTests
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Receive_DatagramQueued_EpollReportsIt_BatchHasTtlSourceAndKernelTimestamp()
    {
        using var epoll = LinuxEpoll.TryCreate(16, out var error);
        Assert.True(epoll is not null, error);
        var listener = BfdListener.TryStart(IPAddress.Loopback, multihop: false, device: null, epoll, 7, out var failure, port: 0);
        Assert.True(listener is not null, failure);
        await using var _ = listener;
        var batch = new LinuxReceiveBatch(4, BfdListener.MaxDatagram);

        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { Ttl = 255 };
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var before = BfdArrival.RealTimeNs();
        peer.SendTo(new byte[24], listener.LocalEndPoint);
        peer.SendTo(new byte[200], listener.LocalEndPoint);

        var ready = await Poll.UntilAsync(() => epoll.Wait(TimeSpan.Zero) == 1 && epoll.DataAt(0) == 7, s_deadline);
        Assert.True(ready, "epoll reported the listener");
        var count = listener.Receive(batch, out var errno);
        var after = BfdArrival.RealTimeNs();

        Assert.Equal(2, count);
        Assert.Equal(11, errno); // fewer than the batch holds: the queue was read empty (EAGAIN)
        Assert.Equal(24, batch.Payload(0).Length);
        Assert.False(batch.Truncated(0));
        Assert.True(batch.Truncated(1)); // 200 octets: longer than any BFD packet
        Assert.Equal(255, batch.Ttl(0));
        Assert.True(BfdAddress.TryRead(batch.Source(0), out var source, out var port));
        Assert.Equal(BfdAddress.From(IPAddress.Loopback), source);
        Assert.Equal(((IPEndPoint)peer.LocalEndPoint!).Port, port);
        Assert.InRange(batch.KernelTimeNs(0), before - 1_000_000, after); // stamped by the kernel between send and read
        Assert.Equal(0, listener.Receive(batch, out errno));
        Assert.Equal(11, errno);
    }

    [Fact]
    public async Task Wait_WokenFromAnotherThread_ReturnsWakeDataOnce()
    {
        using var epoll = LinuxEpoll.TryCreate(16, out var error);
        Assert.True(epoll is not null, error);

        var waiting = Task.Run(() => epoll.Wait(TimeSpan.FromSeconds(30)) == 1 && epoll.DataAt(0) == LinuxEpoll.WakeData);
        epoll.Wake();

        Assert.True(await waiting.WaitAsync(s_deadline));
        Assert.Equal(0, epoll.Wait(TimeSpan.Zero)); // the wake-up was consumed
    }
}
