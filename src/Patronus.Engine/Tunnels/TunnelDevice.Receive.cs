using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using Patronus.Engine.Tunnels.Noise;
using Patronus.Engine.Tunnels.Wire;

namespace Patronus.Engine.Tunnels;

public sealed partial class TunnelDevice
{
    /// <summary>Handles one datagram from <paramref name="from"/> that arrived on the listen socket.</summary>
    public void OnDatagram(ReadOnlySpan<byte> datagram, IPEndPoint from) => OnDatagram(datagram, new TunnelEndpoint(from));

    /// <summary>
    /// Handles one datagram from <paramref name="from"/> (its address and the socket it arrived
    /// on: replies leave by the same socket). Any source is accepted once the datagram
    /// authenticates, whichever of the peer's endpoints it is or is not (WireGuard roaming).
    /// </summary>
    public void OnDatagram(ReadOnlySpan<byte> datagram, TunnelEndpoint from)
    {
        ArgumentNullException.ThrowIfNull(from);
        if (!MessageHeader.TryReadType(datagram, out var type))
        {
            Drop(TunnelDropReason.Malformed);
            return;
        }

        switch (type)
        {
            case MessageType.HandshakeInitiation:
                OnInitiation(datagram, from);
                break;
            case MessageType.HandshakeResponse:
                OnResponse(datagram, from);
                break;
            case MessageType.CookieReply:
                OnCookieReply(datagram);
                break;
            default:
                OnTransport(datagram, from);
                break;
        }
    }

    private void OnInitiation(ReadOnlySpan<byte> datagram, TunnelEndpoint from)
    {
        if (!HandshakeInitiation.TryRead(datagram, out var message))
        {
            Drop(TunnelDropReason.Malformed);
            return;
        }

        if (!_cookieChecker.CheckMac1(datagram, HandshakeInitiation.Mac1Offset))
        {
            Drop(TunnelDropReason.BadMac1);
            return;
        }

        if (RequireCookie(datagram, HandshakeInitiation.Mac1Offset, HandshakeInitiation.Mac2Offset, message.SenderIndex, from))
        {
            return;
        }

        var result = NoiseHandshake.ConsumeInitiation(_identity, message, FindPeer, out var handshake);
        var peer = handshake is null ? null : _peersByKey[Convert.ToBase64String(handshake.RemoteStatic)];
        if (result != HandshakeResult.Ok || peer is null)
        {
            Drop(ReasonOf(result), peer);
            return;
        }

        lock (peer.Lock)
        {
            peer.Endpoint = from;
            peer.LastSource = from;
            var index = NewIndex(peer, keys: null);
            if (!peer.Handshake.TryCreateResponse(index, out var response) || !peer.Handshake.TryBeginSession(out var keys))
            {
                _indexes.TryRemove(index, out _);
                Drop(TunnelDropReason.HandshakeRejected, peer);
                return;
            }

            Span<byte> bytes = stackalloc byte[HandshakeResponse.Size];
            response.TryWrite(bytes, out _);
            peer.Cookies.AddMacs(bytes, HandshakeResponse.Mac1Offset, HandshakeResponse.Mac2Offset);
            _indexes[index] = new IndexEntry(peer, keys);

            // The responder may not send on the new session until the initiator used it (it proves
            // the initiator has the keys): it waits as Next and becomes Current on first receipt.
            Retire(peer.Next);
            peer.Next = keys;
            peer.LastHandshake = _time.GetUtcNow();
            _metrics.HandshakeReceived(Name, peer.Name);
            _transport.SendDatagram(bytes, from);
            _metrics.HandshakeSent(Name, peer.Name);
            LogResponseSent(_logger, Name, peer.Name, from);
        }
    }

    private void OnResponse(ReadOnlySpan<byte> datagram, TunnelEndpoint from)
    {
        if (!HandshakeResponse.TryRead(datagram, out var message))
        {
            Drop(TunnelDropReason.Malformed);
            return;
        }

        if (!_cookieChecker.CheckMac1(datagram, HandshakeResponse.Mac1Offset))
        {
            Drop(TunnelDropReason.BadMac1);
            return;
        }

        if (RequireCookie(datagram, HandshakeResponse.Mac1Offset, HandshakeResponse.Mac2Offset, message.SenderIndex, from))
        {
            return;
        }

        if (!_indexes.TryGetValue(message.ReceiverIndex, out var entry) || entry.Keys is not null)
        {
            Drop(TunnelDropReason.UnknownIndex);
            return;
        }

        var peer = entry.Peer;
        lock (peer.Lock)
        {
            var result = peer.Handshake.ConsumeResponse(message);
            if (result != HandshakeResult.Ok)
            {
                Drop(ReasonOf(result), peer);
                return;
            }

            if (!peer.Handshake.TryBeginSession(out var keys))
            {
                Drop(TunnelDropReason.HandshakeRejected, peer);
                return;
            }

            // The handshake's index now names the session.
            _indexes[message.ReceiverIndex] = new IndexEntry(peer, keys);
            peer.HandshakeIndex = 0;
            peer.HandshakeInFlight = false;
            peer.RekeyOnReceiveStarted = false;
            Retire(peer.Previous);
            peer.Previous = peer.Current;
            peer.Current = keys;
            Retire(peer.Next);
            peer.Next = null;
            peer.Endpoint = from;
            peer.LastSource = from;
            peer.LastHandshake = _time.GetUtcNow();
            peer.LastReceived = _time.GetTimestamp();
            _metrics.HandshakeReceived(Name, peer.Name);
            LogHandshakeComplete(_logger, Name, peer.Name, from);

            // Send what waited for the handshake, or a keepalive so the responder can use the session.
            if (peer.Staged.Count == 0)
            {
                SendTransportLocked(peer, keys, default);
            }

            while (peer.Staged.TryDequeue(out var packet))
            {
                SendTransportLocked(peer, keys, packet);
            }
        }
    }

