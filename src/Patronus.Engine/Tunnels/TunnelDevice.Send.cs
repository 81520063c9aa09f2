using System.Buffers;
using Patronus.Engine.Tunnels.Noise;
using Patronus.Engine.Tunnels.Wire;

namespace Patronus.Engine.Tunnels;

public sealed partial class TunnelDevice
{
    /// <summary>
    /// Handles one IP packet read from the TUN device: the peer whose allowed prefixes hold its
    /// destination gets it encrypted on the current session, or queued while a handshake runs
    /// (started here when none is).
    /// </summary>
    public void OnTunPacket(ReadOnlySpan<byte> packet)
    {
        ReadOnlySpan<byte> destination;
        if (packet.Length >= 20 && packet[0] >> 4 == 4)
        {
            destination = packet.Slice(16, 4);
        }
        else if (packet.Length >= 40 && packet[0] >> 4 == 6)
        {
            destination = packet.Slice(24, 16);
        }
        else
        {
            Drop(TunnelDropReason.BadInnerPacket);
            return;
        }

        if (_routes.Lookup(destination) is not { } peer)
        {
            Drop(TunnelDropReason.NoRoute);
            return;
        }

        // Classified once, outside the lock: its class steers it (class policies, preferred
        // paths), may duplicate it, and counts it.
        var flow = 0;
        var trafficClass = _classified ? _classifier!.Classify(packet, out flow) : null;
        lock (peer.Lock)
        {
            if ((peer.Steering is { } steering ? steering.For(destination, trafficClass?.Index ?? -1) ?? peer.Endpoint : peer.Endpoint) is not { } endpoint)
            {
                Drop(TunnelDropReason.NoEndpoint, peer);
                return;
            }

            var now = _time.GetTimestamp();
            if (Usable(peer.Current, now) is { } keys)
            {
                SendTransportLocked(peer, keys, packet, endpoint, trafficClass, flow);
                if (keys.IsInitiator
                    && (_time.GetElapsedTime(keys.Created, now) >= TunnelTiming.RekeyAfterTime || keys.SentMessages >= TunnelTiming.RekeyAfterMessages))
                {
                    SendInitiationLocked(peer, isRetry: false);
                }

                return;
            }

            if (peer.Staged.Count >= TunnelTiming.StagedPackets)
            {
                peer.Staged.Dequeue();
                Drop(TunnelDropReason.HandshakeTimeout, peer);
            }

            peer.Staged.Enqueue(packet.ToArray());
            SendInitiationLocked(peer, isRetry: false);
        }
    }

    /// <summary>The destination address of an IPv4 or IPv6 packet (4 or 16 octets), empty for anything else.</summary>
    private static ReadOnlySpan<byte> DestinationOf(ReadOnlySpan<byte> packet) =>
        packet.Length >= 20 && packet[0] >> 4 == 4 ? packet.Slice(16, 4)
        : packet.Length >= 40 && packet[0] >> 4 == 6 ? packet.Slice(24, 16)
        : default;

    private SessionKeys? Usable(SessionKeys? keys, long now) =>
        keys is not null && _time.GetElapsedTime(keys.Created, now) < TunnelTiming.RejectAfterTime
        && keys.SentMessages < ReplayWindow.RejectAfterMessages ? keys : null;

    /// <summary>
    /// Encrypts <paramref name="packet"/> (empty: a keepalive) padded to a multiple of 16 octets
    /// (not beyond the MTU) and sends it to the peer's endpoint for the packet's destination (its
    /// steering, else the plain endpoint) unless the caller resolved it already (and classified
    /// it: <paramref name="trafficClass"/>); caller holds the peer's lock.
    /// </summary>
    private void SendTransportLocked(TunnelPeer peer, SessionKeys keys, ReadOnlySpan<byte> packet, TunnelEndpoint? resolved = null, Sdwan.TrafficClass? trafficClass = null, int flow = 0)
    {
        if (resolved is null && _classified && !packet.IsEmpty)
        {
            trafficClass = _classifier!.Classify(packet, out flow); // a packet staged during a handshake
        }

        var endpoint = resolved ?? (packet.IsEmpty || peer.Steering is not { } steering
            ? DefaultEndpoint(peer)
            : steering.For(DestinationOf(packet), trafficClass?.Index ?? -1) ?? peer.Endpoint);
        if (endpoint is null)
        {
            return;
        }

        var classIndex = packet.IsEmpty ? -1 : trafficClass?.Index ?? -1;
        if (classIndex >= 0)
        {
            peer.Classes?.CountFlow(classIndex, flow);
        }

        // Duplication (issue 16 item 5): a packet of a class that duplicates now goes on its path
        // and on that path's partner (the best other), both copies with the same packet sequence.
        // The class comes from the classifier, which runs only when classes are configured.
        if (_duplicating && trafficClass is not null && peer.Patronus is { } state && !packet.IsEmpty && endpoint.PathId is { } pathId
            && peer.Steering?.Partners.GetValueOrDefault(pathId) is { } partner
            && DuplicatesNow(peer, trafficClass))
        {
            var packetSequence = state.NextPacketSequence(keys);
            SendCopyLocked(peer, keys, packet, endpoint, packetSequence, primary: true, classIndex);
            SendCopyLocked(peer, keys, packet, partner, packetSequence, primary: false, classIndex);
            return;
        }

        SendCopyLocked(peer, keys, packet, endpoint, 0, primary: true, classIndex);
    }

