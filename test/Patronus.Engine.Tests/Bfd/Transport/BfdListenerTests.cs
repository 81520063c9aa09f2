using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Patronus.Engine.Bfd.Transport;
using Patronus.TestSupport;

namespace Patronus.Engine.Tests.Bfd.Transport;

/// <summary>A real listener on a loopback port of the kernel's choosing.</summary>
public sealed class BfdListenerTests
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task DisposeAsync_DuringAFlood_ReceiveLoopEndsWithinOneSecond()
    {
        long received = 0;
        var listener = BfdListener.TryStart(IPAddress.Loopback, multihop: false, device: null,
            packet =>
            {
                Interlocked.Increment(ref received);
                packet.Release();
            },
            _ => { }, TimeProvider.System, NullLogger.Instance, out var failure, port: 0);
        Assert.True(listener is not null, failure);

        using var flood = DatagramFlood.Udp(listener.LocalEndPoint, new byte[24]);
        await Poll.AssertAsync(() => Interlocked.Read(ref received) > 1_000, s_deadline, $"the flood is being received ({flood.Sent} sent)");

        var stopping = Stopwatch.StartNew();
        await listener.DisposeAsync().AsTask().WaitAsync(s_deadline);

        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(1), $"stopped after {stopping.Elapsed.TotalMilliseconds:0} ms under a flood of {flood.Sent} datagrams");
    }
}
