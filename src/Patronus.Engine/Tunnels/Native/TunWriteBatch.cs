using System.Buffers.Binary;

namespace Patronus.Engine.Tunnels.Native;

/// <summary>
/// The receive side's half of TSO (what GRO does in a NIC driver): consecutive TCP segments of one
/// flow, decrypted from one batch of datagrams, are joined into one packet written to a TUN device
/// with offloads behind a GSO <see cref="VirtioNetHeader"/>, so the kernel's TCP takes one
/// super-packet instead of ~45 packets and one write instead of ~45. Joined only when nothing but
/// the payload differs: same addresses, ports, IP TOS/TTL (IPv4, no options, not a fragment) or
/// traffic class and flow label (IPv6, no extension header), TCP header length, options,
/// acknowledgement and window; the next sequence number; flags ACK (PSH only on the last); every
/// payload the size of the first (the last may be shorter). Anything else is written as it is.
/// One per receive thread; <see cref="Flush"/> at the end of each batch.
/// </summary>
internal sealed class TunWriteBatch
{
    private const int MaxPacket = 65_535;
    private const byte TcpAck = 0x10;
    private const byte TcpPsh = 0x08;

    private readonly byte[] _frame = new byte[VirtioNetHeader.Size + MaxPacket];
    private int _length;        // octets of the pending packet after the header, 0 = none
    private int _segments;
    private int _gsoSize;
    private int _ipHeader;
    private int _headers;       // IP + TCP header octets
    private uint _nextSequence;
    private bool _closed;       // a shorter or a PSH segment ended the run

    /// <summary>
    /// Takes one decrypted packet: joined to the pending one, or started as the pending one, or
    /// written now; returns how many packets the TUN device refused on the way (0 or more).
    /// </summary>
    public int Add(ReadOnlySpan<byte> packet, ITunWriter tun)
    {
        if (_length > 0 && TryJoin(packet))
        {
            return 0;
        }

        var failed = Flush(tun);
        if (!TryStart(packet))
        {
            failed += tun.Write(packet) ? 0 : 1;
        }

        return failed;
    }