    /// <summary>Whether packets of <paramref name="trafficClass"/> to <paramref name="peer"/> are duplicated now (<c>on-sla-breach</c>: the steering loop's verdict for this peer).</summary>
    private static bool DuplicatesNow(TunnelPeer peer, Sdwan.TrafficClass trafficClass) => trafficClass.Duplication switch
    {
        Sdwan.DuplicationMode.Always => true,
        Sdwan.DuplicationMode.OnSlaBreach => peer.Classes?.Duplicating(trafficClass.Index) ?? false,
        _ => false,
    };

    /// <summary>
    /// Sends one copy of <paramref name="packet"/> to <paramref name="endpoint"/>: its own transport
    /// counter (a nonce is never reused) and path sequence; <paramref name="packetSequence"/> non-zero
    /// marks a duplicated packet (flag D). Only the <paramref name="primary"/> copy moves the peer's
    /// last path (a partner copy is no path switch).
    /// </summary>
    private void SendCopyLocked(TunnelPeer peer, SessionKeys keys, ReadOnlySpan<byte> packet, TunnelEndpoint endpoint, uint packetSequence, bool primary, int classIndex = -1)
    {
        if (!keys.TryNextCounter(out var counter))
        {
            return;
        }

        var now = _time.GetTimestamp();
        var state = packet.IsEmpty ? null : peer.Patronus;
        var pathNumber = state is null ? (byte)0 : peer.PathNumber(endpoint.PathId);
        var echo = default(Sdwan.PendingEcho);
        var headerSize = state is null ? 0
            : state.TryTakeEcho(now, out echo) ? PatronusDataHeader.MaxSize : PatronusDataHeader.BaseSize;

        // The most the plaintext can be (header + packet uncompressed, padded); LZ4 only shortens it.
        var buffer = ArrayPool<byte>.Shared.Rent(TransportHeader.Size + headerSize + packet.Length + 15 + NoiseAead.TagSize);
        int size;
        try
        {
            var plaintext = packet.Length;
            if (state is not null)
            {
                var payload = buffer.AsSpan(TransportHeader.Size + headerSize, packet.Length);
                var compressed = state.Compressor.Compress(packet, payload);
                if (compressed == 0)
                {
                    packet.CopyTo(payload);
                }

                var payloadSize = compressed == 0 ? packet.Length : compressed;
                var flags = (compressed > 0 ? PatronusDataFeatures.Compressed : PatronusDataFeatures.None)
                    | (headerSize == PatronusDataHeader.MaxSize ? PatronusDataFeatures.Echo : PatronusDataFeatures.None)
                    | (packetSequence != 0 ? PatronusDataFeatures.Duplicated : PatronusDataFeatures.None);
                var header = new PatronusDataHeader(
                    flags, pathNumber, echo.PathId, state.NextSequence(pathNumber), packetSequence, Sdwan.MicrosecondClock.From(now, _time.TimestampFrequency),
                    (ushort)packet.Length, (ushort)payloadSize, echo.TimestampUs, echo.HoldUs);
                if (packet.Length > ushort.MaxValue || !header.TryWrite(buffer.AsSpan(TransportHeader.Size, headerSize), out _))
                {
                    return; // not reached: a TUN packet is at most the MTU (≤ 9000)
                }

                plaintext = headerSize + payloadSize;
            }
            else
            {
                packet.CopyTo(buffer.AsSpan(TransportHeader.Size));
            }

            // WireGuard pads to 16 octets but not beyond the MTU; the data header rides on top of it.
            var padded = Math.Max(plaintext, Math.Min((plaintext + 15) & ~15, _mtu + headerSize));
            size = TransportHeader.Size + padded + NoiseAead.TagSize;
            new TransportHeader(keys.RemoteIndex, counter).TryWrite(buffer, out _);
            var body = buffer.AsSpan(TransportHeader.Size, padded);
            body[plaintext..].Clear();
            if (!keys.TrySeal(counter, body, buffer.AsSpan(TransportHeader.Size, padded + NoiseAead.TagSize)))
            {
                return;
            }

            _transport.SendDatagram(buffer.AsSpan(0, size), endpoint);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        peer.LastSent = now;
        peer.SentBytes += size;
        peer.SentPackets++;
        if (classIndex >= 0 && peer.Classes is { } classes)
        {
            classes.CountSent(classIndex, peer.PathNumber(endpoint.PathId), packet.Length, primary);
        }

        if (endpoint.PathId is { } pathId)
        {
            var traffic = peer.PathTraffic(pathId);
            traffic.SentBytes += size;
            traffic.SentPackets++;
            if (primary && peer.LastPathId != pathId)
            {
                // A failover (or a health change) moved the peer's traffic: rare, worth a line.
                if (peer.LastPathId is { } previous)
                {
                    peer.PathSwitches++;
                    LogPathChanged(_logger, Name, peer.Name, pathId, previous);
                }

                peer.LastPathId = pathId;
            }
        }

        peer.KeepaliveDue = 0;
        if (!packet.IsEmpty && peer.NewHandshakeDue == 0)
        {
            peer.NewHandshakeDue = now + ToTimestampTicks(TunnelTiming.NewHandshakeTimeout);
        }
    }
}
