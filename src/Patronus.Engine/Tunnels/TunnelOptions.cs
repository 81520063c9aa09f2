using System.ComponentModel.DataAnnotations;
using System.Net;
using Patronus.Engine.Hosting;
using Patronus.Engine.Paths;

namespace Patronus.Engine.Tunnels;

/// <summary>
/// Site-to-site tunnels (config section <c>Tunnels</c>, see docs/tunnels.md): one WireGuard
/// interface (a TUN device) with its peers. The wire protocol is WireGuard's, so any WireGuard
/// peer can be a peer.
/// </summary>
public sealed class TunnelOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Tunnels";

    /// <summary>
    /// Run the tunnel interface. Default false. Needs root (a TUN device); without it the tunnel
    /// stays off with one log line and everything else runs.
    /// </summary>
    public bool Enabled { get; set; }

    /// <summary>Name of the TUN interface, at most 15 characters. Default <c>ptun0</c>.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9_.-]{1,15}$")]
    public string InterfaceName { get; set; } = "ptun0";

    /// <summary>This node's addresses on the tunnel, as ADDR/LEN (e.g. <c>10.250.0.1/24</c>). Default none.</summary>
    public List<string> Addresses { get; set; } = [];

    /// <summary>The MTU when no peer is Patronus: 1500 minus the 80 octets of an IPv6 + UDP + WireGuard header (wg-quick's default).</summary>
    public const int WireGuardMtu = 1420;

    /// <summary>
    /// The MTU when a peer is Patronus: <see cref="WireGuardMtu"/> minus the 28 octets of the
    /// largest Patronus data header (docs/tunnels.md, "Patronus-to-Patronus data message").
    /// </summary>
    public const int PatronusMtu = WireGuardMtu - Wire.PatronusDataHeader.MaxSize;

    private int? _mtu;

    /// <summary>
    /// MTU of the interface. Default 1420 (<see cref="WireGuardMtu"/>), or 1392
    /// (<see cref="PatronusMtu"/>) when a peer has <see cref="TunnelPeerOptions.Patronus"/> on, so
    /// tunnel datagrams are not fragmented on a 1500-octet path. A value set here wins (a larger
    /// one suits paths with a larger MTU).
    /// </summary>
    [Range(1280, 9000)]
    public int Mtu
    {
        get => _mtu ?? (Peers.Exists(p => p.Patronus) ? PatronusMtu : WireGuardMtu);
        set => _mtu = value;
    }

    /// <summary>UDP port the tunnel listens on. Default 51820 (WireGuard's conventional port); 0 picks a free one.</summary>
    [Range(0, 65535)]
    public int ListenPort { get; set; } = 51820;

    /// <summary>
    /// This node's private key (base64, as <c>patronus tunnel genkey</c> prints it). Default null:
    /// the key in <see cref="PrivateKeyFile"/>, created on first start. Never logged.
    /// </summary>
    public string? PrivateKey { get; set; }

    /// <summary>
    /// File of the private key when <see cref="PrivateKey"/> is not set. Default null: <c>tunnel.key</c>
    /// in the data directory, created with mode 0600 on first start.
    /// </summary>
    public string? PrivateKeyFile { get; set; }

    /// <summary>
    /// Install a kernel route into the interface for each peer's allowed prefix while the tunnel
    /// runs (wg-quick's behaviour; rtm_protocol 251 in the main table, removed on stop), skipping a
    /// prefix that holds the tunnel's own address or a peer's endpoint (see docs/tunnels.md).
    /// Default true; false leaves routing to the operator (wg-quick's <c>Table = off</c>).
    /// </summary>
    public bool Routes { get; set; } = true;

    /// <summary>The peers.</summary>
    public List<TunnelPeerOptions> Peers { get; set; } = [];
}

/// <summary>One WireGuard peer of the tunnel interface.</summary>
public sealed class TunnelPeerOptions
{
    /// <summary>A name for logs, metrics and the API. Default: the first 8 characters of the public key.</summary>
    public string? Name { get; set; }

    /// <summary>The peer's public key (base64, 44 characters). Required.</summary>
    public string PublicKey { get; set; } = "";