    /// <summary>Writes the pending packet (as a GSO packet when it holds more than one segment); returns 1 when the device refused it.</summary>
    public int Flush(ITunWriter tun)
    {
        if (_length == 0)
        {
            return 0;
        }

        var header = _frame.AsSpan(0, VirtioNetHeader.Size);
        var packet = _frame.AsSpan(VirtioNetHeader.Size, _length);
        header.Clear();
        if (_segments > 1)
        {
            var isV4 = packet[0] >> 4 == 4;
            if (isV4)
            {
                BinaryPrimitives.WriteUInt16BigEndian(packet[2..], (ushort)_length);
                packet.Slice(10, 2).Clear();
                BinaryPrimitives.WriteUInt16BigEndian(packet[10..], Probes.Icmp.InternetChecksum.Compute(packet[.._ipHeader]));
            }
            else
            {
                BinaryPrimitives.WriteUInt16BigEndian(packet[4..], (ushort)(_length - 40));
            }

            // Checksum offload: the field holds the pseudo-header sum, the kernel (or the
            // receiver's stack, which trusts CHECKSUM_PARTIAL) does the rest.
            var tcp = packet[_ipHeader..];
            BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], VirtioNetHeader.PseudoHeaderSum(packet, isV4, tcp.Length));
            header[0] = VirtioNetHeader.FlagNeedsChecksum;
            header[1] = isV4 ? VirtioNetHeader.GsoTcpV4 : VirtioNetHeader.GsoTcpV6;
            BinaryPrimitives.WriteUInt16LittleEndian(header[2..], (ushort)_headers);
            BinaryPrimitives.WriteUInt16LittleEndian(header[4..], (ushort)_gsoSize);
            BinaryPrimitives.WriteUInt16LittleEndian(header[6..], (ushort)_ipHeader);
            BinaryPrimitives.WriteUInt16LittleEndian(header[8..], 16);
        }

        var length = VirtioNetHeader.Size + _length;
        _length = 0;
        return tun.WriteFrame(_frame.AsSpan(0, length)) ? 0 : 1;
    }

    private bool TryStart(ReadOnlySpan<byte> packet)
    {
        if (!TryTcp(packet, out var ipHeader, out var headers) || packet.Length > MaxPacket)
        {
            return false;
        }

        packet.CopyTo(_frame.AsSpan(VirtioNetHeader.Size));
        _length = packet.Length;
        _segments = 1;
        _ipHeader = ipHeader;
        _headers = headers;
        _gsoSize = packet.Length - headers;
        _nextSequence = BinaryPrimitives.ReadUInt32BigEndian(packet[(ipHeader + 4)..]) + (uint)_gsoSize;
        _closed = (packet[ipHeader + 13] & TcpPsh) != 0;
        return true;
    }

    private bool TryJoin(ReadOnlySpan<byte> packet)
    {
        var pending = _frame.AsSpan(VirtioNetHeader.Size, _length);
        if (_closed || !TryTcp(packet, out var ipHeader, out var headers) || ipHeader != _ipHeader || headers != _headers)
        {
            return false;
        }

        var payload = packet.Length - headers;
        var tcp = packet[ipHeader..];
        var pendingTcp = pending[ipHeader..];
        var isV4 = packet[0] >> 4 == 4;
        var sameIp = isV4
            ? packet[1] == pending[1] && packet[8] == pending[8] && packet.Slice(12, 8).SequenceEqual(pending.Slice(12, 8))
            : packet[..4].SequenceEqual(pending[..4]) && packet.Slice(8, 32).SequenceEqual(pending.Slice(8, 32));
        if (!sameIp || payload > _gsoSize || _length + payload > MaxPacket
            || BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]) != _nextSequence
            || !tcp[..4].SequenceEqual(pendingTcp[..4])                                     // ports
            || !tcp.Slice(8, 4).SequenceEqual(pendingTcp.Slice(8, 4))                       // acknowledgement
            || !tcp.Slice(14, 2).SequenceEqual(pendingTcp.Slice(14, 2))                     // window
            || !tcp[20..(headers - ipHeader)].SequenceEqual(pendingTcp[20..(headers - ipHeader)])) // options
        {
            return false;
        }

        packet[headers..].CopyTo(_frame.AsSpan(VirtioNetHeader.Size + _length));
        _length += payload;
        _segments++;
        _nextSequence += (uint)payload;
        if ((tcp[13] & TcpPsh) != 0)
        {
            pendingTcp[13] |= TcpPsh; // the joined packet ends with this segment's PSH
            _closed = true;
        }

        _closed |= payload < _gsoSize;
        return true;
    }

    // A TCP segment with payload whose flags are ACK (and maybe PSH) only, in IPv4 without options
    // or fragmentation, or IPv6 without extension headers; its IP and IP + TCP header lengths.
    private static bool TryTcp(ReadOnlySpan<byte> packet, out int ipHeader, out int headers)
    {
        ipHeader = 0;
        headers = 0;
        if (packet.Length >= 40 && packet[0] == 0x45)
        {
            if (packet[9] != 6 || (BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x3fff) != 0
                || BinaryPrimitives.ReadUInt16BigEndian(packet[2..]) != packet.Length)
            {
                return false;
            }

            ipHeader = 20;
        }
        else if (packet.Length >= 60 && packet[0] >> 4 == 6)
        {
            if (packet[6] != 6 || BinaryPrimitives.ReadUInt16BigEndian(packet[4..]) + 40 != packet.Length)
            {
                return false;
            }

            ipHeader = 40;
        }
        else
        {
            return false;
        }

        var tcpHeader = (packet[ipHeader + 12] >> 4) * 4;
        headers = ipHeader + tcpHeader;
        var flags = packet[ipHeader + 13];
        return tcpHeader >= 20 && headers < packet.Length && (flags & ~TcpPsh) == TcpAck;
    }
}

/// <summary>Where a <see cref="TunWriteBatch"/> writes: a TUN device with offloads (<see cref="TunDevice"/>).</summary>
internal interface ITunWriter
{
    /// <summary>Writes one packet behind an empty header; false when refused.</summary>
    bool Write(ReadOnlySpan<byte> packet);

    /// <summary>Writes a packet behind its own <see cref="VirtioNetHeader"/>; false when refused.</summary>
    bool WriteFrame(ReadOnlySpan<byte> frame);
}
