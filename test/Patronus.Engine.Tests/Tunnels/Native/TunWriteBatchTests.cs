using System.Buffers.Binary;
using Patronus.Engine.Tunnels.Native;

namespace Patronus.Engine.Tests.Tunnels.Native;

// Joined TCP segments must be exactly what the kernel's TSO would cut back into the same segments:
// the joined frame, segmented by VirtioNetHeader (the TUN read side's code), gives back the
// originals byte for byte (checksums included). What may not be joined is written as it came.
public class TunWriteBatchTests
{
    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void Add_ConsecutiveSegmentsOfOneFlow_OneGsoFrameThatSegmentsBackToThem(int version)
    {
        var tun = new RecordingTun();
        var batch = new TunWriteBatch();
        byte[][] segments = [Segment(version, 1000, 100, id: 0), Segment(version, 1100, 100, id: 1), Segment(version, 1200, 40, id: 2, psh: true)];

        foreach (var segment in segments)
        {
            Assert.Equal(0, batch.Add(segment, tun));
        }

        Assert.Equal(0, batch.Flush(tun));

        var frame = Assert.Single(tun.Frames);
        Assert.True(VirtioNetHeader.TryRead(frame, out var header));
        Assert.Equal(version == 4 ? VirtioNetHeader.GsoTcpV4 : VirtioNetHeader.GsoTcpV6, header.GsoType);
        Assert.Equal(100, header.GsoSize);
        var packet = frame.AsSpan(VirtioNetHeader.Size);
        Assert.Equal(3, header.SegmentCount(packet));
        for (var i = 0; i < 3; i++)
        {
            var back = new byte[2000];
            var length = header.Segment(packet, i, back);
            Assert.Equal(segments[i], back.AsSpan(0, length).ToArray());
        }
    }

    [Fact]
    public void Add_GapDifferentFlowOrSyn_WrittenSeparately()
    {
        var tun = new RecordingTun();
        var batch = new TunWriteBatch();
        var otherPort = Segment(4, 1100, 100);
        BinaryPrimitives.WriteUInt16BigEndian(otherPort.AsSpan(20), 40001);
        TcpPackets.CompleteChecksum(otherPort, 4);
        var syn = Segment(4, 1300, 0);
        syn[20 + 13] = 0x02;
        TcpPackets.CompleteChecksum(syn, 4);

        batch.Add(Segment(4, 1000, 100), tun);
        batch.Add(otherPort, tun);           // another flow: the first goes, this one waits
        batch.Add(Segment(4, 1300, 100), tun); // a sequence gap
        batch.Add(syn, tun);                 // not ACK-only: written at once
        batch.Flush(tun);

        Assert.Equal(4, tun.Frames.Count + tun.Plain.Count);
        Assert.All(tun.Frames, f => Assert.Equal(0, f[1])); // no GSO frame: nothing was joined
        Assert.Single(tun.Plain);
    }

    private static byte[] Segment(int version, uint sequence, int payload, ushort id = 0, bool psh = false)
    {
        var packet = TcpPackets.Build(version, sequence, payload, (byte)(0x10 | (psh ? 0x08 : 0)), id, TcpPackets.Timestamp);
        TcpPackets.CompleteChecksum(packet, version);
        return packet;
    }

    private sealed class RecordingTun : ITunWriter
    {
        public List<byte[]> Frames { get; } = [];

        public List<byte[]> Plain { get; } = [];

        public bool Write(ReadOnlySpan<byte> packet)
        {
            Plain.Add(packet.ToArray());
            return true;
        }

        public bool WriteFrame(ReadOnlySpan<byte> frame)
        {
            Frames.Add(frame.ToArray());
            return true;
        }
    }
}