    /// <summary>Optional preshared key (base64) mixed into the handshake (WireGuard's psk). Default none. Never logged.</summary>
    public string? PresharedKey { get; set; }

    /// <summary>
    /// Prefixes (ADDR/LEN) whose packets go to this peer and whose source addresses are accepted from
    /// it: cryptokey routing, longest prefix wins across peers.
    /// </summary>
    public List<string> AllowedIps { get; set; } = [];

    /// <summary>
    /// Where to send to the peer first, <c>ADDR:PORT</c> or <c>[IPv6]:PORT</c>. Default none: the
    /// peer must initiate, and its authenticated packets set the endpoint (roaming). Not together
    /// with <see cref="Endpoints"/>.
    /// </summary>
    public string? Endpoint { get; set; }

    /// <summary>
    /// The peer's endpoint on each WAN path, keyed by the id of a path of the topology
    /// (<c>Paths</c>): a tunnel datagram sent on a path leaves through that path's link (its
    /// source address and interface) to that endpoint. The path is the one the failover policy
    /// covering the packet's destination has active, else the lowest-cost healthy one
    /// (<see cref="TunnelPathChoice"/>). Default none: one <see cref="Endpoint"/>, kernel routes.
    /// </summary>
    public Dictionary<string, string> Endpoints { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Seconds between keepalives when nothing else was sent (NAT bindings), 0–65535. Default 0: off.</summary>
    public int PersistentKeepalive { get; set; }

    /// <summary>
    /// The peer is Patronus too: packets to it go as Patronus data messages (path id, per-path
    /// sequence, timestamps, echo, LZ4; docs/tunnels.md), and data messages from it are accepted.
    /// Default false: the wire is exactly WireGuard, and a data message from the peer is dropped
    /// (<c>patronus_not_configured</c>). Both ends must say so; plain IP packets from a Patronus
    /// peer (one not yet upgraded) are still accepted.
    /// </summary>
    public bool Patronus { get; set; }

    /// <summary>
    /// LZ4 for a <see cref="Patronus"/> peer: <c>auto</c> (compress a packet when that shrinks
    /// it, backing off while packets do not) or <c>off</c>. Default <c>auto</c>. Ignored for a
    /// WireGuard peer.
    /// </summary>
    public string Compression { get; set; } = "auto";

    /// <summary>Parses <see cref="Compression"/> (case-insensitive); false for anything but auto or off.</summary>
    public static bool TryParseCompression(string? text, out Sdwan.CompressionMode mode)
    {
        mode = Sdwan.CompressionMode.Auto;
        switch (text?.Trim().ToUpperInvariant())
        {
            case "AUTO":
                return true;
            case "OFF":
                mode = Sdwan.CompressionMode.Off;
                return true;
            default:
                return false;
        }
    }
}

/// <summary>
/// Validates <see cref="TunnelOptions"/>: ranges, then the keys (base64 of 32 octets), prefixes,
/// endpoints and distinct peer keys; each failure names its key and never echoes a secret.
/// </summary>
public sealed class TunnelOptionsValidator() : OptionsSectionValidator<TunnelOptions>(TunnelOptions.Section)
{
    /// <inheritdoc/>
    protected override void ValidateRules(TunnelOptions options, ICollection<string> failures)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(failures);
        Span<byte> key = stackalloc byte[TunnelKeys.KeySize];
        if (options.PrivateKey is not null && !TunnelKeys.TryDecode(options.PrivateKey, key))
        {
            failures.Add($"{Section}:PrivateKey: not a base64 key of 32 octets (generate one with 'patronus tunnel genkey')");
        }

