using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Bfd;
using Patronus.Engine.Bfd.Transport;
using Patronus.Engine.Bfd.Wire;
using Patronus.Engine.Paths;
using Patronus.Persistence;

namespace Patronus.Engine.Tests.Bfd;

/// <summary>
/// The BFD loop's passes allocate nothing once a session is Up and nothing changes: every
/// collection is a chance for the runtime to freeze the loop past a Detection Time (docs/bfd.md,
/// "What a steady serve allocates"). One <see cref="BfdService"/> on a fake clock, its session's
/// real sockets on loopback (127.0.9.x); the peer is a <see cref="BfdSessionState"/> on the test
/// thread that reads the service's packets from a socket bound to the peer address and hands its
/// own to the service as a listener would. Only the service's calls are measured.
/// </summary>
public sealed class BfdSteadyStateAllocationTests
{
    private const string Local = "127.0.9.1";
    private const string PeerAddress = "127.0.9.2";
    private const int PeerSourcePort = 49152;

    [Fact]
    public async Task SessionUp_TenSecondsOfOneMillisecondPasses_AllocateNothing()
    {
        var dir = Directory.CreateTempSubdirectory("patronus-bfd-alloc-");
        try
        {
            Assert.True(StoreLocation.TryParse("sqlite:" + Path.Combine(dir.FullName, "t.db"), dir.FullName, out var location, out var error), error);
            await using var store = new SqliteStore(location!, TimeProvider.System);
            using var topology = new TopologyService(store);
            using var metrics = new BfdMetrics();
            var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 5, 0, 0, 0, TimeSpan.Zero));
            using var service = new BfdService(topology, metrics, time, NullLogger<BfdService>.Instance, new Random(1), useIoUring: true);
            using var peerSocket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            peerSocket.Bind(new IPEndPoint(IPAddress.Parse(PeerAddress), BfdPorts.SingleHop));
            var peer = new Peer(service, peerSocket, time);

            service.ApplyTopologyForTest(Topology(), time.GetTimestamp());
            peer.Run(TimeSpan.FromSeconds(3), measure: false);
            Assert.Equal(BfdState.Up, service.Sessions["p"].SessionState);
            Assert.Equal(BfdState.Up, peer.Core.SessionState);
            var view = service.Sessions["p"];
            var received = view.Counters.Received;

            var allocated = peer.Run(TimeSpan.FromSeconds(10), measure: true);

            Assert.Same(view, service.Sessions["p"]); // nothing changed: the published view is the same object
            Assert.Equal(BfdState.Up, peer.Core.SessionState);
            Assert.InRange(view.Counters.Received - received, 150, 250); // ~20 a second, with jitter
            Assert.Equal(0, allocated);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            dir.Delete(recursive: true);
        }
    }

    private static TopologySnapshot Topology() => new(
        [new Site("s", "s", null, ItemSource.Api)],
        [new WanLink("l", "s", "l", null, Local, null, 10, ItemSource.Api)],
        [new PathDefinition("p", "p", "l", null, [PeerAddress], ItemSource.Api,
            Bfd: new BfdPathSettings(PeerAddress, DesiredMinTxMs: 50, RequiredMinRxMs: 50, DetectMultiplier: 3))]);

    /// <summary>The far end, driven on the test thread between the service's passes.</summary>
    private sealed class Peer(BfdService service, Socket socket, FakeTimeProvider time)
    {
        // Datagrams handed to the service must outlive its next pass; a pass sees at most a few.
        private readonly byte[][] _ring = [new byte[64], new byte[64], new byte[64], new byte[64]];
        private readonly byte[] _receive = new byte[128];
        private readonly BfdAddress _peer = BfdAddress.From(IPAddress.Parse(PeerAddress));
        private readonly BfdAddress _local = BfdAddress.From(IPAddress.Parse(Local));
        private int _next;
        private long _allocated;
        private bool _measure;

        public BfdSessionState Core { get; } = new(BfdSessionSettings.FromMilliseconds(50, 50, 3), 0xBEEF, time, new Random(2), time.GetTimestamp());

        /// <summary>Passes 1 ms apart for <paramref name="duration"/>; the bytes the service's calls allocated.</summary>
        public long Run(TimeSpan duration, bool measure)
        {
            _measure = measure;
            _allocated = 0;
            var end = time.GetTimestamp() + (long)(duration.TotalSeconds * time.TimestampFrequency);
            while (time.GetTimestamp() < end)
            {
                var now = time.GetTimestamp();
                Measured(() => service.Iterate(now));
                while (socket.Available > 0)
                {
                    var length = socket.Receive(_receive);
                    var datagram = _receive.AsSpan(0, length);
                    if (BfdReception.Check(datagram, out var packet) == BfdDropReason.None &&
                        Core.OnPacketReceived(datagram, packet, now).TransmitFinal)
                    {
                        Send(now);
                    }
                }

                if (Core.OnTimer(now).TransmitDue)
                {
                    Send(now);
                }

                time.Advance(TimeSpan.FromMilliseconds(1));
            }

            return _allocated;
        }

        private void Send(long now)
        {
            var buffer = _ring[_next++ % _ring.Length];
            Assert.True(Core.TryBuildPacket(buffer, now, out var length));
            var inbound = new BfdInbound(new ArraySegment<byte>(buffer, 0, length), BfdPorts.SendTtl, _peer, PeerSourcePort, _local, Multihop: false, now);
            Measured(() => service.DeliverForTest(inbound));
        }

        private void Measured(Action call)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            call();
            if (_measure)
            {
                _allocated += GC.GetAllocatedBytesForCurrentThread() - before;
            }
        }
    }
}