    private void OnCookieReply(ReadOnlySpan<byte> datagram)
    {
        if (!CookieReply.TryRead(datagram, out var message))
        {
            Drop(TunnelDropReason.Malformed);
            return;
        }

        if (!_indexes.TryGetValue(message.ReceiverIndex, out var entry))
        {
            Drop(TunnelDropReason.UnknownIndex);
            return;
        }

        if (!entry.Peer.Cookies.TryConsumeReply(message))
        {
            Drop(TunnelDropReason.BadCookie, entry.Peer);
            return;
        }

        _metrics.HandshakeReceived(Name, entry.Peer.Name);
    }

    private void OnTransport(ReadOnlySpan<byte> datagram, TunnelEndpoint from)
    {
        if (!TransportHeader.TryRead(datagram, out var header, out var sealedPayload))
        {
            Drop(TunnelDropReason.Malformed);
            return;
        }

        if (!_indexes.TryGetValue(header.ReceiverIndex, out var entry) || entry.Keys is not { } keys)
        {
            Drop(TunnelDropReason.UnknownIndex);
            return;
        }

        var peer = entry.Peer;
        var now = _time.GetTimestamp();
        if (_time.GetElapsedTime(keys.Created, now) >= TunnelTiming.RejectAfterTime)
        {
            Drop(TunnelDropReason.Expired, peer);
            return;
        }

        var length = sealedPayload.Length - NoiseAead.TagSize;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        byte[]? inflated = null;
        try
        {
            if (!keys.TryOpen(header.Counter, sealedPayload, buffer))
            {
                Drop(TunnelDropReason.DecryptFailed, peer);
                return;
            }

            if (!keys.TryAcceptCounter(header.Counter))
            {
                Drop(TunnelDropReason.Replay, peer);
                return;
            }

            lock (peer.Lock)
            {
                OnAuthenticatedTransportLocked(peer, keys, from, datagram.Length, now);
                if (length == 0)
                {
                    return; // a keepalive
                }

                ReadOnlySpan<byte> plaintext = buffer.AsSpan(0, length);
                if (PatronusDataHeader.IsPatronusMessage(plaintext))
                {
                    if (!TryOpenDataMessageLocked(peer, plaintext, out var data, out var payload))
                    {
                        return;
                    }

                    if ((data.Flags & PatronusDataFeatures.Compressed) != 0)
                    {
                        inflated = ArrayPool<byte>.Shared.Rent(data.OriginalSize);
                        if (!peer.Patronus!.Compressor.TryDecompress(payload, inflated.AsSpan(0, data.OriginalSize)))
                        {
                            Drop(TunnelDropReason.BadDataMessage, peer);
                            return;
                        }

                        payload = inflated.AsSpan(0, data.OriginalSize);
                    }

                    peer.Patronus!.OnDataMessage(data, peer.Steering?.PathsByVia.GetValueOrDefault(from.Via), now);
                    if ((data.Flags & PatronusDataFeatures.Duplicated) != 0 && !peer.Patronus.AcceptCopy(keys, data.PacketSequence))
                    {
                        return; // the other copy came first (counted as duplicates_dropped); measured on its path above
                    }

                    plaintext = payload;
                }
                else if (peer.Patronus is { } state && state.OnPlainPacket())
                {
                    // Decided: a peer configured as Patronus whose side sends plain WireGuard (not
                    // upgraded yet) still gets its packets through, without measurement; one line.
                    LogPatronusPeerSendsPlain(_logger, Name, peer.Name);
                }

                if (!TryInnerPacket(plaintext, out var packet, out var source))
                {
                    Drop(TunnelDropReason.BadInnerPacket, peer);
                    return;
                }

                if (_routes.Lookup(source) != peer)
                {
                    Drop(TunnelDropReason.SourceNotAllowed, peer);
                    return;
                }

                if (peer.KeepaliveDue == 0)
                {
                    peer.KeepaliveDue = now + ToTimestampTicks(TunnelTiming.KeepaliveTimeout);
                }

                if (peer.Classes is { } classes)
                {
                    // Per class and arrival path (issue 16): a delivered packet, the first copy of a duplicated one.
                    classes.CountReceived(_classifier!.Classify(packet).Index, peer.PathNumber(peer.Steering?.PathsByVia.GetValueOrDefault(from.Via)), packet.Length);
                }

                if (!_transport.WritePacket(packet))
                {
                    Drop(TunnelDropReason.TunWriteFailed, peer);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (inflated is not null)
            {
                ArrayPool<byte>.Shared.Return(inflated);
            }
        }
    }

    /// <summary>
    /// Reads a data message's header and its payload (compressed or not); false when it was
    /// dropped: from a peer not configured as Patronus (one log line per peer), or malformed.
    /// Caller holds the peer's lock.
    /// </summary>
    private bool TryOpenDataMessageLocked(TunnelPeer peer, ReadOnlySpan<byte> message, out PatronusDataHeader header, out ReadOnlySpan<byte> payload)
    {
        header = default;
        payload = default;
        if (peer.Patronus is null)
        {
            Drop(TunnelDropReason.PatronusNotConfigured, peer);
            if (!peer.MismatchLogged)
            {
                peer.MismatchLogged = true;
                LogPatronusNotConfigured(_logger, Name, peer.Name);
            }

            return false;
        }

        if (!PatronusDataHeader.TryRead(message, out header, out payload))
        {
            Drop(TunnelDropReason.BadDataMessage, peer);
            return false;
        }

        return true;
    }

    private void OnAuthenticatedTransportLocked(TunnelPeer peer, SessionKeys keys, TunnelEndpoint from, int size, long now)
    {
        if (keys == peer.Next)
        {
            // The initiator used the session we answered with: it is confirmed.
            Retire(peer.Previous);
            peer.Previous = peer.Current;
            peer.Current = keys;
            peer.Next = null;
            peer.HandshakeInFlight = false;
            peer.RekeyOnReceiveStarted = false;
            while (peer.Staged.TryDequeue(out var packet))
            {
                SendTransportLocked(peer, keys, packet);
            }
        }

        // Roaming: the peer's authenticated packets move its plain endpoint. A peer with per-path
        // endpoints keeps sending on the path its steering chooses; the roamed address is only
        // the fallback for when none of its paths is in the topology.
        peer.Endpoint = from;
        peer.LastSource = from;
        peer.LastReceived = now;
        peer.NewHandshakeDue = 0;
        peer.ReceivedBytes += size;
        peer.ReceivedPackets++;
        if (peer.Steering?.PathsByVia.GetValueOrDefault(from.Via) is { } pathId)
        {
            var traffic = peer.PathTraffic(pathId);
            traffic.ReceivedBytes += size;
            traffic.ReceivedPackets++;
        }

        if (keys == peer.Current && keys.IsInitiator && !peer.RekeyOnReceiveStarted
            && _time.GetElapsedTime(keys.Created, now) >= TunnelTiming.RekeyOnReceiveTime)
        {
            peer.RekeyOnReceiveStarted = true;
            SendInitiationLocked(peer, isRetry: false);
        }
    }

    /// <summary>
    /// The IP packet inside a decrypted payload (padding cut by the IP length field) and its
    /// source address; false unless it is IPv4 or IPv6 with a length that fits.
    /// </summary>
    internal static bool TryInnerPacket(ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> packet, out ReadOnlySpan<byte> source)
    {
        packet = default;
        source = default;
        if (payload.Length >= 20 && payload[0] >> 4 == 4)
        {
            var total = BinaryPrimitives.ReadUInt16BigEndian(payload[2..]);
            if (total < 20 || total > payload.Length)
            {
                return false;
            }

            packet = payload[..total];
            source = payload.Slice(12, 4);
            return true;
        }

        if (payload.Length >= 40 && payload[0] >> 4 == 6)
        {
            var total = 40 + BinaryPrimitives.ReadUInt16BigEndian(payload[4..]);
            if (total > payload.Length)
            {
                return false;
            }

            packet = payload[..total];
            source = payload.Slice(8, 16);
            return true;
        }

        return false;
    }

    private NoiseHandshake? FindPeer(Bytes32 publicKey) =>
        _peersByKey.TryGetValue(Convert.ToBase64String(publicKey), out var peer) ? peer.Handshake : null;

    private static TunnelDropReason ReasonOf(HandshakeResult result) => result switch
    {
        HandshakeResult.UnknownPeer => TunnelDropReason.UnknownPeer,
        HandshakeResult.DecryptFailed => TunnelDropReason.DecryptFailed,
        HandshakeResult.StaleTimestamp or HandshakeResult.TooFrequent => TunnelDropReason.HandshakeReplay,
        _ => TunnelDropReason.HandshakeRejected,
    };
}