        for (var i = 0; i < options.Addresses.Count; i++)
        {
            if (!IpPrefix.TryParse(options.Addresses[i], out _, out var error))
            {
                failures.Add($"{Section}:Addresses:{i}: {error}");
            }
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var p = 0; p < options.Peers.Count; p++)
        {
            var peer = options.Peers[p];
            var at = $"{Section}:Peers:{p}";
            if (!TunnelKeys.TryDecode(peer.PublicKey, key))
            {
                failures.Add($"{at}:PublicKey: not a base64 key of 32 octets");
            }
            else if (!seen.Add(Convert.ToBase64String(key)))
            {
                failures.Add($"{at}:PublicKey: another peer has the same key");
            }

            if (peer.PresharedKey is not null && !TunnelKeys.TryDecode(peer.PresharedKey, key))
            {
                failures.Add($"{at}:PresharedKey: not a base64 key of 32 octets (generate one with 'patronus tunnel genkey')");
            }

            for (var i = 0; i < peer.AllowedIps.Count; i++)
            {
                if (!IpPrefix.TryParse(peer.AllowedIps[i], out _, out var error))
                {
                    failures.Add($"{at}:AllowedIps:{i}: {error}");
                }
            }

            // DataAnnotations do not reach into list items: the peer's range is checked here.
            if (peer.PersistentKeepalive is < 0 or > 65535)
            {
                failures.Add($"{at}:PersistentKeepalive: must be 0–65535 seconds");
            }

            if (peer.Endpoint is not null && !TryParseEndpoint(peer.Endpoint, out _))
            {
                failures.Add($"{at}:Endpoint: '{peer.Endpoint}' is not ADDR:PORT or [IPv6]:PORT with a port 1–65535");
            }

            if (peer.Endpoint is not null && peer.Endpoints.Count > 0)
            {
                failures.Add($"{at}: set either Endpoint (one endpoint, kernel routes) or Endpoints (one per path), not both");
            }

            foreach (var (path, endpoint) in peer.Endpoints)
            {
                if (!TryParseEndpoint(endpoint, out _))
                {
                    failures.Add($"{at}:Endpoints:{path}: '{endpoint}' is not ADDR:PORT or [IPv6]:PORT with a port 1–65535");
                }
            }

            if (!TunnelPeerOptions.TryParseCompression(peer.Compression, out _))
            {
                failures.Add($"{at}:Compression: '{peer.Compression}' must be auto or off");
            }

            // 256 path ids on the wire (one octet); the sender numbers its paths 1–255.
            if (peer.Patronus && peer.Endpoints.Count > byte.MaxValue)
            {
                failures.Add($"{at}:Endpoints: a Patronus peer has at most 255 paths (the data message's path id is one octet)");
            }
        }
    }

    /// <summary>
    /// Checks each peer's <see cref="TunnelPeerOptions.Endpoints"/> against the topology: the key
    /// must be a path whose link exists, and an endpoint must be of the family of its link's
    /// source address (a datagram leaves from that address). One message per problem, naming the key.
    /// </summary>
    public static IReadOnlyList<string> ValidatePaths(TunnelOptions options, TopologySnapshot topology)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(topology);
        var failures = new List<string>();
        for (var p = 0; p < options.Peers.Count; p++)
        {
            foreach (var (pathId, text) in options.Peers[p].Endpoints)
            {
                var at = $"{TunnelOptions.Section}:Peers:{p}:Endpoints:{pathId}";
                if (!topology.PathsById.TryGetValue(pathId, out var path))
                {
                    var known = topology.Paths.Count == 0 ? "none defined" : string.Join(", ", topology.Paths.Select(x => x.Id));
                    failures.Add($"{at}: no path '{pathId}' in the topology (paths: {known})");
                }
                else if (!topology.LinksById.TryGetValue(path.LinkId, out var link))
                {
                    failures.Add($"{at}: path '{pathId}' has no link '{path.LinkId}'");
                }
                else if (TryParseEndpoint(text, out var endpoint) && IPAddress.TryParse(link.SourceAddress, out var source)
                    && source.AddressFamily != endpoint!.AddressFamily)
                {
                    failures.Add($"{at}: '{text}' is {Family(endpoint.Address)} but link '{link.Id}' sends from {source} ({Family(source)})");
                }
            }
        }

        return failures;
    }

    private static string Family(IPAddress address) => address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? "IPv4" : "IPv6";

    /// <summary>Parses <c>ADDR:PORT</c> or <c>[IPv6]:PORT</c> (addresses only, port 1–65535).</summary>
    public static bool TryParseEndpoint(string? text, out IPEndPoint? endPoint) =>
        IPEndPoint.TryParse(text?.Trim() ?? "", out endPoint) && endPoint.Port is > 0 and <= 65535
        && (text!.Contains(']', StringComparison.Ordinal) || endPoint.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
}
