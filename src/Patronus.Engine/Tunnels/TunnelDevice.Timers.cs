namespace Patronus.Engine.Tunnels;

public sealed partial class TunnelDevice
{
    /// <summary>
    /// Runs every peer's timers (WireGuard whitepaper §6.2–§6.5, as wireguard-go's timers.go):
    /// retransmit an unanswered initiation after REKEY_TIMEOUT + jitter and give up after
    /// REKEY_ATTEMPT_TIME (dropping the queued packets); a keepalive KEEPALIVE_TIMEOUT after data
    /// received with nothing sent; a new handshake when sent data got no answer for
    /// KEEPALIVE_TIMEOUT + REKEY_TIMEOUT; the persistent keepalive (a handshake when there is no
    /// session to keep alive); and the keys forgotten after
    /// 3 × REJECT_AFTER_TIME. Call every <see cref="TunnelTiming.TickInterval"/>.
    /// </summary>
    public void Tick()
    {
        var now = _time.GetTimestamp();
        foreach (var peer in Peers)
        {
            lock (peer.Lock)
            {
                TickLocked(peer, now);
            }
        }
    }

    private void TickLocked(TunnelPeer peer, long now)
    {
        if (peer.HandshakeInFlight && now >= peer.HandshakeRetryAt)
        {
            if (_time.GetElapsedTime(peer.HandshakeAttemptStarted, now) >= TunnelTiming.RekeyAttemptTime)
            {
                peer.HandshakeInFlight = false;
                peer.Handshake.Clear();
                _indexes.TryRemove(peer.HandshakeIndex, out _);
                peer.HandshakeIndex = 0;
                while (peer.Staged.TryDequeue(out _))
                {
                    Drop(TunnelDropReason.HandshakeTimeout, peer);
                }

                LogHandshakeGaveUp(_logger, Name, peer.Name, TunnelTiming.RekeyAttemptTime.TotalSeconds);
            }
            else
            {
                SendInitiationLocked(peer, isRetry: true);
            }
        }

        var keys = Usable(peer.Current, now);
        if (peer.KeepaliveDue != 0 && now >= peer.KeepaliveDue)
        {
            peer.KeepaliveDue = 0;
            if (keys is not null)
            {
                SendTransportLocked(peer, keys, default);
            }
        }

        if (peer.NewHandshakeDue != 0 && now >= peer.NewHandshakeDue)
        {
            peer.NewHandshakeDue = 0;
            SendInitiationLocked(peer, isRetry: false);
        }

        if (peer.PersistentKeepalive > TimeSpan.Zero
            && _time.GetElapsedTime(Math.Max(peer.LastSent, peer.LastReceived), now) >= peer.PersistentKeepalive)
        {
            if (keys is not null)
            {
                SendTransportLocked(peer, keys, default);
            }
            else if (!peer.HandshakeInFlight)
            {
                // No session to keep alive: make one (wireguard-go sends a keepalive, which starts a
                // handshake), so a peer behind NAT is reachable before any traffic flows.
                SendInitiationLocked(peer, isRetry: false);
            }
        }

        if (peer.Current is { } current && _time.GetElapsedTime(current.Created, now) >= 3 * TunnelTiming.RejectAfterTime)
        {
            Retire(peer.Current);
            Retire(peer.Previous);
            Retire(peer.Next);
            peer.Current = peer.Previous = peer.Next = null;
        }
    }
}
