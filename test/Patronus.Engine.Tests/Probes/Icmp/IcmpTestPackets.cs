namespace Patronus.Engine.Tests.Probes.Icmp;

/// <summary>Packets captured from the real Linux stack, shared by the codec tests.</summary>
internal static class IcmpTestPackets
{
    /// <summary>
    /// An echo reply the Linux kernel sent on loopback to a Patronus-format request (identifier
    /// 0x1234, sequence 1, magic "PTRN", full sequence 0x00010001), as received on a raw
    /// IPv4 ICMP socket: a 20-byte IPv4 header (IHL 5, protocol 1, 127.0.0.1 → 127.0.0.1)
    /// followed by the 16-byte ICMP message with the kernel's checksum 0x4b26.
    /// </summary>
    public static readonly byte[] CapturedLinuxReply = Convert.FromHexString(
        "45000024e07a000040019c5c7f0000017f000001" + "00004b26123400015054524e00010001");

    /// <summary>The request that produced <see cref="CapturedLinuxReply"/>, checksum 0x4326.</summary>
    public static readonly byte[] CapturedRequest = Convert.FromHexString("08004326123400015054524e00010001");

    /// <summary><see cref="CapturedLinuxReply"/> with one 4-byte option (NOP NOP NOP EOL): IHL 6, Total Length 40.</summary>
    public static byte[] ReplyWithOptions()
    {
        var packet = new byte[CapturedLinuxReply.Length + 4];
        CapturedLinuxReply.AsSpan(0, 20).CopyTo(packet);
        packet[0] = 0x46;
        packet[3] = 40;
        packet[20] = 1;
        packet[21] = 1;
        packet[22] = 1;
        packet[23] = 0;
        CapturedLinuxReply.AsSpan(20).CopyTo(packet.AsSpan(24));
        return packet;
    }
}
