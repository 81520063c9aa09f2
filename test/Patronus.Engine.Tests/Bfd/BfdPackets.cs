using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Tests.Bfd;

/// <summary>Packets from a simulated peer, as bytes.</summary>
internal static class BfdPackets
{
    public const uint LocalDiscr = 0x1111_1111;
    public const uint PeerDiscr = 0x2222_2222;

    /// <summary>A packet the peer sends, with FRR-like defaults (300 ms both ways, Detect Mult 3).</summary>
    public static BfdControlPacket FromPeer(
        BfdState state,
        uint your = LocalDiscr,
        BfdControlBits bits = BfdControlBits.None,
        uint desiredMinTx = 300_000,
        uint requiredMinRx = 300_000,
        byte detectMult = 3,
        BfdDiagnostic diagnostic = BfdDiagnostic.None,
        uint my = PeerDiscr) =>
        new(1, diagnostic, state, bits, detectMult, BfdControlPacket.Size, my, your, desiredMinTx, requiredMinRx, 0);

    public static byte[] Bytes(this BfdControlPacket packet)
    {
        var bytes = new byte[BfdControlPacket.Size];
        Assert.True(packet.TryWrite(bytes, out _));
        return bytes;
    }
}
