using System.Buffers.Binary;
using System.Net;

namespace Patronus.Engine.Tests.Tunnels.Sdwan;

/// <summary>IPv4 and IPv6 packets built field by field for the classifier's tables.</summary>
internal static class PacketBuilder
{
    public static byte[] V4(string source, string destination, byte protocol, int sourcePort = 0, int destinationPort = 0, byte dscp = 0, int fragmentOffset = 0, bool moreFragments = false, int payload = 16)
    {
        var packet = new byte[20 + 8 + payload];
        packet[0] = 0x45;
        packet[1] = (byte)(dscp << 2);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), (ushort)((moreFragments ? 0x2000 : 0) | (fragmentOffset / 8)));
        packet[8] = 64;
        packet[9] = protocol;
        IPAddress.Parse(source).TryWriteBytes(packet.AsSpan(12), out _);
        IPAddress.Parse(destination).TryWriteBytes(packet.AsSpan(16), out _);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20), (ushort)sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(22), (ushort)destinationPort);
        return packet;
    }

    /// <summary>An IPv6 packet with the extension headers given as (type, length in octets), each filled so only its length field matters.</summary>
    public static byte[] V6(string source, string destination, byte protocol, int sourcePort = 0, int destinationPort = 0, byte dscp = 0, (byte Type, int Length, int FragmentOffset)[]? extensions = null, int payload = 16)
    {
        extensions ??= [];
        var extensionBytes = extensions.Sum(e => e.Length);
        var packet = new byte[40 + extensionBytes + 8 + payload];
        var trafficClass = dscp << 2;
        packet[0] = (byte)(0x60 | (trafficClass >> 4));
        packet[1] = (byte)((trafficClass & 0x0F) << 4);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)(packet.Length - 40));
        packet[6] = extensions.Length > 0 ? extensions[0].Type : protocol;
        packet[7] = 64;
        IPAddress.Parse(source).TryWriteBytes(packet.AsSpan(8), out _);
        IPAddress.Parse(destination).TryWriteBytes(packet.AsSpan(24), out _);
        var offset = 40;
        for (var i = 0; i < extensions.Length; i++)
        {
            var (type, length, fragmentOffset) = extensions[i];
            packet[offset] = i + 1 < extensions.Length ? extensions[i + 1].Type : protocol;
            switch (type)
            {
                case 44:
                    BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(offset + 2), (ushort)(fragmentOffset << 3));
                    break;
                case 51:
                    packet[offset + 1] = (byte)((length / 4) - 2);
                    break;
                default:
                    packet[offset + 1] = (byte)((length / 8) - 1);
                    break;
            }

            offset += length;
        }

        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(offset), (ushort)sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(offset + 2), (ushort)destinationPort);
        return packet;
    }
}
