using System.Net;
using Patronus.Engine.Tunnels.Noise;

namespace Patronus.Engine.Tunnels;

/// <summary>
/// One peer of a <see cref="TunnelDevice"/>: its handshake, MACs, sessions (current, previous,
/// and the responder's next session that becomes current on the first packet received on it),
/// endpoint, the packets queued while a handshake runs, its timers and its counters. Every field
/// is guarded by <see cref="Lock"/>; the device takes it per packet (a peer's packets are
/// handled in order anyway).
/// </summary>
public sealed class TunnelPeer
{
    internal TunnelPeer(string name, NoiseIdentity local, byte[] publicKey, byte[] presharedKey, IPEndPoint? endpoint, TimeSpan persistentKeepalive, TimeProvider time)
    {
        Name = name;
        PublicKey = publicKey;
        Handshake = new NoiseHandshake(local, publicKey, presharedKey, time);
        Cookies = new CookieGenerator(publicKey, time);
        Endpoint = endpoint;
        PersistentKeepalive = persistentKeepalive;
    }

    /// <summary>The name of the peer in logs and metrics.</summary>
    public string Name { get; }

    /// <summary>The peer's static public key.</summary>
    public byte[] PublicKey { get; }

    internal Lock Lock { get; } = new();

    internal NoiseHandshake Handshake { get; }

    internal CookieGenerator Cookies { get; }

    internal IPEndPoint? Endpoint { get; set; }

    internal TimeSpan PersistentKeepalive { get; }

    internal SessionKeys? Current { get; set; }

    internal SessionKeys? Previous { get; set; }

    internal SessionKeys? Next { get; set; }

    internal Queue<byte[]> Staged { get; } = new();

    // Handshake retransmission: in flight since (monotonic), next retry at.
    internal bool HandshakeInFlight { get; set; }

    internal long HandshakeAttemptStarted { get; set; }

    internal long HandshakeRetryAt { get; set; }

    internal uint HandshakeIndex { get; set; }

    // Keepalive after received data (0 = not armed), new handshake after sent data unanswered.
    internal long KeepaliveDue { get; set; }

    internal long NewHandshakeDue { get; set; }

    internal long LastSent { get; set; }

    internal long LastReceived { get; set; }

    internal bool RekeyOnReceiveStarted { get; set; }

    /// <summary>Wall-clock time of the last completed handshake, null before the first.</summary>
    public DateTimeOffset? LastHandshake { get; internal set; }

    /// <summary>Octets received in authenticated transport messages (WireGuard's rx_bytes: whole datagrams).</summary>
    public long ReceivedBytes { get; internal set; }

    /// <summary>Octets sent in transport messages.</summary>
    public long SentBytes { get; internal set; }

    /// <summary>The endpoint the peer was last heard from or configured with.</summary>
    public IPEndPoint? CurrentEndpoint
    {
        get
        {
            lock (Lock)
            {
                return Endpoint;
            }
        }
    }

    internal void ClearSessions()
    {
        Current?.Dispose();
        Previous?.Dispose();
        Next?.Dispose();
        Current = Previous = Next = null;
    }
}
